"""How cost grows, from one thousand documents to a hundred thousand, each figure beside a baseline.

    .venv/bin/python -m benchmarks [--sizes 1000 10000 100000] [--repeats 3] [--write benchmarks/RESULTS.md]

(``make bench`` runs it with the defaults and writes ``benchmarks/RESULTS.md``.) Everything runs in
temporary folders (``--workdir`` keeps the generated inputs for the next run), never in ``warehouse/``.

First the stack's floor: an in-process Dagster run of one trivial asset and ``dbt build`` of one trivial
model, through the same ``DbtCliResource`` and row counts as the warehouse (``benchmarks.refresh_child
--floor``), the median of ``--repeats``. Then, for each number of synthetic documents
(``benchmarks/generate_documents.py``), beside the bundled ``raw/``:

- documents per second for ingest + clean + extract, beside a peer pipeline's cost, jieba segmenting the
  same texts (an even sample of at most 10,000 files): in one process (``read_documents``), and as the
  documents asset parses them (``parse_to_parquet``: a chunk at a time as Parquet, in a process pool);
- a full refresh (``--full``) in a process of its own: its time and the peak memory (RSS of the process
  and its children, dbt's build and the parse processes included, sampled every 0.1 s), and its ratio to
  the floor;
- from 10,000 documents on, the refresh the file sensor starts when one new document lands, as a ratio to
  the floor;
- at the largest size, the median time of each example query of docs/analyst-guide.md (SQL blocks under
  its "Analyst guide" heading) on the published ``serving.duckdb``.

Then the statistics ingest (``benchmarks/generate_statistics.py``: about 2,900 counties × 30 years ×
20 indicators, a long and a wide CSV) in rows per second, parsed and written to the lake as the asset
does, beside DuckDB's own ``read_csv`` into a table. Timings are medians of ``--repeats`` runs, except the
refreshes, which run once per size (at 100,000 documents a run takes minutes).
"""

from benchmarks.run import main

main()
