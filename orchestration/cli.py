"""`warehouse`: the engineers' command line. It drives the same Dagster definitions as the UI."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from orchestration.config import FULL_REFRESH_TAG, load_settings, use_project_dagster_home
from orchestration.reading import console, fail, print_query, quarantine, query, status
from orchestration.serving.refresh_lock import exclusive_lock, held_elsewhere

app = typer.Typer(
    help="Yangtze city-cluster warehouse: refresh it, see its state, query what it published.",
    no_args_is_help=True,
    rich_markup_mode="markdown",  # a docstring's line breaks are not the help's: it wraps at the terminal's width
)


@app.callback()
def main() -> None:
    """Yangtze city-cluster warehouse: refresh it, see its state, query what it published."""
    use_project_dagster_home()


EXAMPLE_QUERY = """
select d.city_name_zh as city, f.year, round(f.value / 1e8, 2) as gdp_100m_yuan, f.source
from marts.fct_city_year as f
join marts.dim_city as d using (city_code)
where f.indicator = 'gdp' and f.year = 2020 and f.statistics_view = 'latest' and d.is_cluster_member
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
    passed_checks: int = 0
    warned_checks: int = 0  # checks that failed without blocking


def run_refresh(full: bool = False, progress: Progress | None = None) -> RefreshOutcome:
    """Run ``warehouse_refresh_job`` in this process, registered in the Dagster instance as the UI's runs
    are, and say what held it back, if anything. The run waits for the warehouse's refresh lock, which
    every run holds (defs/resources.py: Warehouse); the progress comes from the run's events in the
    instance. ``execute_in_process`` blocks, so it runs in a thread while this one reads them."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.definitions import defs

    job = defs().resolve_job_def("warehouse_refresh_job")
    instance = DagsterInstance.get()
    run_id = str(uuid.uuid4())
    # Events go to the instance (and the UI); the terminal shows warnings, progress and the summary.
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    tags = {FULL_REFRESH_TAG: "true"} if full else {}
    holder: dict = {}
    worker = threading.Thread(
        target=lambda: holder.update(
            result=job.execute_in_process(
                instance=instance, raise_on_error=False, run_config=quiet, tags=tags, run_id=run_id
            )
        )
    )
    worker.start()
    task = progress.add_task("refresh", total=len(job.graph.node_defs)) if progress else None
    while worker.is_alive():
        worker.join(0.5)
        if progress:
            done = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_SUCCESS).records
            started = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_START).records
            step = started[-1].event_log_entry.dagster_event.step_key if started else "starting"
            progress.update(task, completed=len(done), description=f"refresh: {step}")
    result = holder["result"]
    checks = result.get_asset_check_evaluations()
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    return RefreshOutcome(
        success=result.success,
        run_id=run_id,
        failed_checks=[
            f"{c.asset_key.to_user_string()}:{c.check_name} — {c.description or _metadata_text(c.metadata)}"
            for c in checks
            if not c.passed and c.blocking
        ],
        failed_steps=[f"{event.step_key}: {event.message}" for event in result.get_step_failure_events()],
        skipped_assets=sorted(
            key.to_user_string() for key in job.asset_layer.executable_asset_keys if key not in materialized
        ),
        passed_checks=sum(c.passed for c in checks),
        warned_checks=sum(not c.passed and not c.blocking for c in checks),
    )


SUMMARY_CHARACTERS = 240  # of a failed check's or step's message on the terminal; the whole is in the log


def _first_words(text: str) -> str:
    """``text`` on one line, cut after SUMMARY_CHARACTERS (a check's sample rows can run to pages)."""
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_CHARACTERS else line[: SUMMARY_CHARACTERS - 1] + "…"


def _asset_count(keys: list[str]) -> str:
    """'46 assets (marts 13, staging 12, …)': how many were held back, by layer."""
    if not keys:
        return "none"
    layers = Counter(key.split("/")[0] for key in keys)
    return f"{len(keys)} assets ({', '.join(f'{layer} {n}' for layer, n in layers.most_common())})"


def _metadata_text(metadata) -> str:
    return "; ".join(f"{k}={getattr(v, 'value', v)}" for k, v in (metadata or {}).items())


REFRESH_LOGS_KEPT = 20


@contextmanager
def output_to(log: Path | None) -> Iterator[None]:
    """Everything the run prints (dbt's log, Dagster's warnings) into ``log``; nothing redirected if None.
    The folder keeps the newest REFRESH_LOGS_KEPT logs (their names sort by time)."""
    if log is None:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    for old in sorted(log.parent.glob("refresh-*.log"))[: -REFRESH_LOGS_KEPT + 1]:
        old.unlink(missing_ok=True)
    with (
        open(log, "w", encoding="utf-8") as handle,
        redirect_stdout(handle),
        redirect_stderr(handle),
    ):
        yield


@app.command()
def refresh(
    full: bool = typer.Option(False, "--full", help="Re-read every raw file, not only new and changed ones."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Print dbt's log and Dagster's warnings here."),
):
    """Refresh: ingest the raw roots, build and test the models, publish if every blocking check passes."""
    settings = load_settings()
    console.print(f"Refreshing from {', '.join(str(r) for r in settings.raw_roots)}" + (" (full)" if full else ""))
    if held_elsewhere(settings.refresh_lock_path):
        console.print("Another refresh is running; waiting.")
    log = None if verbose else settings.warehouse_dir / "logs" / f"refresh-{time.strftime('%Y%m%d-%H%M%S')}.log"
    # the progress bar on the terminal (bound now), the run's own output in the log
    terminal = Console(file=sys.stdout)
    with (
        output_to(log),
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} steps"),
            TimeElapsedColumn(),
            console=terminal,
            transient=True,
            # on a terminal rich would route the redirected output back above the bar: it goes to the log
            redirect_stdout=False,
            redirect_stderr=False,
        ) as progress,
    ):
        outcome = run_refresh(full=full, progress=progress)

    def where_the_log_is() -> None:
        if log is not None:
            warnings = sum(" - WARNING - " in line for line in log.read_text(encoding="utf-8").splitlines())
            console.print(f"  dbt's log and {warnings} warnings: {log} (-v prints them here)", soft_wrap=True)

    if not outcome.success:
        console.print(f"[bold red]Refresh {outcome.run_id} held back: nothing was published.[/]")
        if log is not None:  # the whole of what the terminal shortens below
            with log.open("a", encoding="utf-8") as handle:
                held = [*outcome.failed_checks, *outcome.failed_steps, "not materialized:", *outcome.skipped_assets]
                handle.write("\n".join(["", *held, ""]))
        where_the_log_is()
        for line in outcome.failed_checks:
            console.print(f"  [red]failed check[/] {_first_words(line)}")
        for line in outcome.failed_steps:
            console.print(f"  [red]failed step[/] {_first_words(line)}")
        console.print(f"  not materialized: {_asset_count(outcome.skipped_assets)}")
        console.print(f"  serving file unchanged: {settings.serving_path}")
        raise typer.Exit(code=1)
    console.print(f"[bold green]Refresh {outcome.run_id} published.[/]")
    console.print(
        f"  checks: {outcome.passed_checks} passed, {outcome.warned_checks} warned (non-blocking: in the log)"
    )
    where_the_log_is()
    # paths and the URL on one line each, whatever the terminal's width: they are copied as they are
    console.print(f"  warehouse (DuckDB, read-only use): {settings.serving_path}", soft_wrap=True)
    console.print(f"  one Parquet file per mart:        {settings.parquet_dir}/", soft_wrap=True)
    console.print(f"  BI tools (SQLAlchemy URL):        {settings.sqlalchemy_url}", highlight=False, soft_wrap=True)
    console.print('  query it:  .venv/bin/warehouse query "select * from marts.mart_cluster_year"')
    console.print("  example:")
    console.print(EXAMPLE_QUERY)
    print_query(EXAMPLE_QUERY)


app.command()(status)
app.command()(quarantine)


@app.command()
def report(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: warehouse/report.html.")] = None,
    map_measure: Annotated[
        str, typer.Option("--map", help="What colours the map: gdp_per_capita, population or growth.")
    ] = "gdp_per_capita",
) -> None:
    """Write a self-contained HTML report with a map of the members and charts (cluster GDP, population,
    per-capita GDP, share of national GDP, concentration, industry structure, the claims check) from the
    published warehouse."""
    from orchestration.serving.cluster_map import MEASURES
    from orchestration.serving.report import write_report

    if map_measure not in MEASURES:
        fail(f"--map {map_measure!r}: expected one of {', '.join(MEASURES)}")

    settings = load_settings()
    if not settings.serving_path.exists():
        fail(f"{settings.serving_path} does not exist yet: run `make run` first.")
    path = write_report(settings.serving_path, output or settings.report_path, map_measure)
    console.print(f"wrote {path} (one file, no network needed): open it in a browser", highlight=False)


@app.command()
def docs(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: warehouse/docs.html.")] = None,
) -> None:
    """Build the dbt docs site (every model and column described, tests, lineage) as one HTML file that
    opens offline. It describes the last build, so it refreshes first when nothing was built yet."""
    import shutil
    import subprocess
    import sys

    from orchestration.config import DBT_PROJECT_DIR, dbt_environment

    settings = load_settings()
    if not settings.build_db_path.exists():
        console.print("Nothing built yet: refreshing first.")
        refresh(full=False)
    # the warehouse's dbt target folder, as the refresh uses: the manifest under dbt_project/target is the
    # one Dagster loads
    target = settings.dbt_target_dir
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *("docs", "generate", "--static", "--target", settings.dbt_target, "--target-path", str(target)),
        *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
    ]
    waiting = lambda: console.print("A refresh is running; waiting for it to finish.")  # noqa: E731
    with exclusive_lock(settings.refresh_lock_path, on_wait=waiting):
        with dbt_environment(settings):
            done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"dbt docs generate failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    path = output or settings.docs_path
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target / "static_index.html", path)
    console.print(f"wrote {path} (one file, opens offline): open it in a browser", highlight=False)


app.command()(query)
