"""Statistics: every table under ``<raw root>/statistics/`` into the lake's statistics tables."""

import hashlib
from datetime import UTC, datetime

import dagster as dg
import duckdb
import pandas as pd

from orchestration.config import FULL_REFRESH_TAG, SEEDS_DIR
from orchestration.defs.policies import RETRY, raw_table, raw_table_results
from orchestration.defs.resources import Warehouse
from orchestration.lake.tables import (
    READER_FILE,
    SourceVersion,
    kept_and_new,
    manifest_path,
    parquet_glob,
    read_with_another_reader,
    replace_text,
    row_count,
    write_table,
)
from orchestration.quality.expectations import RULE_FAILURE_COLUMNS, rule_failures
from orchestration.quality.rules import prepare_statistics, statistics_rules
from orchestration.raw_files.changes import detect_changes, last_change, read_state, state_after, write_state
from orchestration.statistics.tables import (
    BOUNDARY_COLUMNS,
    FILE_COLUMNS,
    OBSERVATION_COLUMNS,
    QUARANTINE_COLUMNS,
    read_statistics,
    statistics_files,
)
from orchestration.statistics.units import read_catalogue

TABLES = {  # lake table -> (columns, description)
    "statistics_observations": (
        OBSERVATION_COLUMNS,
        "One row per figure read from a statistics table, in base units, with provenance.",
    ),
    "statistics_quarantine": (
        QUARANTINE_COLUMNS,
        "One row per rejected row, cell or file of a statistics table, with the reason.",
    ),
    "statistics_boundaries": (
        BOUNDARY_COLUMNS,
        "One row per region boundary (WKT polygon) a statistics table carries, for the report's map.",
    ),
    "statistics_files": (FILE_COLUMNS, "One row per statistics file read: hash, encoding, layout and counts."),
    "statistics_rule_failures": (
        RULE_FAILURE_COLUMNS,
        "One row per figure and data-quality row rule it breaks; figures breaking a blocking rule never "
        "reach the models.",
    ),
}
NEW_ROWS = {
    "statistics_observations": "observations",
    "statistics_quarantine": "quarantine",
    "statistics_boundaries": "boundaries",
    "statistics_files": "files",
}


@dg.multi_asset(
    # the known codes of the rules come from the administrative divisions
    specs=[raw_table(name, text, deps=[dg.AssetKey(["raw", "admin_divisions"])]) for name, (_, text) in TABLES.items()],
    group_name="raw",
    retry_policy=RETRY,
)
def statistics(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Read the statistics tables that are new or changed since the last refresh (all of them with the run
    tag warehouse/full=true), drop the rows of changed and deleted files, and run the statistics rules over
    every figure (a unit mix-up is judged against the figure's whole series), recording what breaks them."""
    settings = warehouse.settings
    full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    loaded_at = datetime.now(UTC)
    ranked = {
        path: rank for rank, folder in enumerate(settings.raw_dirs("statistics")) for path in statistics_files([folder])
    }
    previous = read_state(manifest_path(settings.lake_dir, "statistics"))
    # a catalogue that changed reads every file again (an indicator it adds was quarantined as unknown), as
    # do new columns of the figures or boundaries (the kept rows would lack them)
    catalogue = read_catalogue(SEEDS_DIR / "indicators.csv")
    reader = hashlib.sha256(f"{catalogue.sha256}\n{OBSERVATION_COLUMNS}\n{BOUNDARY_COLUMNS}".encode()).hexdigest()
    if previous and not full and read_with_another_reader(settings.lake_dir, "statistics", reader):
        context.log.info("the indicator catalogue or the figures' columns changed: every statistics file is read")
        full = True
    changes = detect_changes(list(ranked), previous, full, hash_new=False)
    new, hashes = read_statistics({path: ranked[path] for path in changes.changed}, loaded_at, catalogue)
    lake = settings.lake_dir / "statistics"
    conn = duckdb.connect()
    try:
        with SourceVersion(settings.lake_dir, "statistics") as version:
            counts = {}
            for name, (columns, _) in TABLES.items():
                if name not in NEW_ROWS:
                    continue
                if not (full or changes.any or version.current is None):  # the version keeps the table
                    counts[name] = row_count(conn, version.table(name))
                    continue
                incoming = new[NEW_ROWS[name]]
                if incoming.num_rows:
                    conn.register(f"_new_{name}", incoming)
                current = None if full or version.current is None else lake / name
                query = kept_and_new(
                    conn, current, changes.stale, f"select * from _new_{name}" if incoming.num_rows else None
                )
                counts[name] = write_table(conn, version.table(name), columns, query)
            # the rules see every figure: a unit mix-up is judged against the figure's whole series
            observations = conn.sql(
                f"select * from read_parquet('{parquet_glob(version.table('statistics_observations'))}')"
            )
            failures = rule_failures(
                prepare_statistics(observations.df(), loaded_at.date(), catalogue.additive),
                "statistics",
                statistics_rules(known_codes(settings)),
                lambda rows: rows["indicator"] + "|" + rows["year"].astype(str),
            )
            conn.register("_failures", failures.assign(loaded_at=loaded_at))
            counts["statistics_rule_failures"] = write_table(
                conn, version.table("statistics_rule_failures"), RULE_FAILURE_COLUMNS, "select * from _failures"
            )
            state = state_after(changes, previous, hashes, loaded_at)
            write_state(version.manifest, state)
            replace_text(version.manifest.with_name(READER_FILE), reader)
        quarantined = conn.sql(
            "select source_file, source_row, reason "
            f"from read_parquet('{parquet_glob(lake / 'statistics_quarantine')}') where loaded_at = ? limit 10",
            params=[loaded_at],
        ).df()
    finally:
        conn.close()
    if len(quarantined):
        context.log.warning("statistics rows quarantined by the parser:\n" + quarantined.to_string(index=False))
    blocking = failures[failures["severity"] == "block"]
    if len(blocking):
        context.log.warning(f"{len(blocking)} statistics figures break blocking rules and are quarantined")
    yield from raw_table_results(
        counts,
        last_change(state, changes, loaded_at),
        read=changes.files_read,
        changed=len(changes.changed),
        deleted=len(changes.deleted),
    )


def known_codes(settings) -> frozenset[str]:
    """Every administrative code a figure may carry: the NBS divisions in the lake, the cluster members,
    the provinces and the code aliases of the seeds."""
    codes: set[str] = set()
    divisions = settings.lake_dir / "reference" / "admin_divisions"
    if any(divisions.glob("*.parquet")):
        codes |= set(duckdb.sql(f"select code from read_parquet('{parquet_glob(divisions)}')").df()["code"].dropna())
    for seed, column in (
        ("cluster_members", "city_code"),
        ("regions", "region_code"),
        ("region_code_aliases", "alias_code"),
    ):
        codes |= set(pd.read_csv(SEEDS_DIR / f"{seed}.csv", dtype=str)[column])
    return frozenset(codes)
