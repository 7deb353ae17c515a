"""One refresh in a process of its own, so the benchmark can measure the memory of the whole run.

    .venv/bin/python -m benchmarks.refresh_child WAREHOUSE_DIR RAW_ROOTS (--full | --documents)

``--full`` re-reads every raw file (what ``warehouse refresh --full`` runs); ``--documents`` runs the
assets the file sensor selects when a document lands: the documents and everything downstream. Prints
one JSON line: the seconds ``dg.materialize`` took (the pipeline's work, without the interpreter's start
and the loading of the definitions), the seconds of each step, and whether the run succeeded.
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse_dir")
    parser.add_argument("raw_roots")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--full", action="store_true")
    mode.add_argument("--documents", action="store_true")
    args = parser.parse_args()

    from orchestration.config import FULL_REFRESH_TAG, load_settings
    from orchestration.lib.warm import warm_up

    settings = load_settings({"WAREHOUSE_DIR": args.warehouse_dir, "WAREHOUSE_RAW_ROOTS": args.raw_roots})
    warm_up(settings)  # as `warehouse refresh` does before it loads the definitions

    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.resources import build_resources

    definitions = defs()
    selection = None
    if args.documents:
        documents = dg.AssetSelection.assets(dg.AssetKey(["raw", "documents"])).required_multi_asset_neighbors()
        selection = documents | documents.downstream()
    start = time.perf_counter()
    result = dg.materialize(
        [*definitions.assets, *(definitions.asset_checks or [])],
        resources=build_resources(settings),
        selection=selection,
        tags={FULL_REFRESH_TAG: "true"} if args.full else None,
        raise_on_error=False,
    )
    seconds = time.perf_counter() - start
    steps = {
        event.step_key: event.event_specific_data.duration_ms / 1000
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_SUCCESS
    }
    print(json.dumps({"seconds": seconds, "steps": steps, "success": result.success}))


if __name__ == "__main__":
    main()
