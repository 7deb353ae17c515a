"""Times of a full refresh, a no-op refresh and a one-new-document refresh, as ratios to the full one.

    .venv/bin/python -m benchmarks.refresh [--documents 10000]

Runs in this process with the project's Dagster definitions (what `warehouse refresh` and the sensor
run), into a temporary warehouse: first on the bundled raw/, then on raw/ plus N synthetic documents
(benchmarks/generate_documents.py). The one-new-document refresh runs the assets the file sensor would
select: the documents and everything downstream of them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import dagster as dg

from benchmarks.generate_documents import generate
from orchestration.config import FULL_REFRESH_TAG, PROJECT_ROOT, load_settings
from orchestration.definitions import defs
from orchestration.defs.resources import build_resources


def refresh(definitions, settings, selection=None, full=False) -> float:
    assets = [*definitions.assets, *(definitions.asset_checks or [])]
    start = time.perf_counter()
    result = dg.materialize(
        assets,
        resources=build_resources(settings),
        selection=selection,
        tags={FULL_REFRESH_TAG: "true"} if full else None,
        raise_on_error=False,
    )
    elapsed = time.perf_counter() - start
    if not result.success:
        raise SystemExit("benchmark refresh failed")
    return elapsed


def scenario(name: str, roots: list[Path], new_document_root: Path, definitions) -> list[tuple]:
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as warehouse:
        settings = load_settings({"WAREHOUSE_DIR": warehouse, "WAREHOUSE_RAW_ROOTS": ":".join(map(str, roots))})
        documents = dg.AssetSelection.assets(dg.AssetKey(["raw", "documents"])).required_multi_asset_neighbors()
        full = refresh(definitions, settings, full=True)
        noop = refresh(definitions, settings)
        folder = new_document_root / "documents"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"new_{time.time_ns()}.txt").write_text(
            "长三角观察\n2020年，上海市地区生产总值为38700.58亿元。\n", encoding="utf-8"
        )
        one_new = refresh(definitions, settings, selection=documents | documents.downstream())
    return [
        (name, "full", full, 1.0),
        (name, "no-op", noop, noop / full),
        (name, "one new document", one_new, one_new / full),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10000)
    args = parser.parse_args()
    definitions = defs()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-raw-") as tmp:
        extra = Path(tmp) / "new_docs"
        rows += scenario("bundled raw/", [PROJECT_ROOT / "raw", extra], extra, definitions)
        synthetic = Path(tmp) / "synthetic"
        generate(synthetic, args.documents, seed=0)
        rows += scenario(
            f"raw/ + {args.documents} documents", [PROJECT_ROOT / "raw", synthetic], synthetic, definitions
        )
    print("data | refresh | seconds | ratio to full")
    for data, kind, seconds, ratio in rows:
        print(f"{data} | {kind} | {seconds:.1f} | {ratio:.2f}")


if __name__ == "__main__":
    main()
