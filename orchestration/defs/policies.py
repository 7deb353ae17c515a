"""What the Python assets share: who answers for them, how their steps retry, and the spec of a raw table.

Data engineering owns ingest and publishing (set on the Python asset specs here); analytics engineering
owns the dbt models and seeds (set in dbt_project.yml, ``+meta: dagster: owners``).
"""

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

import dagster as dg

DATA_ENGINEERING = "team:data-engineering"
# a file being written as a step reads it, a lock held a moment by a reader: worth two more tries
RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL)


def raw_table(name: str, description: str, deps: Sequence[dg.AssetKey] = ()) -> dg.AssetSpec:
    """The spec of a lake table an ingest asset writes: key raw/<name>, the name of its dbt source."""
    return dg.AssetSpec(
        ["raw", name], description=description, kinds={"python", "parquet"}, owners=[DATA_ENGINEERING], deps=deps
    )


def raw_table_results(
    counts: Mapping[str, int], inputs_changed_at: datetime, **files: int
) -> Iterator[dg.MaterializeResult]:
    """One materialization per lake table of an ingest asset: its rows, the files the refresh read,
    changed or deleted (``files``), and when the source's inputs last changed (publish reads it)."""
    for name, count in counts.items():
        yield dg.MaterializeResult(
            asset_key=["raw", name],
            metadata={
                "dagster/row_count": count,
                **{f"files_{what}": n for what, n in files.items()},
                "inputs_changed_at": inputs_changed_at.isoformat(),
            },
        )
