"""Reference tables we receive (administrative codes, prefecture name history) into ``raw.*``.

A raw root may or may not carry them; when none does, the tables are created empty so the dbt
sources exist and the city dimension falls back to the cluster-membership seed.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from orchestration.config import FULL_REFRESH_TAG
from orchestration.defs.resources import Warehouse
from orchestration.lib.incremental import plan_files, previous_manifest, save_manifest
from orchestration.lib.lake import export_tables
from orchestration.lib.quality_log import clear_rule_failures
from orchestration.lib.textio import RawFile, decode
from orchestration.lib.warehouse import replace_table
from orchestration.lib.warm import warm_up


@dataclass(frozen=True)
class ReferenceTable:
    name: str
    file_name: str
    columns: tuple[str, ...]
    description: str

    @property
    def ddl(self) -> str:
        provenance = "source_file varchar not null, file_sha256 varchar not null, source_row integer not null"
        return ", ".join(f"{c} varchar" for c in self.columns) + ", " + provenance


REFERENCE_TABLES = (
    ReferenceTable(
        "admin_divisions",
        "admin_divisions.csv",
        ("level", "code", "name", "province_code", "province_name", "city_code", "city_name"),
        "One row per administrative division (province, city, county level) with its 6-digit code.",
    ),
    ReferenceTable(
        "prefecture_crosswalk",
        "prefecture_crosswalk.csv",
        (
            "legacy_entity_id",
            "canonical_name_zh",
            "province_name_zh",
            "status_at_2026_year_end",
            "name_at_2026_year_end",
            "name_history_year_end",
        ),
        "One row per prefecture-level entity since 1987 with its year-end name history.",
    ),
)


class ReferenceFileError(ValueError):
    pass


def read_reference(table: ReferenceTable, folders: tuple[Path, ...]) -> pd.DataFrame:
    """Rows of every ``<root>/reference/<file_name>``; the same content in two roots is read once."""
    frames, seen = [], set()
    for folder in folders:
        path = folder / table.file_name
        if not path.is_file():
            continue
        raw = RawFile.read(path)
        if raw.sha256 in seen:
            continue
        seen.add(raw.sha256)
        text, _ = decode(raw.data)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = set(table.columns) - set(reader.fieldnames or ())
        if missing:
            raise ReferenceFileError(f"{path}: missing columns {sorted(missing)}")
        rows = [
            {**{c: (row[c] or "").strip() or None for c in table.columns}, "source_row": number}
            for number, row in enumerate(reader, start=2)
        ]
        frames.append(pd.DataFrame(rows).assign(source_file=str(path), file_sha256=raw.sha256))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", t.name], description=t.description, kinds={"python", "duckdb"}) for t in REFERENCE_TABLES
    ],
    group_name="raw",
    pool="warehouse_writer",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL),
)
def reference(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Reload the reference tables of every raw root when any of their files is new, changed or gone
    (always with the run tag warehouse/full=true); otherwise keep them unread."""
    warm_up(warehouse.settings)  # GX for this asset's check and dbt for the transform, made ready
    full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    folders = warehouse.settings.raw_dirs("reference")
    paths = [folder / t.file_name for folder in folders for t in REFERENCE_TABLES if (folder / t.file_name).is_file()]
    loaded_at = datetime.now(UTC)
    with warehouse.connect() as conn:
        plan = plan_files(paths, previous_manifest(conn, "reference"), full)
        reload = full or plan.has_changes or not _tables_exist(conn)
        clear_rule_failures(conn, "reference")
        for table in REFERENCE_TABLES:
            if reload:
                rows = replace_table(conn, f"raw.{table.name}", table.ddl, read_reference(table, folders))
            else:
                rows = conn.execute(f"select count(*) from raw.{table.name}").fetchone()[0]
            yield dg.MaterializeResult(
                asset_key=["raw", table.name],
                metadata={"dagster/row_count": rows, "files_read": plan.files_read if not reload else len(paths)},
            )
        save_manifest(conn, "reference", plan, loaded_at)
        if reload:
            export_tables(conn, warehouse.settings.lake_dir, [t.name for t in REFERENCE_TABLES])


def _tables_exist(conn) -> bool:
    names = {r[0] for r in conn.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
    return all(t.name in names for t in REFERENCE_TABLES)
