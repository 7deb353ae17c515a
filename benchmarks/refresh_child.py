"""One run in a process of its own, so the benchmark can measure the memory of the whole run.

    .venv/bin/python -m benchmarks.refresh_child WAREHOUSE_DIR RAW_ROOTS (--full | --documents)
    .venv/bin/python -m benchmarks.refresh_child FLOOR_DIR - --floor

``--full`` re-reads every raw file (what ``warehouse refresh --full`` runs); ``--documents`` runs the
assets the file sensor selects when a document lands: the documents and everything downstream;
``--floor`` runs the stack's own floor in ``FLOOR_DIR`` (a dbt project of one trivial model that
``benchmarks.run.floor_project`` made): an in-process Dagster run of one trivial asset and ``dbt build``
of that model, through the same ``DbtCliResource`` and row counts as the warehouse. Prints one JSON line:
the seconds ``dg.materialize`` took (without the interpreter's start and the loading of the definitions),
the seconds of each step, and whether the run succeeded.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets


def floor_assets(project_dir: Path) -> tuple[list, dict]:
    @dg.asset
    def trivial_asset() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"dagster/row_count": 1})

    @dbt_assets(manifest=project_dir / "target" / "manifest.json")
    def trivial_model(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream().fetch_row_counts()

    dbt = DbtCliResource(
        project_dir=str(project_dir),
        profiles_dir=str(project_dir),
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )
    return [trivial_asset, trivial_model], {"dbt": dbt}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse_dir")
    parser.add_argument("raw_roots")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--full", action="store_true")
    mode.add_argument("--documents", action="store_true")
    mode.add_argument("--floor", action="store_true")
    args = parser.parse_args()

    from orchestration.config import FULL_REFRESH_TAG

    selection, tags = None, None
    if args.floor:
        assets, resources = floor_assets(Path(args.warehouse_dir))
    else:
        from orchestration.definitions import defs
        from orchestration.defs.resources import build_resources

        environment = {"WAREHOUSE_DIR": args.warehouse_dir, "WAREHOUSE_RAW_ROOTS": args.raw_roots}
        definitions = defs()
        assets, resources = [*definitions.assets, *(definitions.asset_checks or [])], build_resources(environment)
        if args.documents:
            documents = dg.AssetSelection.assets(dg.AssetKey(["raw", "documents"])).required_multi_asset_neighbors()
            selection = documents | documents.downstream()
        tags = {FULL_REFRESH_TAG: "true"} if args.full else None
    start = time.perf_counter()
    result = dg.materialize(assets, resources=resources, selection=selection, tags=tags, raise_on_error=False)
    seconds = time.perf_counter() - start
    steps = {
        event.step_key: event.event_specific_data.duration_ms / 1000
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_SUCCESS
    }
    print(json.dumps({"seconds": seconds, "steps": steps, "success": result.success}))


if __name__ == "__main__":
    main()
