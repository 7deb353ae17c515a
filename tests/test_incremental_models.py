"""Incremental document models (dbt_project/macros/incremental_documents.sql): after refreshes that add,
change and delete document files, copy a text under a second name, make one document a near-duplicate
of another and then not, and change an official figure, the marts equal those of a build from scratch
(a full refresh: every file read again, the lake written whole, every model rebuilt)."""

import shutil
import subprocess
import sys

import duckdb

from orchestration.config import SEEDS_DIR
from orchestration.defs import ingest_documents
from orchestration.documents.corpus import document_files
from tests.conftest import OBSERVATION_HEADER, approximately, build_rows, files_read, run_refresh

# the marts' load times and refresh ids differ between two builds by nature
NOT_COMPARED = {"mart_quality_history"}
LOAD_TIMES = ("loaded_at",)

PARAGRAPHS = [
    "长江三角洲城市群的经济体量持续扩大，上海市作为龙头城市带动了周边城市的协同发展。",
    "苏州市2018年地区生产总值为18597.47亿元，南京市2019年为14030.15亿元，两座城市都已超过1万亿元。",
    "《长江三角洲城市群发展规划》于2016年获批，规划范围包括上海市以及江苏、浙江、安徽三省的城市。",
    "放在全国看，2020年我国国内生产总值为1015986亿元，首次超过100万亿元，区域合作不断加深。",
]
OTHER = [
    "成渝地区双城经济圈建设稳步推进，重庆市与成都市之间的交通联系日益紧密，合作项目不断落地。",
    "2019年，杭州市地区生产总值为15373.05亿元，比上年有所增长，数字经济占比继续提高。",
    "长江中游城市群的武汉市、长沙市和南昌市在科技创新和产业协作方面开展了多项合作，成效明显。",
]


def text(title: str, paragraphs: list[str]) -> str:
    return "\n\n".join([title, *paragraphs]) + "\n"


def marts(serving) -> dict[str, list]:
    conn = duckdb.connect(str(serving), read_only=True)
    try:
        contents = {}
        names = [
            r[0] for r in conn.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        ]
        for name in sorted(set(names) - NOT_COMPARED):
            columns = {r[0] for r in conn.execute(f"describe marts.{name}").fetchall()}
            skip = [c for c in LOAD_TIMES if c in columns]
            star = f"* exclude ({', '.join(skip)})" if skip else "*"
            rows = conn.execute(f"select {star} from marts.{name} order by all").fetchall()
            contents[name] = [tuple(map(approximately, row)) for row in rows]
        return contents
    finally:
        conn.close()


def versions(settings) -> set[tuple]:
    """The version of each document dim_document holds: what an incremental build compares."""
    return set(build_rows(settings, "select document_id, source_file, loaded_at from marts.dim_document"))


UNVERSIONED_MARTS = ("fct_document_claims", "mart_document_mentions", "fct_document_dates")


def test_incremental_document_marts_equal_a_build_from_scratch(tmp_path, lean_raw):
    extra = tmp_path / "extra"
    documents, statistics = extra / "documents", extra / "statistics"
    documents.mkdir(parents=True)
    statistics.mkdir()

    def write(name: str, title: str, paragraphs: list[str]) -> None:
        (documents / name).write_text(text(title, paragraphs), encoding="utf-8")

    warehouse = tmp_path / "wh"
    write("a.txt", "长三角观察", PARAGRAPHS)
    write("b.txt", "城市群观察", OTHER)
    first = run_refresh(warehouse, lean_raw, extra)
    assert first.result.success
    before = versions(first.settings)

    # a near-duplicate of a (later by path), b changed, and a's text again under a name that sorts first
    write("c.txt", "长三角观察（续）", [*PARAGRAPHS[:3], OTHER[2]])
    write("b.txt", "城市群观察", [*OTHER[:2], "长江中游城市群的合作继续深化，武汉市、长沙市、南昌市联系更加紧密。"])
    shutil.copyfile(documents / "a.txt", documents / "0a.txt")
    refresh = run_refresh(warehouse, lean_raw, extra)
    assert refresh.result.success, "\n".join(refresh.failures)
    # only the documents of the files read again have new versions: the others are not built again
    assert 0 < len(versions(refresh.settings) ^ before) < 10

    # a's text changes (c is no longer its near-duplicate); a new document shares c's paragraphs; the
    # copy under the first name goes; a statistics file gives the official figure a claim in b names
    write(
        "a.txt", "长三角观察", OTHER[:1] + ["上海市2020年地区生产总值为38700.58亿元，约3.87万亿元，总量仍高于上一年。"]
    )
    write("e.txt", "长三角观察（再续）", [*PARAGRAPHS[:3], "安徽省合肥市近年来经济增长较快，科技创新能力不断增强。"])
    (documents / "0a.txt").unlink()
    (statistics / "hangzhou_2019.csv").write_text(
        f"{OBSERVATION_HEADER}\n330100,杭州市,浙江省,2019,gdp,15373.05,亿元,杭州市2019年国民经济和社会发展统计公报\n",
        encoding="utf-8",
    )
    assert run_refresh(warehouse, lean_raw, extra).result.success

    # a build database from before the rows carried their version: the next plain refresh builds those
    # tables whole (and adds the columns), as it does after an upgrade
    # (in a process of its own: dagster-dbt's adapter keeps the file open in this one)
    tables = ("intermediate.int_document_paragraphs_hashed", *(f"marts.{name}" for name in UNVERSIONED_MARTS))
    drop = "; ".join(f"alter table {t} drop column source_file; alter table {t} drop column loaded_at" for t in tables)
    script = f"import duckdb; duckdb.connect({str(refresh.settings.build_db_path)!r}).execute({drop!r}).close()"
    subprocess.run([sys.executable, "-c", script], check=True)

    # c goes: e was its near-duplicate
    (documents / "c.txt").unlink()
    refresh = run_refresh(warehouse, lean_raw, extra)
    assert refresh.result.success, "\n".join(refresh.failures)
    incremental = marts(refresh.settings.serving_path)

    assert_parquet_holds_the_marts(refresh.settings)

    # a full refresh (`warehouse refresh --full`) builds everything from scratch: every file read again, the
    # lake written whole, every model rebuilt (dbt build --full-refresh); the same marts
    full = run_refresh(warehouse, lean_raw, extra, full=True)
    assert full.result.success, "\n".join(full.failures)
    assert files_read(full)["raw/documents"] == len(document_files([lean_raw / "documents", documents]))
    expected = marts(full.settings.serving_path)
    assert incremental.keys() == expected.keys()
    for name in expected:
        assert incremental[name] == expected[name], name
    reconciled = [
        r for r in expected["mart_claim_reconciliation"] if r[4] == "330100" and r[6] == "gdp" and r[7] == 2019
    ]
    assert reconciled and all(r[-1] == "agrees" for r in reconciled)
    near = {r[0]: r[15] for r in expected["dim_document"]}
    assert any(near.values())  # the sequence leaves a near-duplicate link behind
    assert_parquet_holds_the_marts(full.settings)


def assert_parquet_holds_the_marts(settings) -> None:
    """Each mart's Parquet file (rewritten only when the mart changed) holds the served rows."""
    conn = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        tables = conn.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        for (name,) in tables:
            parquet = settings.parquet_dir / f"{name}.parquet"
            for first, second in ((f"marts.{name}", f"'{parquet}'"), (f"'{parquet}'", f"marts.{name}")):
                extra = conn.execute(f"select count(*) from (from {first} except all from {second})").fetchone()
                assert extra == (0,), name
    finally:
        conn.close()


def test_a_gazetteer_seed_edit_reaches_a_document_that_did_not_change(tmp_path, lean_raw, monkeypatch):
    """The gazetteer's seeds are part of what the documents were read with: a place name added to them
    reaches an unchanged document in the next refresh, without --full (every document is read again)."""
    extra = tmp_path / "extra"
    (extra / "documents").mkdir(parents=True)
    (extra / "documents" / "shencheng.txt").write_text(
        text("申城观察", ["申城的经济总量继续位居全国城市前列，长三角一体化发展持续推进，区域合作不断加深。"]),
        encoding="utf-8",
    )
    warehouse = tmp_path / "wh"
    mentions = (
        "select m.city_mentions, m.names_mentioned from marts.mart_document_mentions as m "
        "join marts.dim_document as d using (document_id) where d.title = '申城观察' and m.cluster_id = 'yrd'"
    )
    first = run_refresh(warehouse, lean_raw, extra)
    assert first.result.success, "\n".join(first.failures)
    [(cities, names)] = first.serving(mentions)
    assert cities == 0 and "申城" not in names

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    with (seeds / "place_aliases.csv").open("a", encoding="utf-8") as aliases:
        aliases.write("申城,city,310000,yrd,上海的别称\n")
    monkeypatch.setattr(ingest_documents, "SEEDS_DIR", seeds)
    refresh = run_refresh(warehouse, lean_raw, extra)
    assert refresh.result.success, "\n".join(refresh.failures)
    assert files_read(refresh)["raw/documents"] == len(document_files([lean_raw / "documents", extra / "documents"]))
    [(cities, names)] = refresh.serving(mentions)
    assert cities == 2 and "申城" in names  # in the title and the paragraph
