"""The benchmark behind ``make bench``; see ``benchmarks/__main__.py`` for what it measures."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
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
from benchmarks.generate_statistics import benchmark_catalogue, generate_statistics
from orchestration.config import DEFAULT_PARSE_PROCESSES, PROJECT_ROOT, SEEDS_DIR
from orchestration.documents.corpus import document_files, parse_to_parquet, read_documents
from orchestration.documents.places import load_gazetteer
from orchestration.raw_files.decoding import decode

# jieba segments about 160 documents a second here: over a larger corpus, an even sample of this many
JIEBA_SAMPLE = 10_000
# Used when docs/analyst-guide.md has no queries: what an analyst asks of the marts.
FALLBACK_QUERIES = (
    """select d.city_name_zh, f.year, f.value / 1e8 as gdp_100m_yuan, f.source
    from marts.fct_city_year f join marts.dim_city d using (city_code)
    where f.indicator = 'gdp' and d.cluster_id = 'yrd' and f.statistics_view = 'latest'
    order by f.year, f.value desc""",
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
    "full_refresh_seconds": 120.0,  # at 100,000 documents
    "peak_rss_bytes": 4 * 1024**3,
    "one_new_document_floor_ratio": 1.5,  # one new document at 100,000, over the stack's floor
    "throughput_jieba_ratio": 10.0,  # documents parsed as the asset parses, over jieba's segmentation
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


def jieba_documents(folder: Path) -> tuple[int, float]:
    """A peer pipeline's cost: read, decode and segment each text with jieba (its dictionary loaded
    first, untimed), over the corpus or an even sample of ``JIEBA_SAMPLE`` files. Returns (documents,
    seconds)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    paths = document_files((folder,))
    sample = paths[:: max(1, -(-len(paths) // JIEBA_SAMPLE))]
    start = time.perf_counter()
    for path in sample:
        text, _ = decode(Path(path).read_bytes())
        jieba.lcut(text)
    return len(sample), time.perf_counter() - start


def pipeline_documents(folder: Path) -> int:
    """Read, decode, clean, metadata, places, claims, in one process."""
    tables = read_documents((folder,), load_gazetteer(SEEDS_DIR), datetime.now(UTC))
    return len(tables["documents"])


def asset_documents(folder: Path) -> int:
    """What the documents asset runs: the same, a chunk at a time written as Parquet, in
    WAREHOUSE_PARSE_PROCESSES processes (the cores) from two chunks on."""
    paths = document_files((folder,))
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as parsed:
        parse_to_parquet(paths, Path(parsed), SEEDS_DIR, [], datetime.now(UTC), DEFAULT_PARSE_PROCESSES)
    return len(paths)


# ---------------------------------------------------------------------------------------------
# Refreshes, in a child process whose memory (with its own children: dbt) is sampled


@dataclass
class Run:
    seconds: float  # dg.materialize
    wall_seconds: float  # the whole process, with imports and loading the definitions
    peak_rss: int
    steps: dict[str, float] = field(default_factory=dict)


def _processes() -> Iterator[tuple[int, int]]:
    """(pid, parent pid) of every process."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    yield int(entry), int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue


def _tree_rss(root: int) -> int:
    """RSS of the run's process tree: the run, dbt and any parse processes."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _processes():
        children.setdefault(ppid, []).append(pid)
    total, seen, stack = 0, set(), [root]
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


def refresh(warehouse: Path, roots: list[Path] | None, mode: str) -> Run:
    raw_roots = ":".join(map(str, roots)) if roots else "-"
    command = [sys.executable, "-m", "benchmarks.refresh_child", str(warehouse), raw_roots, mode]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
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


def one_new_document(warehouse: Path, roots: list[Path], folder: Path) -> Run:
    added = new_document(folder)
    try:
        return refresh(warehouse, roots, "--documents")
    finally:
        added.unlink()


FLOOR_MODEL = "select 1 as x"  # models/trivial.sql


def floor_project(folder: Path) -> Path:
    """A dbt project of one trivial model on DuckDB, parsed (the manifest its assets load)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "models").mkdir(exist_ok=True)
    (folder / "models" / "trivial.sql").write_text(FLOOR_MODEL, encoding="utf-8")
    project = (
        "name: floor\nversion: '1.0'\nconfig-version: 2\nprofile: floor\nmodels: {floor: {+materialized: table}}\n"
    )
    (folder / "dbt_project.yml").write_text(project, encoding="utf-8")
    profile = f"floor:\n  target: duckdb\n  outputs:\n    duckdb: {{type: duckdb, path: '{folder / 'floor.duckdb'}'}}\n"
    (folder / "profiles.yml").write_text(profile, encoding="utf-8")
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [str(dbt), "parse", "--quiet", "--project-dir", str(folder), "--profiles-dir", str(folder)],
        check=True,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"},
    )
    return folder


def floor(work: Path, repeats: int) -> Run:
    """The stack's floor (``benchmarks.refresh_child --floor``), the median of ``repeats`` runs."""
    project = floor_project(work / "floor")
    runs = [refresh(project, None, "--floor") for _ in range(max(1, repeats))]
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


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
    """SQL blocks under a page's "Analyst guide" heading (and its sub-headings), or the fallback."""
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
        return queries, f"{readme.name}, analyst guide"
    return list(FALLBACK_QUERIES), f"benchmarks/run.py ({readme.name} has no SQL under an 'Analyst guide' heading)"


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


def statistics_ingest(path: Path, folder: Path, catalogue) -> int:
    """Parse one table and write the lake's three statistics tables, as the statistics asset does."""
    from orchestration.lake.tables import write_table
    from orchestration.statistics.tables import FILE_COLUMNS, OBSERVATION_COLUMNS, QUARANTINE_COLUMNS, read_statistics

    frames, _ = read_statistics({str(path): 0}, datetime.now(UTC), catalogue)
    with duckdb.connect() as con:
        for name, columns in (
            ("observations", OBSERVATION_COLUMNS),
            ("quarantine", QUARANTINE_COLUMNS),
            ("files", FILE_COLUMNS),
        ):
            con.register(f"_{name}", frames[name])
            write_table(con, folder / name, columns, f"select * from _{name}")
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
    parser.add_argument("--no-refresh", action="store_true", help="skip the refreshes, the floor and the queries")
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
        stack_floor = None if args.no_refresh else floor(work, args.repeats)
        if stack_floor is not None:
            print(f"floor: {stack_floor.seconds:.1f} s")
        largest = max(args.sizes)
        for size in sorted(args.sizes):
            root = work / f"documents_{size}"
            folder = root / "documents"
            if not (folder.is_dir() and sum(1 for p in folder.iterdir() if not p.name.startswith("new_")) == size):
                generate(root, size, seed=0)
            for stale in folder.glob("new_*"):
                stale.unlink()
            megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
            sampled, jieba_s = jieba_documents(folder)  # also warms the page cache: every pass reads from memory
            repeats = 1 if size >= 100_000 else args.repeats  # a pass over 100,000 documents takes minutes
            pipe_s, _ = median_time(lambda folder=folder: pipeline_documents(folder), repeats)
            asset_s, _ = median_time(lambda folder=folder: asset_documents(folder), repeats)
            docs_rows.append((size, megabytes, sampled, sampled / jieba_s, size / pipe_s, size / asset_s))
            print(
                f"documents {size}: jieba {sampled / jieba_s:,.0f} docs/s, pipeline {size / pipe_s:,.0f} docs/s, "
                f"as the asset parses {size / asset_s:,.0f} docs/s"
            )
            if args.no_refresh:
                continue
            roots = [PROJECT_ROOT / "raw", root]
            with tempfile.TemporaryDirectory(prefix=f"bench-warehouse-{size}-") as warehouse:
                full = refresh(Path(warehouse), roots, "--full")
                refresh_rows.append((size, full))
                print(f"full refresh {size}: {full.seconds:.1f} s, peak {full.peak_rss / 1e9:.2f} GB")
                if size >= args.incremental_from:
                    one = one_new_document(Path(warehouse), roots, folder)
                    incremental_rows.append((size, one, full))
                    ratio = one.seconds / stack_floor.seconds
                    print(f"one new document at {size}: {one.seconds:.1f} s ({ratio:.2f}× floor)")
                if size == largest:
                    queries, query_source = readme_queries(PROJECT_ROOT / "docs" / "analyst-guide.md")
                    query_rows = time_queries(Path(warehouse) / "serving.duckdb", queries, args.repeats)

        from orchestration.statistics.units import read_catalogue

        catalogue = benchmark_catalogue(read_catalogue(SEEDS_DIR / "indicators.csv"))
        tables = generate_statistics(work / "statistics", args.units, args.years, args.indicators)
        stats_rows = []
        for layout, path in tables.items():
            rows = sum(1 for _ in open(path, "rb")) - 1
            with tempfile.TemporaryDirectory(prefix="bench-statistics-") as db:
                base = Path(db) / "base.duckdb"
                lake = Path(db) / "lake"
                statistics_ingest(path, lake, catalogue)  # warm: imports and the page cache
                base_s, _ = median_time(lambda path=path, base=base: statistics_baseline(path, base), args.repeats)
                pipe_s, figures = median_time(
                    lambda path=path, lake=lake: statistics_ingest(path, lake, catalogue), args.repeats
                )
            stats_rows.append((layout, rows, figures, path.stat().st_size / 1e6, rows / base_s, rows / pipe_s, pipe_s))
            print(f"statistics {layout}: baseline {rows / base_s:,.0f} rows/s, ingest {rows / pipe_s:,.0f} rows/s")

    say("# Benchmarks")
    say()
    say(f"Measured {stamp:%Y-%m-%d %H:%M} UTC on {machine()}; commit {commit()}.")
    say("Run with `make bench` (`.venv/bin/python -m benchmarks`); medians of "
        f"{args.repeats} runs (one at 100,000 documents and more), refreshes once per size.")  # fmt: skip
    if stack_floor is not None:
        say()
        say("## The stack's floor")
        say()
        say(
            "An in-process Dagster run (`dg.materialize`) of one trivial asset and, through the same "
            f"`DbtCliResource` and row counts as the warehouse, `dbt build` of one trivial model (`{FLOOR_MODEL}`) on "
            f"DuckDB: {stack_floor.seconds:.1f} s (median of {max(1, args.repeats)}; slowest step "
            f"{_top_steps(stack_floor.steps)}). What no refresh of this stack can go below."
        )
    say()
    say("## Documents: ingest + clean + extract")
    say()
    say(
        f"Beside a peer pipeline's cost: reading, decoding and segmenting each text with jieba (over an even "
        f"sample of at most {JIEBA_SAMPLE:,} files of the corpus). As the asset parses: a chunk of 2,000 files "
        f"at a time written as Parquet, in {DEFAULT_PARSE_PROCESSES} processes from two chunks on."
    )
    say()
    say(
        "| documents | MB | jieba: files segmented | jieba (docs/s) | pipeline, one process (docs/s) "
        "| as the asset parses (docs/s) | asset / jieba | target ≥ 10× |"
    )
    say("|---:|---:|---:|---:|---:|---:|---:|---|")
    for size, mb, sampled, jieba, pipe, asset in docs_rows:
        ok = verdict(asset / jieba >= TARGETS["throughput_jieba_ratio"])
        say(
            f"| {size:,} | {mb:.1f} | {sampled:,} | {jieba:,.0f} | {pipe:,.0f} | {asset:,.0f} "
            f"| {asset / jieba:.1f}× | {ok} |"
        )
    if refresh_rows:
        say()
        say("## Full refresh (`--full`: every raw file re-read; bundled `raw/` + the synthetic documents)")
        say()
        say(
            "| documents | refresh (s) | whole process (s) | peak RSS of the run, dbt and the parse processes (GB) "
            "| documents step (s) | refresh / floor | target at 100,000: ≤ 120 s, ≤ 4 GB |"
        )
        say("|---:|---:|---:|---:|---:|---:|---|")
        for size, run in refresh_rows:
            ok = verdict(run.seconds <= TARGETS["full_refresh_seconds"] and run.peak_rss <= TARGETS["peak_rss_bytes"])
            say(
                f"| {size:,} | {run.seconds:.1f} | {run.wall_seconds:.1f} | {run.peak_rss / 1024**3:.2f} "
                f"| {documents_seconds(run.steps):.1f} | {run.seconds / stack_floor.seconds:.1f}× "
                f"| {ok if size >= 100_000 else '—'} |"
            )
        slowest = max(refresh_rows, key=lambda r: r[0])[1].steps
        say()
        say(f"Slowest steps of the largest full refresh: {_top_steps(slowest)}.")
    if incremental_rows:
        say()
        say("## One new document (the assets the file sensor selects: documents and everything downstream)")
        say()
        say(
            "| documents | refresh (s) | whole process (s) | documents step (s) | floor (s) | refresh / floor "
            "| refresh / full refresh | target at 100,000: ≤ 1.5× floor |"
        )
        say("|---:|---:|---:|---:|---:|---:|---:|---|")
        for size, one, full in incremental_rows:
            ratio = one.seconds / stack_floor.seconds
            ok = verdict(ratio <= TARGETS["one_new_document_floor_ratio"]) if size >= 100_000 else "—"
            say(
                f"| {size:,} | {one.seconds:.1f} | {one.wall_seconds:.1f} | {documents_seconds(one.steps):.2f} "
                f"| {stack_floor.seconds:.1f} | {ratio:.2f}× | {one.seconds / full.seconds:.2f} | {ok} |"
            )
        size, one, _ = incremental_rows[-1]
        say()
        say(f"Slowest steps at {size:,}: {_top_steps(one.steps)}.")
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
        "write the lake's three statistics tables, as the asset does)"
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
    """Time in the documents asset."""
    return steps.get("documents", float("nan"))


def _top_steps(steps: dict[str, float]) -> str:
    top = sorted(steps.items(), key=lambda item: -item[1])[:4]
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in top)
