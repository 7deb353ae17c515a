"""The Dagster code location: every asset, check, job, schedule and sensor under defs/, with its resources."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    # One process per run: dbt is parsed once, and steps share the in-memory state of the run.
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    )
