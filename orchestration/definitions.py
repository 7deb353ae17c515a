"""The Dagster code location: every asset, check, job and schedule under defs/, plus its resources."""

import warnings
from pathlib import Path

import dagster as dg

# Who answers for an asset, shown in the UI: ingest and publishing belong to data engineering,
# the dbt models and seeds to analytics engineering.
DATA_ENGINEERING = "team:data-engineering"
ANALYTICS_ENGINEERING = "team:analytics-engineering"
OWNERS_BY_GROUP = {"raw": [DATA_ENGINEERING], "serving": [DATA_ENGINEERING]}


def with_owners(spec: dg.AssetSpec) -> dg.AssetSpec:
    return spec.replace_attributes(owners=OWNERS_BY_GROUP.get(spec.group_name, [ANALYTICS_ENGINEERING]))


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    with warnings.catch_warnings():
        # map_asset_specs is public; dagster 1.13 warns only because it calls a preview helper inside
        warnings.simplefilter("ignore", dg.PreviewWarning)
        owned = loaded.map_asset_specs(func=with_owners)
    # One process per run: dbt is parsed once, and the warehouse lock is held for the whole run.
    return dg.Definitions.merge(owned, dg.Definitions(executor=dg.in_process_executor))
