"""`warehouse`: the engineers' command line. It drives the same Dagster definitions as the UI."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer
from rich.console import Console
from rich.table import Table

from orchestration.config import load_settings

app = typer.Typer(help="Yangtze city-cluster warehouse: refresh it and query what it published.", no_args_is_help=True)
console = Console()

EXAMPLE_QUERY = """
select d.city_name_zh as city, f.year, round(f.value / 1e8, 2) as gdp_100m_yuan, f.source
from marts.fct_city_year as f
join marts.dim_city as d using (city_code)
where f.indicator = 'gdp' and f.year = 2020
order by f.value desc
limit 5
""".strip()


@dataclass
class RefreshOutcome:
    success: bool
    run_id: str
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    skipped_assets: list[str] = field(default_factory=list)


def run_refresh(instance=None) -> RefreshOutcome:
    """Run ``warehouse_refresh_job`` in this process and say what held it back, if anything."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.definitions import defs

    job = defs().resolve_job_def("warehouse_refresh_job")
    instance = instance or DagsterInstance.get()
    # Events go to the instance (and the UI); the terminal shows warnings and the summary below.
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet)
    outcome = RefreshOutcome(success=result.success, run_id=result.run_id)
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                why = evaluation.description or _metadata_text(evaluation.metadata)
                outcome.failed_checks.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} — {why}")
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            outcome.failed_steps.append(f"{event.step_key}: {event.message}")
    materialized = {e.asset_key for e in result.all_events if e.event_type == DagsterEventType.ASSET_MATERIALIZATION}
    outcome.skipped_assets = sorted(
        key.to_user_string() for key in job.asset_layer.executable_asset_keys if key not in materialized
    )
    return outcome


def _metadata_text(metadata) -> str:
    return "; ".join(f"{k}={getattr(v, 'value', v)}" for k, v in (metadata or {}).items())


@app.command()
def refresh() -> None:
    """Run one full refresh: ingest every raw root, build and test the models, publish if all checks pass."""
    settings = load_settings()
    roots = ", ".join(str(r) for r in settings.raw_roots)
    with console.status(f"Refreshing from {roots} …"):
        outcome = run_refresh()
    if not outcome.success:
        console.print(f"[bold red]Refresh {outcome.run_id} held back: nothing was published.[/]")
        for line in outcome.failed_checks:
            console.print(f"  [red]failed check[/] {line}")
        for line in outcome.failed_steps:
            console.print(f"  [red]failed step[/] {line[:2000]}")
        console.print(f"  not materialized: {', '.join(outcome.skipped_assets) or 'none'}")
        console.print(f"  serving file unchanged: {settings.serving_path}")
        raise typer.Exit(code=1)
    console.print(f"[bold green]Refresh {outcome.run_id} published.[/]")
    console.print(f"  warehouse (DuckDB, read-only use): {settings.serving_path}")
    console.print(f"  one Parquet file per mart:        {settings.parquet_dir}/")
    console.print('  query it:  .venv/bin/warehouse query "select * from marts.mart_cluster_year"')
    console.print("  example:")
    console.print(EXAMPLE_QUERY)
    _print_query(EXAMPLE_QUERY)


@app.command()
def query(sql: str) -> None:
    """Run SQL read-only against the published warehouse and print the result as a table."""
    _print_query(sql)


def _print_query(sql: str) -> None:
    import duckdb

    settings = load_settings()
    if not settings.serving_path.exists():
        console.print(f"[red]{settings.serving_path} does not exist yet: run `make run` first.[/]")
        raise typer.Exit(code=1)
    conn = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        cursor = conn.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(code=1) from exc
    finally:
        conn.close()
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
