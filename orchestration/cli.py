"""`warehouse`: the engineers' command line. It drives the same Dagster definitions as the UI."""

from __future__ import annotations

import fcntl
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.padding import Padding
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from orchestration.config import FULL_REFRESH_TAG, Settings, load_settings, use_project_dagster_home
from orchestration.serving.query import (
    OUTPUT_FORMATS,
    RefusedStatement,
    cells,
    check_read_only,
    connect_reader,
    format_rows,
    on_screen,
)

if TYPE_CHECKING:
    import duckdb

app = typer.Typer(
    help="Yangtze city-cluster warehouse: refresh it, see its state, query what it published.",
    no_args_is_help=True,
    rich_markup_mode="markdown",  # a docstring's line breaks are not the help's: it wraps at the terminal's width
)
console = Console()


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


@contextmanager
def exclusive_lock(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (waiting for it, after calling ``on_wait``, when another
    process holds it). The kernel drops it when the process dies, so a killed holder leaves nothing
    to clean up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_refresh(
    settings: Settings, instance=None, full: bool = False, progress: Progress | None = None
) -> RefreshOutcome:
    """Run ``warehouse_refresh_job`` in this process and say what held it back, if anything.

    One refresh at a time: this holds the warehouse's refresh lock (another ``warehouse refresh`` or
    ``warehouse docs`` waits for it), and waits while a run the daemon launched is in progress; the
    daemon's run queue (``max_concurrent_runs: 1``) counts this run too, so it starts none beside it."""
    from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

    from orchestration.definitions import defs

    job = defs().resolve_job_def("warehouse_refresh_job")
    active = RunsFilter(job_name=job.name, statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED])

    def waiting() -> None:
        terminal = progress.console if progress else console  # the terminal, while the run's output is logged
        terminal.print("Another refresh is running; waiting.")
        terminal.file.flush()  # before this process blocks on the lock

    # the lock first: two refreshes opening a new instance at once would both create its storage
    with exclusive_lock(settings.refresh_lock_path, on_wait=waiting):
        instance = instance or DagsterInstance.get()
        while instance.get_run_records(active, limit=1):
            time.sleep(1)
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
    outcome = RefreshOutcome(success=result.success, run_id=result.run_id)
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                outcome.passed_checks += 1
            elif evaluation.blocking:
                why = evaluation.description or _metadata_text(evaluation.metadata)
                outcome.failed_checks.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} — {why}")
            else:
                outcome.warned_checks += 1
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            outcome.failed_steps.append(f"{event.step_key}: {event.message}")
    materialized = {e.asset_key for e in result.all_events if e.event_type == DagsterEventType.ASSET_MATERIALIZATION}
    outcome.skipped_assets = sorted(
        key.to_user_string() for key in job.asset_layer.executable_asset_keys if key not in materialized
    )
    return outcome


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
    from orchestration.serving.alerts import record_alert

    settings = load_settings()
    console.print(f"Refreshing from {', '.join(str(r) for r in settings.raw_roots)}" + (" (full)" if full else ""))
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
        outcome = run_refresh(settings, full=full, progress=progress)

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
        record_alert(
            settings.alerts_path,
            settings.alert_webhook,
            settings.serving_path,
            outcome.run_id,
            "warehouse_refresh_job",
            "; ".join(outcome.failed_checks + outcome.failed_steps) or "refresh failed",
        )
        console.print(f"  alert recorded in {settings.alerts_path}")
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
    _print_query(EXAMPLE_QUERY)


@app.command()
def status() -> None:
    """Last refreshes, the last publication, row counts per mart, checks and quarantine counts."""
    from dagster import DagsterInstance, RunsFilter

    settings = load_settings()
    runs = DagsterInstance.get().get_run_records(RunsFilter(job_name="warehouse_refresh_job"), limit=5)
    table = Table("run", "status", "started", "tags", title="Last refreshes")
    for record in runs:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.start_time)) if record.start_time else ""
        tags = ", ".join(f"{k}={v}" for k, v in record.dagster_run.tags.items() if k.startswith("warehouse/"))
        table.add_row(record.dagster_run.run_id[:8], record.dagster_run.status.value, started, tags)
    console.print(table)
    if not settings.serving_path.exists():
        console.print(f"[yellow]Nothing published yet at {settings.serving_path}.[/]")
        return
    with serving_connection() as conn:
        refresh_id, published_at = conn.execute(
            "select any_value(refresh_id), strftime(max(published_at), '%Y-%m-%d %H:%M:%S %Z') from meta.publication"
        ).fetchall()[0]
    console.print(f"Published {settings.serving_path}", soft_wrap=True)
    _print_query(
        "select mart, row_count as rows, inputs, strftime(inputs_last_changed_at, '%Y-%m-%d %H:%M') as "
        "inputs_changed from meta.publication order by mart",
        title=f"Marts of refresh {refresh_id[:8]}, published {published_at}",
        no_wrap=("mart",),
    )
    _print_query(
        "select left(refresh_id, 8) as refresh, any_value(refresh_passed) as passed, count(*) as checks, "
        "count(*) filter (where outcome = 'failed_blocking') as failed, count(*) filter (where outcome = 'warned') "
        "as warned, strftime(min(checked_at), '%Y-%m-%d %H:%M:%S') as checked_at from marts.mart_quality_history "
        "group by refresh_id order by min(checked_at) desc limit 5",
        title="Checks of recent refreshes",
    )
    _print_query(
        "select source_kind, stage, count(*) as rows from marts.mart_quarantine group by all order by all",
        title="Quarantine",
    )


@app.command()
def quarantine(
    limit: int = typer.Option(50, help="Rows to show."),
    show_all: bool = typer.Option(False, "--all", help="Show every row held back."),
) -> None:
    """What the last published refresh held back, and why: by file and reason, each reason printed once."""
    import duckdb

    with serving_connection() as conn:
        try:
            total = conn.execute("select count(*) from marts.mart_quarantine").fetchone()[0]
            rows = conn.execute(
                "select regexp_extract(source_file, '[^/]+$') as file, source_kind, stage, reason, "
                "count(*) over (partition by source_file, source_kind, stage, reason) as in_group, "
                "source_row, column_name, raw_value from marts.mart_quarantine "
                "order by source_kind, file, reason, source_row, column_name"
                + ("" if show_all else f" limit {int(limit)}")
            ).fetchall()
        except duckdb.Error as exc:
            _query_error(exc)
    shown = "" if len(rows) == total else f" (showing {len(rows)}: --all shows every one)"
    console.print(f"[bold]{total} rows held back[/] by the last publication{shown}", highlight=False)
    for (file, kind, stage, reason, in_group), group in groupby(rows, key=lambda row: row[:5]):
        console.print(f"\n[bold]{file}[/] · {kind} {stage} · {in_group} rows", highlight=False)
        console.print(Padding(Text(reason), (0, 0, 0, 2)))
        held = [row[5:] for row in group]
        has_value = any(value is not None for *_, value in held)
        table = Table("row", "column", *(["value"] if has_value else []), box=None, padding=(0, 2), pad_edge=True)
        for row in held:
            table.add_row(*cells(row if has_value else row[:2]))
        console.print(table)


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
        _fail(f"--map {map_measure!r}: expected one of {', '.join(MEASURES)}")

    settings = load_settings()
    if not settings.serving_path.exists():
        _fail(f"{settings.serving_path} does not exist yet: run `make run` first.")
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
        _fail(f"dbt docs generate failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    path = output or settings.docs_path
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target / "static_index.html", path)
    console.print(f"wrote {path} (one file, opens offline): open it in a browser", highlight=False)


@app.command()
def query(
    sql: str,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help=f"One of {', '.join(OUTPUT_FORMATS)}; parquet needs --output.")
    ] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file, not the terminal.")] = None,
) -> None:
    """Run SQL read-only against the published warehouse; print a table or write CSV, JSON, Markdown or Parquet."""
    import duckdb

    if output_format not in OUTPUT_FORMATS:
        _fail(f"unknown format {output_format!r}: use one of {', '.join(OUTPUT_FORMATS)}")
    if output_format == "parquet" and output is None:
        _fail("--format parquet writes a file: give it with --output PATH")
    try:
        check_read_only(sql)
    except (duckdb.Error, RefusedStatement) as exc:
        _fail(str(exc))
    if output_format == "table" and output is None:
        _print_query(sql)
        return
    with serving_connection() as conn:
        try:
            relation = conn.sql(sql)
            if relation is None:  # a PRAGMA that returns nothing
                _fail("the statement returned no result to write")
            if output_format == "parquet":  # written here: the connection may write no file
                import pyarrow.parquet as pq

                pq.write_table(relation.to_arrow_table(), output)
                text = None
            else:
                rows = relation.fetchall()
                text = (
                    _table_text(relation.columns, rows)
                    if output_format == "table"
                    else format_rows(relation.columns, rows, output_format)
                )
        except duckdb.Error as exc:
            _query_error(exc)
    if text is None:
        console.print(f"wrote {output}", highlight=False)
    elif output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)


def _table_text(columns: list[str], rows: list[tuple]) -> str:
    with console.capture() as captured:
        console.print(on_screen(console, columns, rows))
    return captured.get()


@contextmanager
def serving_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A reader's connection to the published warehouse (read-only, no access to other files), closed on
    exit so a later publish is seen."""
    settings = load_settings()
    if not settings.serving_path.exists():
        _fail(f"{settings.serving_path} does not exist yet: run `make run` first.")
    conn = connect_reader(settings.serving_path)
    try:
        yield conn
    finally:
        conn.close()


def _query_error(exc: Exception) -> NoReturn:
    import duckdb

    if isinstance(exc, duckdb.PermissionException):
        _fail(f"{exc}\nwarehouse query reads the published marts only: other files, URLs and extensions are off.")
    _fail(str(exc))


def _fail(message: str) -> NoReturn:
    console.print(f"[red]{message}[/]", highlight=False)
    raise typer.Exit(code=1)


def _print_query(sql: str, title: str | None = None, no_wrap: Iterable[str] = ()) -> None:
    import duckdb

    with serving_connection() as conn:
        try:
            cursor = conn.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            _query_error(exc)
    console.print(on_screen(console, columns, rows, title, no_wrap))
