"""The serving file as readers see it: readable all through a publish, and the atomic replace itself."""

import json
import shutil
import subprocess
import sys
import textwrap

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.config import PROJECT_ROOT, load_settings
from orchestration.quality.history import history_rows
from orchestration.serving.publish import publish_atomically, publish_marts, remove_stale_temporaries
from tests.conftest import REPO_RAW, files_read, mart_contents, run_refresh, sha256

BI_TOOLS = PROJECT_ROOT / "docs" / "bi-tools.md"
READER = textwrap.dedent(
    """
    import json, sys, time, pathlib
    mode, serving, engine_code, stop = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
    if mode == "duckdb":
        import duckdb
        connect = lambda: duckdb.connect(serving, read_only=True)
        run = lambda conn, sql: conn.execute(sql).fetchall()
        release = lambda conn: conn.close()
        rollback = lambda conn: None
    else:  # a BI tool: SQLAlchemy with duckdb-engine, its engine built as docs/bi-tools.md shows
        import sqlalchemy
        documented = {}
        exec(engine_code, documented)
        engine = documented["engine"]
        connect = engine.connect
        run = lambda conn, sql: conn.execute(sqlalchemy.text(sql)).fetchall()
        release = lambda conn: conn.close()
        rollback = lambda conn: conn.rollback()
    refresh_id = "select any_value(refresh_id) from meta.publication"
    conn = connect()
    first = run(conn, refresh_id)[0][0]
    try:
        run(conn, "create table marts.scribble (x integer)")
        write = "accepted"
    except Exception as exc:
        write = type(exc).__name__
        rollback(conn)
    print("ready", flush=True)
    queries, errors = 0, []
    while not stop.exists():
        try:
            run(conn, "select count(*), sum(value) from marts.fct_city_year")
            run(conn, "select * from marts.mart_cluster_year")
            queries += 1
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    still = run(conn, refresh_id)[0][0]
    release(conn)
    conn = connect()
    after = run(conn, refresh_id)[0][0]
    print(json.dumps({"queries": queries, "errors": errors, "first": first, "still": still, "after": after,
                      "write": write}))
    """
)


def test_readers_keep_querying_through_a_publish_and_see_new_data_after_reconnecting(tmp_path, published_default):
    """A DuckDB client and a BI tool (SQLAlchemy, its engine as docs/bi-tools.md builds it) query all through
    a refresh's publish, and see the new publication when they connect again."""
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir, symlinks=True)
    serving = warehouse_dir / "serving.duckdb"
    url = load_settings({"WAREHOUSE_DIR": str(warehouse_dir)}).sqlalchemy_url
    documented = BI_TOOLS.read_text(encoding="utf-8").split("```python\n", 1)[1].split("with engine.connect()")[0]
    engine_code = documented.replace("duckdb:////srv/yangtze/warehouse/serving.duckdb?", url.split("?")[0] + "?")
    assert url in engine_code
    readers = {
        mode: subprocess.Popen(
            [sys.executable, "-c", READER, mode, str(serving), engine_code, str(tmp_path / "stop")],
            stdout=subprocess.PIPE,
            text=True,
        )
        for mode in ("duckdb", "sqlalchemy")
    }
    try:
        for reader in readers.values():
            assert reader.stdout.readline().strip() == "ready"
        refresh = run_refresh(warehouse_dir, REPO_RAW)
        assert refresh.result.success, "\n".join(refresh.failures)
    finally:
        (tmp_path / "stop").touch()
        outputs = {mode: reader.communicate(timeout=60)[0] for mode, reader in readers.items()}
    for mode, out in outputs.items():
        seen = json.loads(out.strip().splitlines()[-1])
        assert seen["errors"] == [] and seen["queries"] > 0, mode
        assert seen["first"] == seen["still"] == published_default.result.run_id, mode
        assert seen["after"] == refresh.result.run_id, mode
        assert seen["write"] != "accepted", f"{mode} could write to the published warehouse"
    assert not (warehouse_dir / "serving.duckdb.wal").exists()
    # nothing changed since the published refresh: no file was read, and the same marts were published
    assert set(files_read(refresh).values()) == {0}
    assert mart_contents(refresh) == mart_contents(published_default)


OUT_OF_THE_WAREHOUSE = [
    "select content from read_text('/etc/passwd')",
    "select * from read_csv('/etc/passwd')",
    "select * from glob('/etc/*')",
    "select * from read_parquet('https://example.com/x.parquet')",
]


@pytest.mark.parametrize("sql", OUT_OF_THE_WAREHOUSE)
def test_the_command_line_reads_nothing_outside_the_warehouse(published_default, monkeypatch, sql):
    monkeypatch.setenv("WAREHOUSE_DIR", str(published_default.settings.warehouse_dir))
    result = CliRunner().invoke(app, ["query", sql])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "root:" not in said
    assert "file system operations are disabled by configuration" in said
    assert "warehouse query reads the published marts only" in said


def test_the_command_line_still_writes_parquet_where_it_is_told(published_default, monkeypatch, tmp_path):
    monkeypatch.setenv("WAREHOUSE_DIR", str(published_default.settings.warehouse_dir))
    out = tmp_path / "clusters.parquet"
    sql = "select cluster_id, year, gdp_cities_reported from marts.mart_cluster_year order by all"
    result = CliRunner().invoke(app, ["query", "-f", "parquet", "-o", str(out), sql])
    assert result.exit_code == 0, result.output
    with duckdb.connect() as conn:
        assert conn.execute(f"select * from '{out}' order by all").fetchall() == published_default.serving(sql)


def test_a_bi_tool_with_the_documented_url_reads_the_marts_and_nothing_else(published_default):
    import sqlalchemy

    url = published_default.settings.sqlalchemy_url
    assert url.endswith("?access_mode=read_only&enable_external_access=false&lock_configuration=true")
    assert url.split("serving.duckdb")[1] in BI_TOOLS.read_text(encoding="utf-8")
    clusters = published_default.serving("select count(*) from marts.mart_cluster_year")  # closed before the engine
    engine = sqlalchemy.create_engine(url)
    try:
        for sql, refused in [
            *((sql, "file system operations are disabled by configuration") for sql in OUT_OF_THE_WAREHOUSE),
            ("set enable_external_access = true", "the configuration has been locked"),
            ("reset enable_external_access", "the configuration has been locked"),
            ("set lock_configuration = false", "the configuration has been locked"),
            ("attach '/tmp/elsewhere.duckdb'", "file system operations are disabled by configuration"),
            ("copy (select 1) to '/tmp/out.csv'", "file system operations are disabled by configuration"),
        ]:
            with engine.connect() as conn:
                with pytest.raises(sqlalchemy.exc.DBAPIError, match=refused):
                    conn.execute(sqlalchemy.text(sql))
        with engine.connect() as conn:
            rows = conn.execute(sqlalchemy.text("select count(*) from marts.mart_cluster_year")).fetchall()
        assert rows == clusters and clusters[0][0] > 0
    finally:
        engine.dispose()


def test_a_failed_build_leaves_the_target_and_no_temporary_file(tmp_path):
    target = tmp_path / "serving.duckdb"
    target.write_bytes(b"old")

    def broken(path):
        duckdb.connect(str(path)).close()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        publish_atomically(broken, target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb"]


def test_a_build_that_leaves_a_wal_is_not_published(tmp_path):
    target = tmp_path / "serving.duckdb"
    target.write_bytes(b"old")

    def leaves_wal(path):
        path.write_bytes(b"new")
        path.with_name(path.name + ".wal").write_bytes(b"log")

    with pytest.raises(RuntimeError, match="not checkpointed"):
        publish_atomically(leaves_wal, target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb"]


def test_stale_temporaries_of_a_killed_publish_are_removed(tmp_path):
    (tmp_path / ".serving.duckdb.abc.tmp").write_bytes(b"x")
    (tmp_path / ".serving.duckdb.abc.tmp.wal").write_bytes(b"x")
    (tmp_path / "serving.duckdb").write_bytes(b"keep")
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(p.name for p in removed) == [".serving.duckdb.abc.tmp", ".serving.duckdb.abc.tmp.wal"]
    assert [p.name for p in tmp_path.iterdir()] == ["serving.duckdb"]


# Less than one of DuckDB's 256 KiB blocks: every query that holds a block is over the limit.
TOO_LITTLE = {"WAREHOUSE_MEMORY_LIMIT": "200KB", "WAREHOUSE_MAX_TEMP_SIZE": "1MB"}


def test_a_build_over_the_memory_limit_fails_the_refresh_and_publishes_nothing(tmp_path, published_default):
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir, symlinks=True)
    serving = warehouse_dir / "serving.duckdb"
    before = sha256(serving), {p.name: sha256(p) for p in (warehouse_dir / "parquet").iterdir()}
    (warehouse_dir / "tmp").mkdir()
    (warehouse_dir / "tmp" / "duckdb_temp_storage-0.tmp").write_bytes(bytes(1024))  # a killed build's spill

    refresh = run_refresh(warehouse_dir, REPO_RAW, full=True, env=TOO_LITTLE)

    assert not refresh.result.success
    assert any("warehouse_models" in f and "Out of Memory Error" in f for f in refresh.failures), refresh.failures
    assert not {k for k in refresh.materialized if k.startswith(("marts/", "serving/"))}
    assert (sha256(serving), {p.name: sha256(p) for p in (warehouse_dir / "parquet").iterdir()}) == before
    assert not (warehouse_dir / "tmp").exists()


def test_a_publish_over_the_memory_limit_leaves_the_served_file(tmp_path, published_default):
    settings = load_settings({"WAREHOUSE_DIR": str(tmp_path / "wh"), **TOO_LITTLE})
    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.dim_city as select range as n, md5(range::varchar) as h from range(50000)")
    served = settings.serving_path
    served.parent.mkdir(parents=True)
    shutil.copyfile(published_default.settings.serving_path, served)
    before = sha256(served)
    with pytest.raises(duckdb.OutOfMemoryException):
        publish_marts(
            {"dim_city": "build.marts.dim_city"},
            served,
            settings.parquet_dir,
            refresh_id="over-the-limit",
            quality_history=history_rows([], None),
            mart_inputs={},
            inputs_changed_at={},
            attach=build,
            limits=settings.duckdb_limits,
        )
    assert sha256(served) == before
    assert sorted(p.name for p in served.parent.iterdir()) == ["serving.duckdb"]
