"""The serving file as readers see it: readable all through a publish, and the atomic replace itself."""

import json
import shutil
import subprocess
import sys
import textwrap

import duckdb
import pytest

from orchestration.lib.publish import publish_atomically, remove_stale_temporaries
from tests.conftest import REPO_RAW, run_refresh

READER = textwrap.dedent(
    """
    import json, sys, time, pathlib, duckdb
    serving, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    conn = duckdb.connect(serving, read_only=True)
    first = conn.execute("select any_value(refresh_id) from meta.publication").fetchone()[0]
    print("ready", flush=True)
    queries, errors = 0, []
    while not stop.exists():
        try:
            conn.execute("select count(*), sum(value) from marts.fct_city_year").fetchall()
            conn.execute("select * from marts.mart_cluster_year").fetchall()
            queries += 1
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    still = conn.execute("select any_value(refresh_id) from meta.publication").fetchone()[0]
    conn.close()
    conn = duckdb.connect(serving, read_only=True)
    after = conn.execute("select any_value(refresh_id) from meta.publication").fetchone()[0]
    print(json.dumps({"queries": queries, "errors": errors, "first": first, "still": still, "after": after}))
    """
)


def test_a_reader_keeps_querying_through_a_publish_and_sees_new_data_after_reconnecting(tmp_path, published_default):
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse_dir / "serving.duckdb"), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "ready"
        refresh = run_refresh(warehouse_dir, REPO_RAW)
        assert refresh.result.success
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["errors"] == [] and seen["queries"] > 0
    assert seen["first"] == seen["still"] == published_default.result.run_id
    assert seen["after"] == refresh.result.run_id
    assert not (warehouse_dir / "serving.duckdb.wal").exists()


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
