"""`warehouse status`, `quarantine` and `query`: what the last refresh published, read through a
read-only connection to the serving file (`orchestration/cli.py` registers them)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from orchestration.config import load_settings
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

console = Console()


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
    print_query(
        "select mart, row_count as rows, inputs, strftime(inputs_last_changed_at, '%Y-%m-%d %H:%M') as "
        "inputs_changed from meta.publication order by mart",
        title=f"Marts of refresh {refresh_id[:8]}, published {published_at}",
        no_wrap=("mart",),
    )
    print_query(
        "select left(refresh_id, 8) as refresh, any_value(refresh_passed) as passed, count(*) as checks, "
        "count(*) filter (where outcome = 'failed_blocking') as failed, count(*) filter (where outcome = 'warned') "
        "as warned, strftime(min(checked_at), '%Y-%m-%d %H:%M:%S') as checked_at from marts.mart_quality_history "
        "group by refresh_id order by min(checked_at) desc limit 5",
        title="Checks of recent refreshes",
    )
    print_query(
        "select source_kind, stage, count(*) as rows from marts.mart_quarantine group by all order by all",
        title="Quarantine",
    )


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
            query_error(exc)
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
        fail(f"unknown format {output_format!r}: use one of {', '.join(OUTPUT_FORMATS)}")
    if output_format == "parquet" and output is None:
        fail("--format parquet writes a file: give it with --output PATH")
    try:
        check_read_only(sql)
    except (duckdb.Error, RefusedStatement) as exc:
        fail(str(exc))
    if output_format == "table" and output is None:
        print_query(sql)
        return
    with serving_connection() as conn:
        try:
            relation = conn.sql(sql)
            if relation is None:  # a PRAGMA that returns nothing
                fail("the statement returned no result to write")
            if output_format == "parquet":  # written here: the connection may write no file
                import pyarrow.parquet as pq

                pq.write_table(relation.to_arrow_table(), output)
                text = None
            else:
                rows = relation.fetchall()
                text = (
                    table_text(relation.columns, rows)
                    if output_format == "table"
                    else format_rows(relation.columns, rows, output_format)
                )
        except duckdb.Error as exc:
            query_error(exc)
    if text is None:
        console.print(f"wrote {output}", highlight=False)
    elif output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)


def table_text(columns: list[str], rows: list[tuple]) -> str:
    with console.capture() as captured:
        console.print(on_screen(console, columns, rows))
    return captured.get()


@contextmanager
def serving_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A reader's connection to the published warehouse (read-only, no access to other files), closed on
    exit so a later publish is seen."""
    settings = load_settings()
    if not settings.serving_path.exists():
        fail(f"{settings.serving_path} does not exist yet: run `make run` first.")
    conn = connect_reader(settings.serving_path)
    try:
        yield conn
    finally:
        conn.close()


def query_error(exc: Exception) -> NoReturn:
    import duckdb

    if isinstance(exc, duckdb.PermissionException):
        fail(f"{exc}\nwarehouse query reads the published marts only: other files, URLs and extensions are off.")
    fail(str(exc))


def fail(message: str) -> NoReturn:
    console.print(f"[red]{message}[/]", highlight=False)
    raise typer.Exit(code=1)


def print_query(sql: str, title: str | None = None, no_wrap: Iterable[str] = ()) -> None:
    import duckdb

    with serving_connection() as conn:
        try:
            cursor = conn.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            query_error(exc)
    console.print(on_screen(console, columns, rows, title, no_wrap))
