"""Documents per second for ingest + clean + extract, beside a read-and-one-regex baseline.

    .venv/bin/python -m benchmarks.documents [--sizes 1000 10000] [--seed 0]

Generates synthetic documents (benchmarks/generate_documents.py) into a temporary raw root, then for
each size times, on the same files:
- baseline: read every file's bytes, decode them, run one regex (the quantities pattern) over the text;
- pipeline: ``read_documents`` — decode, clean, metadata, places, claims, near-duplicates — exactly what
  the ``raw/documents`` asset runs before it writes the tables.
Prints a table of documents per second and the ratio pipeline / baseline.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.generate_documents import generate
from orchestration.config import DBT_PROJECT_DIR
from orchestration.lib.corpus import document_files, read_documents
from orchestration.lib.places import load_gazetteer
from orchestration.lib.textio import decode

BASELINE_PATTERN = re.compile(r"\d+(?:\.\d+)?(?:万亿|亿|万)?(?:元|人次|人|%)")


def baseline(folder: Path) -> int:
    hits = 0
    for path in document_files((folder,)):
        text, _ = decode(path.read_bytes())
        hits += len(BASELINE_PATTERN.findall(text))
    return hits


def pipeline(folder: Path) -> int:
    gazetteer = load_gazetteer(DBT_PROJECT_DIR / "seeds")
    tables = read_documents((folder,), gazetteer, datetime.now(UTC))
    return len(tables["document_claims"])


def timed(function, *args) -> tuple[float, int]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        for size in args.sizes:
            root = Path(tmp) / f"n{size}"
            generate(root, size, seed=args.seed)
            folder = root / "documents"
            megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
            baseline(folder)  # warm the page cache so both runs read from memory
            base_s, hits = timed(baseline, folder)
            pipe_s, claims = timed(pipeline, folder)
            rows.append((size, megabytes, base_s, size / base_s, pipe_s, size / pipe_s, base_s / pipe_s, hits, claims))
    print(f"documents benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    header = (
        "docs",
        "MB",
        "baseline s",
        "baseline docs/s",
        "pipeline s",
        "pipeline docs/s",
        "ratio",
        "regex hits",
        "claims",
    )
    print(" | ".join(header))
    for row in rows:
        size, mb, bs, bdps, ps, pdps, ratio, hits, claims = row
        print(f"{size} | {mb:.1f} | {bs:.2f} | {bdps:,.0f} | {ps:.2f} | {pdps:,.0f} | {ratio:.3f} | {hits} | {claims}")


if __name__ == "__main__":
    main()
