"""What the Python assets share: who answers for them, how their steps retry, and the spec of a raw table.

Data engineering owns ingest and publishing (set on the Python asset specs here); analytics engineering
owns the dbt models and seeds (set in dbt_project.yml, ``+meta: dagster: owners``).
"""

from collections.abc import Sequence

import dagster as dg

DATA_ENGINEERING = "team:data-engineering"
# a file being written as a step reads it, a lock held a moment by a reader: worth two more tries
RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL)


def raw_table(name: str, description: str, deps: Sequence[dg.AssetKey] = ()) -> dg.AssetSpec:
    """The spec of a lake table an ingest asset writes: key raw/<name>, the name of its dbt source."""
    return dg.AssetSpec(
        ["raw", name], description=description, kinds={"python", "parquet"}, owners=[DATA_ENGINEERING], deps=deps
    )
