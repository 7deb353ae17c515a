"""Documents parsed in batches, one step each: several batches give the same rows as one."""

from __future__ import annotations

import dataclasses

import dagster as dg
import duckdb
import pytest

from orchestration.config import load_settings
from orchestration.defs.ingest_documents import documents
from orchestration.defs.resources import build_resources
from orchestration.lib.document_batches import batch_of, split_into_batches
from tests.conftest import REPO_RAW, SHARED_RAW, warehouse_definitions


def ingest_documents(warehouse_dir, batches: int, *roots) -> dg.ExecuteInProcessResult:
    settings = dataclasses.replace(
        load_settings({"WAREHOUSE_DIR": str(warehouse_dir), "WAREHOUSE_RAW_ROOTS": ":".join(map(str, roots))}),
        document_batches=batches,
    )
    defs = warehouse_definitions()
    return dg.materialize(
        [*defs.assets, *(defs.asset_checks or [])],
        selection=dg.AssetSelection.assets(*documents.keys),
        resources=build_resources(settings),
        raise_on_error=False,
    )


def lake_rows(warehouse_dir, table: str, order: str) -> list[tuple]:
    conn = duckdb.connect()
    try:
        # loaded_at is when each run read the files
        return conn.execute(
            f"select columns(lambda c: c <> 'loaded_at') "
            f"from read_parquet('{warehouse_dir}/lake/documents/{table}/*.parquet') order by {order}"
        ).fetchall()
    finally:
        conn.close()


def parse_steps(result: dg.ExecuteInProcessResult) -> list[str]:
    return sorted(
        e.step_key
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_SUCCESS and "parse" in e.step_key
    )


@pytest.fixture(scope="module")
def single_and_batched(tmp_path_factory, shared_raw):
    roots = (REPO_RAW, shared_raw)
    single_dir, batched_dir = tmp_path_factory.mktemp("one_batch"), tmp_path_factory.mktemp("five_batches")
    single = ingest_documents(single_dir, 1, *roots)
    batched = ingest_documents(batched_dir, 5, *roots)
    return (single_dir, single), (batched_dir, batched)


def test_batched_documents_run_one_step_per_batch(single_and_batched):
    (_, single), (_, batched) = single_and_batched
    assert single.success and batched.success
    assert len(parse_steps(single)) == 1
    assert len(parse_steps(batched)) > 1  # the bundled files fall into several of the five batches


def test_batched_documents_give_the_same_claims_as_one_batch(single_and_batched):
    (single_dir, _), (batched_dir, _) = single_and_batched
    claims_single = lake_rows(single_dir, "document_claims", "source_file, claim_index")
    assert claims_single, "the bundled documents state figures"
    assert lake_rows(batched_dir, "document_claims", "source_file, claim_index") == claims_single
    for table, order in [
        ("documents", "source_file"),
        ("document_paragraphs", "source_file, paragraph_index"),
        ("document_mentions", "source_file, paragraph_index, start_offset"),
        ("document_files", "source_file"),
    ]:
        assert lake_rows(batched_dir, table, order) == lake_rows(single_dir, table, order), table


def test_a_files_batch_depends_on_its_path_only():
    contents = {f"/raw/documents/{i}.txt": b"x" for i in range(40)}
    split = split_into_batches(contents, 4)
    assert sorted(p for files in split.values() for p in files) == sorted(contents)
    more = split_into_batches({**contents, "/raw/documents/new.txt": b"y"}, 4)
    for index, files in split.items():
        assert set(files) <= set(more[index])
    assert all(batch_of(p, 4) == i for i, files in split.items() for p in files)


def test_batches_fan_out_over_processes_with_the_multiprocess_executor(tmp_path, monkeypatch, single_and_batched):
    """The same rows when the five batches are parsed by separate processes (Dagster's multiprocess
    executor, as a deployment would run them; see dagster.yaml)."""
    from tests.fanout_job import documents_on_processes

    (single_dir, _), _ = single_and_batched
    warehouse_dir = tmp_path / "wh"
    for name, value in {
        "WAREHOUSE_DIR": str(warehouse_dir),
        "WAREHOUSE_RAW_ROOTS": f"{REPO_RAW}:{SHARED_RAW}",
        "WAREHOUSE_DOCUMENT_BATCHES": "5",
    }.items():
        monkeypatch.setenv(name, value)  # the step processes read their settings from the environment
    (tmp_path / "dagster_home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        with dg.execute_job(dg.reconstructable(documents_on_processes), instance=instance) as result:
            assert result.success
            parse_pids = {
                event.pid
                for event in result.all_events
                if event.event_type == dg.DagsterEventType.STEP_START and "parse" in event.step_key
            }
    assert len(parse_pids) > 1, "each batch should be parsed in a process of its own"
    order = "source_file, claim_index"
    assert lake_rows(warehouse_dir, "document_claims", order) == lake_rows(single_dir, "document_claims", order)


@pytest.fixture
def parse_helper():
    """The parse helper, started as the plan starts it for a large refresh."""
    from orchestration.lib.document_batches import HELPER, HELPER_MIN_FILES, start_helper, stop_helper

    start_helper(HELPER_MIN_FILES, [])
    yield HELPER
    stop_helper()


@pytest.mark.parametrize("helper", ["alone", "helped", "helper dies"])
def test_a_batch_staged_a_chunk_at_a_time_holds_the_rows_of_one_parse(tmp_path, request, monkeypatch, helper):
    """A parse step parses its files a few at a time (bounded memory), every other chunk in the parse
    helper when it runs, and all of them itself when the helper dies; the staged Parquet files hold
    exactly the rows one parse of all the files gives."""
    from datetime import UTC, datetime

    from orchestration.config import DBT_PROJECT_DIR
    from orchestration.defs.ingest_documents import TABLE_COLUMNS
    from orchestration.lib.corpus import document_files, parse_documents
    from orchestration.lib.document_batches import stage_batch, staged_files
    from orchestration.lib.places import load_gazetteer

    paths = [str(p) for p in document_files((REPO_RAW / "documents", SHARED_RAW / "documents"))]
    assert len(paths) > 4
    gazetteer = load_gazetteer(DBT_PROJECT_DIR / "seeds")
    loaded_at = datetime(2026, 1, 1, tzinfo=UTC)
    ddl = TABLE_COLUMNS
    folder = tmp_path / "batch_000"
    (folder / "documents").mkdir(parents=True)
    (folder / "documents" / "chunk-99999.parquet").write_bytes(b"left by a failed attempt")
    if helper != "alone":
        worker = request.getfixturevalue("parse_helper")
    if helper == "helper dies":
        send = worker.send

        def send_then_die(chunk):  # the helper is killed while it parses its first chunk
            send(chunk)
            worker._process.kill()

        monkeypatch.setattr(worker, "send", send_then_die)
    parsed, by_helper = stage_batch(paths, [], loaded_at, folder, ddl, chunk_files=2)
    assert parsed == len(paths)
    if helper == "helped":
        assert 0 < by_helper < parsed and worker.running
    else:
        assert by_helper == 0
    whole = parse_documents({p: open(p, "rb").read() for p in paths}, gazetteer, loaded_at)
    conn = duckdb.connect()
    try:
        for name, frame in whole.items():
            files = staged_files([folder], name)
            assert len(files) > 1, f"{name}: one file per chunk"
            columns = ", ".join(c for c in frame.columns if c != "loaded_at")
            query = f"select {columns} from read_parquet(?) order by all"
            staged = conn.execute(query, [[str(f) for f in files]]).fetchall()
            conn.register("whole", frame)
            expected = conn.execute(f"select {columns} from whole order by all").fetchall()
            conn.unregister("whole")
            assert staged == expected, name
    finally:
        conn.close()


def test_a_file_gone_before_its_batch_is_parsed_is_skipped_and_counted_as_deleted(tmp_path):
    """A file moved away after the plan listed it: its parse step parses the others, and the write step
    counts it as deleted (no manifest row, no rows), instead of failing the refresh."""
    from datetime import UTC, datetime

    from orchestration.defs.ingest_documents import TABLE_COLUMNS
    from orchestration.lib.document_batches import stage_batch, staged_files
    from orchestration.lib.incremental import drop_vanished, plan_files, previous_manifest

    folder = tmp_path / "documents"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.txt").write_text(
            f"长三角观察{name}\n2020年上海市地区生产总值为38700.58亿元。\n", encoding="utf-8"
        )
    conn = duckdb.connect()
    plan = plan_files(sorted(folder.iterdir()), previous_manifest(conn, "documents"), full=False, keep_content=False)
    (folder / "b.txt").unlink()
    ddl = TABLE_COLUMNS
    staged = tmp_path / "batch_000"
    assert stage_batch(list(plan.changed), [], datetime(2026, 1, 1, tzinfo=UTC), staged, ddl) == (1, 0)
    parsed = conn.execute(
        "select source_file, file_sha256 from read_parquet(?)",
        [[str(p) for p in staged_files([staged], "document_files")]],
    ).fetchall()
    assert [path for path, _ in parsed] == [str(folder / "a.txt")]

    plan.hashes.update(parsed)
    assert drop_vanished(plan) == [str(folder / "b.txt")]
    assert list(plan.changed) == [str(folder / "a.txt")] and plan.files == [str(folder / "a.txt")]
    assert plan.deleted == [str(folder / "b.txt")] and list(plan.stat) == [str(folder / "a.txt")]
    assert drop_vanished(plan) == []
