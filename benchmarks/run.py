"""The benchmark behind ``make bench``; see ``benchmarks/__main__.py`` for what it measures."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benchmarks.generate_documents import generate
from benchmarks.generate_statistics import generate_statistics, register_benchmark_indicators
from orchestration.config import DBT_PROJECT_DIR, PROJECT_ROOT
from orchestration.documents.corpus import document_files, read_documents
from orchestration.lib.document_batches import stage_batch, start_helper, stop_helper
from orchestration.documents.places import load_gazetteer
from orchestration.raw_files.decoding import decode

BASELINE_PATTERN = re.compile(r"\d+(?:\.\d+)?(?:万亿|亿|万)?(?:元|人次|人|%)")
# Used when README.md has no analyst guide yet: what an analyst asks of the marts.
FALLBACK_QUERIES = (
    """select d.city_name_zh, f.year, f.value / 1e8 as gdp_100m_yuan, f.source
    from marts.fct_city_year f join marts.dim_city d using (city_code)
    where f.indicator = 'gdp' and d.cluster_id = 'yrd' order by f.year, f.value desc""",
    "select * from marts.mart_cluster_year order by cluster_id, year",
    """select cluster_id, count(distinct document_id) as documents from marts.mart_document_mentions
    group by cluster_id order by documents desc""",
    """select metric, year, count(*) as claims, median(value) as median_value from marts.fct_document_claims
    where entity_type = 'city' group by metric, year order by claims desc limit 20""",
    """select status, count(*) from marts.mart_claim_reconciliation group by status order by status""",
    """select date_trunc('month', published_on) as month, count(*) from marts.dim_document
    group by month order by month""",
)
TARGETS = {
    "full_refresh_seconds": 600.0,
    "peak_rss_bytes": 4 * 1024**3,
    "one_new_document_seconds": 10.0,
    "throughput_ratio": 0.5,
    "statistics_ratio": 0.5,
    "query_seconds": 0.1,
}


def median_time(function: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# ---------------------------------------------------------------------------------------------
# Documents


def baseline_documents(folder: Path) -> int:
    """Read every file's bytes, decode them, one regex pass: the floor for any document pipeline."""
    hits = 0
    for path in document_files((folder,)):
        text, _ = decode(Path(path).read_bytes())
        hits += len(BASELINE_PATTERN.findall(text))
    return hits


def pipeline_documents(folder: Path) -> int:
    """Read, decode, clean, metadata, places, claims, in one process."""
    gazetteer = load_gazetteer(DBT_PROJECT_DIR / "seeds")
    tables = read_documents((folder,), gazetteer, datetime.now(UTC))
    return len(tables["documents"])


def staged_documents(folder: Path) -> int:
    """What the documents asset's parse steps run: the same, a chunk at a time, staged as Parquet, with
    the parse helper (a second process) parsing every other chunk from 8,000 files on; its start-up is
    timed too."""
    from orchestration.defs.ingest_documents import TABLE_COLUMNS

    paths = document_files((folder,))
    start_helper(len(paths), [])
    try:
        with tempfile.TemporaryDirectory(prefix="bench-stage-") as staging:
            parsed, _ = stage_batch(paths, [], datetime.now(UTC), Path(staging), TABLE_COLUMNS)
    finally:
        stop_helper()
    return parsed


# ---------------------------------------------------------------------------------------------
# Refreshes, in a child process whose memory (with its own children: dbt) is sampled


@dataclass
class Run:
    seconds: float  # dg.materialize
    wall_seconds: float  # the whole process, with imports and loading the definitions
    peak_rss: int
    steps: dict[str, float] = field(default_factory=dict)


WARM_SERVERS = (b"orchestration.lib.suite_server", b"orchestration.lib.warm_dbt")


def _processes() -> Iterator[tuple[int, int, bytes]]:
    """(pid, parent pid, command line) of every process."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    yield int(entry), ppid, handle.read()
            except (OSError, IndexError, ValueError):
                continue


def _is_warm_server(cmdline: bytes) -> bool:
    return any(server in cmdline for server in WARM_SERVERS)


def stop_warm_servers(folder: str) -> None:
    """End the warm servers whose sockets are in ``folder``."""
    for pid, _, cmdline in _processes():
        if _is_warm_server(cmdline) and folder.encode() in cmdline:
            os.kill(pid, signal.SIGTERM)


def _tree_rss(root: int) -> int:
    """RSS of the run's process tree, and of the processes the warm servers fork to serve it (a server
    started by an earlier run is not the run's, but the child running its dbt or its suite is)."""
    children: dict[int, list[int]] = {}
    servers = []
    for pid, ppid, cmdline in _processes():
        if _is_warm_server(cmdline):
            servers.append(pid)
        children.setdefault(ppid, []).append(pid)
    total, seen, stack = 0, set(), [root] + [child for server in servers for child in children.get(server, [])]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def refresh(warehouse: Path, roots: list[Path], mode: str, extra_env: dict[str, str] | None = None) -> Run:
    command = [sys.executable, "-m", "benchmarks.refresh_child", str(warehouse), ":".join(map(str, roots)), mode]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1", **(extra_env or {})}
    env.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster"))
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(child.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if child.returncode or not lines or not json.loads(lines[-1])["success"]:
        sys.stderr.write(err.decode()[-5000:])
        raise SystemExit(f"benchmark refresh failed ({mode}, {roots})")
    report = json.loads(lines[-1])
    return Run(report["seconds"], wall, peak[0], report["steps"])


def one_new_document(warehouse: Path, roots: list[Path], folder: Path, extra_env: dict[str, str]) -> Run:
    added = new_document(folder)
    try:
        return refresh(warehouse, roots, "--documents", extra_env)
    finally:
        added.unlink()


def new_document(folder: Path) -> Path:
    path = folder / f"new_{time.time_ns()}.txt"
    path.write_text(
        "长三角观察\n新华社上海1月20日电 2020年，上海市地区生产总值为38700.58亿元，比上年增长1.7%。\n",
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------------------------------------
# Serving queries


def readme_queries(readme: Path) -> tuple[list[str], str]:
    """SQL blocks under the README's "Analyst guide" heading (and its sub-headings), or the fallback."""
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    queries, level = [], None
    for block in re.split(r"^(#{1,6} .*)$", text, flags=re.MULTILINE):
        heading = re.match(r"^(#{1,6}) ", block)
        if heading:
            depth = len(heading.group(1))
            if "analyst guide" in block.lower():
                level = depth
            elif level is not None and depth <= level:
                level = None
            continue
        if level is not None:
            queries += [q.strip() for q in re.findall(r"```sql\n(.*?)```", block, flags=re.DOTALL) if q.strip()]
    if queries:
        return queries, "README.md, analyst guide"
    return list(FALLBACK_QUERIES), "benchmarks/run.py (README.md has no SQL under an 'Analyst guide' heading)"


def time_queries(serving: Path, queries: list[str], repeats: int) -> list[tuple[str, float, int]]:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        out = []
        for sql in queries:
            statements = [s for s in sql.split(";") if s.strip()]
            rows = [0]

            def run(statements=statements, rows=rows) -> None:
                for statement in statements:
                    rows[0] = len(con.execute(statement).fetchall())

            run()  # warm: the first query of a connection loads the catalog
            seconds, _ = median_time(run, max(repeats, 5))
            out.append((" ".join(sql.split()), seconds, rows[0]))
        return out
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Statistics


def statistics_ingest(path: Path, database: Path) -> int:
    """Parse one table and write its three raw tables, as the statistics asset does."""
    from orchestration.defs.ingest_statistics import (
        FILE_COLUMNS,
        OBSERVATION_COLUMNS,
        QUARANTINE_COLUMNS,
        read_statistics,
    )
    from orchestration.lib.warehouse import replace_table

    frames = read_statistics({str(path): (0, path.read_bytes())}, datetime.now(UTC))
    with duckdb.connect(str(database)) as con:
        replace_table(con, "raw.statistics_observations", OBSERVATION_COLUMNS, frames["observations"])
        replace_table(con, "raw.statistics_quarantine", QUARANTINE_COLUMNS, frames["quarantine"])
        replace_table(con, "raw.statistics_files", FILE_COLUMNS, frames["files"])
    return len(frames["observations"])


def statistics_baseline(path: Path, database: Path) -> int:
    with duckdb.connect(str(database)) as con:
        con.execute("create or replace table t as select * from read_csv(?)", [str(path)])
        return con.execute("select count(*) from t").fetchall()[0][0]


# ---------------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = next(
            int(line.split()[1]) * 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        memory = 0
    return f"{os.cpu_count()} cores ({model}), {memory / 1024**3:.0f} GB RAM, {platform.system()} {platform.release()}"


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "orchestration", "dbt_project", "benchmarks"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--incremental-from", type=int, default=10000, help="one-new-document refresh at sizes >= N")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--units", type=int, default=2900, help="statistics: county-level units")
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--no-refresh", action="store_true", help="skip the refreshes and the serving queries")
    parser.add_argument("--workdir", type=Path, help="keep generated inputs here (default: a temporary folder)")
    parser.add_argument("--write", type=Path, help="write the tables as Markdown to this file")
    args = parser.parse_args(argv)

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC)
        docs_rows, refresh_rows, incremental_rows, query_rows, query_source = [], [], [], [], ""
        largest = max(args.sizes)
        for size in sorted(args.sizes):
            root = work / f"documents_{size}"
            folder = root / "documents"
            if not (folder.is_dir() and sum(1 for p in folder.iterdir() if not p.name.startswith("new_")) == size):
                generate(root, size, seed=0)
            for stale in folder.glob("new_*"):
                stale.unlink()
            megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
            baseline_documents(folder)  # warm the page cache: both read from memory
            repeats = 1 if size >= 100_000 else args.repeats  # a pipeline pass over 100,000 documents takes minutes
            base_s, _ = median_time(lambda folder=folder: baseline_documents(folder), repeats)
            pipe_s, _ = median_time(lambda folder=folder: pipeline_documents(folder), repeats)
            asset_s, _ = median_time(lambda folder=folder: staged_documents(folder), repeats)
            docs_rows.append((size, megabytes, size / base_s, size / pipe_s, size / asset_s))
            print(
                f"documents {size}: baseline {size / base_s:,.0f} docs/s, pipeline {size / pipe_s:,.0f} docs/s, "
                f"as the asset parses {size / asset_s:,.0f} docs/s"
            )
            if args.no_refresh:
                continue
            roots = [PROJECT_ROOT / "raw", root]
            with tempfile.TemporaryDirectory(prefix=f"bench-warehouse-{size}-") as warehouse:
                full = refresh(Path(warehouse), roots, "--full")
                refresh_rows.append((size, full, base_s))
                print(f"full refresh {size}: {full.seconds:.1f} s, peak {full.peak_rss / 1e9:.2f} GB")
                if size >= args.incremental_from:
                    # warm: the GX and dbt servers the full refresh started wait for it, as they wait for
                    # a sensor's refresh within WAREHOUSE_WARM_SECONDS of the last one; cold: none waits (a
                    # folder of their own), and the refresh starts them as `warehouse refresh` does; they
                    # idle as long as any (a shorter wait could end them before the run's dbt step asks)
                    warm = one_new_document(Path(warehouse), roots, folder, {})
                    with tempfile.TemporaryDirectory(prefix="w-") as elsewhere:
                        cold = one_new_document(Path(warehouse), roots, folder, {"TMPDIR": elsewhere})
                        stop_warm_servers(elsewhere)
                    incremental_rows.append((size, warm, cold, full))
                    print(f"one new document at {size}: {warm.seconds:.1f} s warm, {cold.seconds:.1f} s cold")
                if size == largest:
                    queries, query_source = readme_queries(PROJECT_ROOT / "README.md")
                    query_rows = time_queries(Path(warehouse) / "serving.duckdb", queries, args.repeats)

        register_benchmark_indicators()
        tables = generate_statistics(work / "statistics", args.units, args.years, args.indicators)
        stats_rows = []
        for layout, path in tables.items():
            rows = sum(1 for _ in open(path, "rb")) - 1
            with tempfile.TemporaryDirectory(prefix="bench-statistics-") as db:
                base = Path(db) / "base.duckdb"
                ingest = Path(db) / "ingest.duckdb"
                statistics_ingest(path, ingest)  # warm: imports and the page cache
                base_s, _ = median_time(lambda path=path, base=base: statistics_baseline(path, base), args.repeats)
                pipe_s, figures = median_time(lambda path=path, db=ingest: statistics_ingest(path, db), args.repeats)
            stats_rows.append((layout, rows, figures, path.stat().st_size / 1e6, rows / base_s, rows / pipe_s, pipe_s))
            print(f"statistics {layout}: baseline {rows / base_s:,.0f} rows/s, ingest {rows / pipe_s:,.0f} rows/s")

    say("# Benchmarks")
    say()
    say(f"Measured {stamp:%Y-%m-%d %H:%M} UTC on {machine()}; commit {commit()}.")
    say("Run with `make bench` (`.venv/bin/python -m benchmarks`); medians of "
        f"{args.repeats} runs (one at 100,000 documents and more), refreshes once per size.")  # fmt: skip
    say()
    say("## Documents: ingest + clean + extract")
    say()
    say(
        "| documents | MB | baseline: read + decode + one regex (docs/s) | pipeline, one process (docs/s) | ratio "
        "| as the asset parses: staged as Parquet, with the parse helper from 8,000 files (docs/s) | ratio "
        "| target ≥ 0.5 |"
    )
    say("|---:|---:|---:|---:|---:|---:|---:|---|")
    for size, mb, base, pipe, asset in docs_rows:
        ok = verdict(max(pipe, asset) / base >= TARGETS["throughput_ratio"])
        say(
            f"| {size:,} | {mb:.1f} | {base:,.0f} | {pipe:,.0f} | {pipe / base:.3f} | {asset:,.0f} "
            f"| {asset / base:.3f} | {ok} |"
        )
    if refresh_rows:
        say()
        say("## Full refresh (`--full`: every raw file re-read; bundled `raw/` + the synthetic documents)")
        say()
        say(
            "| documents | refresh (s) | whole process (s) "
            "| peak RSS: the run's processes and what the warm servers fork for it (GB) | documents step (s) "
            "| baseline: plain loop over the documents (s) | refresh / baseline | target < 600 s, < 4 GB |"
        )
        say("|---:|---:|---:|---:|---:|---:|---:|---|")
        for size, run, base_s in refresh_rows:
            ok = verdict(run.seconds < TARGETS["full_refresh_seconds"] and run.peak_rss < TARGETS["peak_rss_bytes"])
            docs_step = documents_seconds(run.steps)
            say(
                f"| {size:,} | {run.seconds:.1f} | {run.wall_seconds:.1f} | {run.peak_rss / 1024**3:.2f} "
                f"| {docs_step:.1f} | {base_s:.2f} | {run.seconds / base_s:.0f}× | {ok} |"
            )
        slowest = max(refresh_rows, key=lambda r: r[0])[1].steps
        say()
        say(f"Slowest steps of the largest full refresh: {_top_steps(slowest)}.")
    if incremental_rows:
        say()
        say("## One new document (the assets the file sensor selects: documents and everything downstream)")
        say()
        say(
            "Warm: the GX and dbt servers of the refresh before are waiting, as they wait for a refresh "
            "within `WAREHOUSE_WARM_SECONDS` (15 minutes) of the last one or of the file sensor's last tick. "
            "Cold: none is, and the refresh starts them before it loads the definitions, as `warehouse refresh` "
            "does, so part of their imports falls in the whole process's time, outside the refresh's."
        )
        say()
        say(
            "| documents | warm: refresh (s) | documents step (s) | cold: refresh (s) | whole process (s) "
            "| documents step (s) | full refresh (s) | warm / full | target < 10 s: warm | cold |"
        )
        say("|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for size, warm, cold, full in incremental_rows:
            ok = [verdict(run.seconds < TARGETS["one_new_document_seconds"]) for run in (warm, cold)]
            say(
                f"| {size:,} | {warm.seconds:.1f} | {documents_seconds(warm.steps):.2f} | {cold.seconds:.1f} "
                f"| {cold.wall_seconds:.1f} | {documents_seconds(cold.steps):.2f} | {full.seconds:.1f} "
                f"| {warm.seconds / full.seconds:.2f} | {ok[0]} | {ok[1]} |"
            )
        size, warm, cold, _ = incremental_rows[-1]
        say()
        say(f"Slowest steps at {size:,}, warm: {_top_steps(warm.steps)}; cold: {_top_steps(cold.steps)}.")
    if query_rows:
        say()
        say(f"## Serving queries at {largest:,} documents (queries from {query_source})")
        say()
        say("| query | rows | median (ms) | target < 100 ms |")
        say("|---|---:|---:|---|")
        for sql, seconds, rows in query_rows:
            shown = sql if len(sql) <= 90 else sql[:87] + "…"
            say(f"| `{shown}` | {rows} | {seconds * 1000:.1f} | {verdict(seconds < TARGETS['query_seconds'])} |")
    say()
    say(
        f"## Statistics ingest ({args.units:,} units × {args.years} years × {args.indicators} indicators; parse and "
        "write the three raw tables, as the asset does)"
    )
    say()
    say(
        "| layout | CSV rows | figures | MB | baseline: DuckDB read_csv into a table (rows/s) | ingest (rows/s) "
        "| ingest (s) | ratio | target ≥ 0.5 |"
    )
    say("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for layout, rows, figures, mb, base, pipe, pipe_s in stats_rows:
        ok = verdict(pipe / base >= TARGETS["statistics_ratio"])
        say(
            f"| {layout} | {rows:,} | {figures:,} | {mb:.1f} | {base:,.0f} | {pipe:,.0f} "
            + f"| {pipe_s:.2f} | {pipe / base:.3f} | {ok} |"
        )
    if args.write:
        args.write.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.write}")


def documents_seconds(steps: dict[str, float]) -> float:
    """Time in the documents asset: its plan, parse (one step per batch) and write steps together."""
    spent = [seconds for key, seconds in steps.items() if key == "documents" or key.startswith("documents.")]
    return sum(spent) if spent else float("nan")


def _top_steps(steps: dict[str, float]) -> str:
    top = sorted(steps.items(), key=lambda item: -item[1])[:4]
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in top)
