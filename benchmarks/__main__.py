"""How cost grows, from one thousand documents to a hundred thousand, each figure beside a baseline.

    .venv/bin/python -m benchmarks [--sizes 1000 10000 100000] [--repeats 3] [--write benchmarks/RESULTS.md]

(``make bench`` runs it with the defaults and writes ``benchmarks/RESULTS.md``.) Everything runs in
temporary folders (``--workdir`` keeps the generated inputs for the next run), never in ``warehouse/``.
For each number of synthetic documents (``benchmarks/generate_documents.py``), beside the bundled
``raw/``:

- documents per second for ingest + clean + extract, beside reading the same bytes and one regex pass in
  a plain Python loop: in one process (``read_documents``), and as the documents asset's parse steps run
  it (``stage_batch``: a chunk at a time, staged as Parquet, every other chunk in the parse helper
  process from 8,000 files on);
- a full refresh (``--full``) in a process of its own: its time and the peak memory (RSS of the process,
  every child, and the processes the warm servers fork for it, dbt's build included, sampled every
  0.1 s), beside the documents' plain-loop time;
- from 10,000 documents on, the refresh the file sensor starts when one new document lands;
- at the largest size, the median time of each example query of the README's analyst guide (SQL
  blocks under a heading with "Analyst guide") on the published ``serving.duckdb``.

Then the statistics ingest (``benchmarks/generate_statistics.py``: about 2,900 counties × 30 years ×
20 indicators, a long and a wide CSV) in rows per second, parse and write into DuckDB as the asset does,
beside DuckDB's own ``read_csv`` into a table. Timings are medians of ``--repeats`` runs, except the
refreshes, which run once per size (at 100,000 documents a run takes minutes).
"""

from benchmarks.run import main

main()
