"""The soak test (`make soak`, not in the default suite): many refreshes in a row, good and held by a
blocking check in turn, while two readers query the published warehouse all through.

Must hold: no reader ever gets an error; every publication a reader or the test opens is complete (each
mart holds the rows ``meta.publication`` says, each Parquet file too); a held refresh publishes nothing
(serving byte-identical) and shows in the quality history; every good figure added on the way is served
at the end. SOAK_REFRESHES sets how many refreshes (default 50). Prints its figures.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from orchestration.serving.query import READER_CONFIG
from tests.conftest import OBSERVATION_HEADER, REPO_RAW, run_refresh, sha256

pytestmark = pytest.mark.soak

READER = textwrap.dedent(
    """
    import json, sys, time, pathlib
    import duckdb
    serving, stop, config = sys.argv[1], pathlib.Path(sys.argv[2]), json.loads(sys.argv[3])
    queries, errors, incomplete, seen = 0, [], [], set()
    while not stop.exists():
        try:
            conn = duckdb.connect(serving, config=config)  # a new connection sees the last publication
            try:
                for _ in range(20):
                    published = conn.execute("select mart, row_count, refresh_id from meta.publication").fetchall()
                    for mart, rows, refresh_id in published:
                        seen.add(refresh_id)
                        counted = conn.execute(f"select count(*) from marts.{mart}").fetchall()[0][0]
                        if counted != rows:
                            incomplete.append(f"{refresh_id} {mart}: {counted} rows, published {rows}")
                    conn.execute("select * from marts.mart_cluster_year").fetchall()
                    queries += 1
                    time.sleep(0.01)
            finally:
                conn.close()
        except Exception as exc:
            errors.append(repr(exc))
    print(json.dumps({"queries": queries, "errors": errors, "incomplete": incomplete, "seen": len(seen)}))
    """
)


def publication_complete(serving, parquet_dir) -> str:
    """The refresh id of a complete publication (each mart and Parquet file as meta.publication says)."""
    with duckdb.connect(str(serving), config=dict(READER_CONFIG)) as conn:
        published = conn.execute("select mart, row_count, refresh_id from meta.publication").fetchall()
        for mart, rows, _ in published:
            assert conn.execute(f"select count(*) from marts.{mart}").fetchall()[0][0] == rows, mart
    with duckdb.connect() as conn:
        for mart, rows, _ in published:
            assert conn.execute(f"select count(*) from '{parquet_dir / (mart + '.parquet')}'").fetchall()[0][0] == rows
    return published[0][2]


def test_refreshes_good_and_held_in_turn_with_readers_querying_throughout(tmp_path):
    refreshes = int(os.environ.get("SOAK_REFRESHES", "50"))
    assert refreshes % 2 == 0, "SOAK_REFRESHES: an even number, held and good in turn"
    warehouse_dir, root = tmp_path / "wh", tmp_path / "soak"
    (root / "statistics").mkdir(parents=True)
    first = run_refresh(warehouse_dir, REPO_RAW, root)
    assert first.result.success, "\n".join(first.failures)
    serving, parquet_dir = first.settings.serving_path, first.settings.parquet_dir
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(serving), str(stop), json.dumps(READER_CONFIG)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    good_years, held_ids, published_ids, seconds = [], [], [first.result.run_id], []
    try:
        for number in range(refreshes):
            held = number % 2 == 0  # so the last one, with an even count, publishes the held ones' history
            if held:  # a file of figures that break a blocking rule: the statistics check holds the refresh
                (root / "statistics" / "held.csv").write_text(
                    f"{OBSERVATION_HEADER}\n420600,襄阳市,湖北省,2005,gdp,-5,亿元,soak held\n"
                )
            else:  # the held file gone, and one more good figure
                (root / "statistics" / "held.csv").unlink(missing_ok=True)
                good_years.append(1990 + len(good_years))
                rows = "".join(f"420600,襄阳市,湖北省,{year},gdp,{year - 1000},亿元,soak\n" for year in good_years)
                (root / "statistics" / "good.csv").write_text(f"{OBSERVATION_HEADER}\n{rows}")
            before = sha256(serving)
            started = time.perf_counter()
            refresh = run_refresh(warehouse_dir, REPO_RAW, root)
            seconds.append(time.perf_counter() - started)
            if held:
                assert not refresh.result.success and "statistics_observations_expectations" in refresh.failed_checks()
                assert sha256(serving) == before
                held_ids.append(refresh.result.run_id)
            else:
                assert refresh.result.success, "\n".join(refresh.failures)
                published_ids.append(refresh.result.run_id)
            assert publication_complete(serving, parquet_dir) == published_ids[-1]
    finally:
        stop.touch()
        seen = [json.loads(reader.communicate(timeout=120)[0].strip().splitlines()[-1]) for reader in readers]
    with duckdb.connect(str(serving), config=dict(READER_CONFIG)) as conn:
        served_years = [
            row[0]
            for row in conn.execute(
                "select year from marts.fct_city_year where city_code = '420600' and source = 'soak' order by year"
            ).fetchall()
        ]
        history = dict(
            conn.execute(
                "select refresh_id, bool_and(refresh_passed) from marts.mart_quality_history group by refresh_id"
            ).fetchall()
        )
    print(
        f"\nsoak: {refreshes} refreshes after the first ({len(published_ids) - 1} published, {len(held_ids)} held), "
        f"{sum(seconds):.0f} s, median {sorted(seconds)[len(seconds) // 2]:.1f} s each; readers: "
        + "; ".join(f"{s['queries']} queries, {len(s['errors'])} errors, {s['seen']} publications seen" for s in seen)
    )
    for reader in seen:
        assert reader["errors"] == [] and reader["incomplete"] == [] and reader["queries"] > 0
    assert served_years == good_years
    assert all(history.get(run_id) is False for run_id in held_ids)
    assert all(history.get(run_id) is True for run_id in published_ids)
