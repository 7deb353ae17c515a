"""Raw files that try to take the warehouse down or out of its raw roots: each is quarantined with its
reason, never followed, opened past its limit or let crash the refresh, and the rest publishes."""

import io
import os
import zipfile

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.raw_files.decoding import MAX_LINE_BYTES
from orchestration.serving.query import format_rows
from tests.conftest import OBSERVATION_HEADER, Refresh, run_refresh

GOOD_FIGURE = "330100,杭州市,浙江省,2016,gdp,11050.49,亿元,公报"
GOOD_DOCUMENT = "长三角城市群观察\n2020年，上海市地区生产总值为38700.58亿元。\n"


def zip_bomb() -> bytes:
    """An xlsx-named archive whose one part expands a thousandfold (64 MiB of zeros in some 64 KiB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", bytes(64 << 20))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Refresh:
    base = tmp_path_factory.mktemp("hostile")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text(f"{OBSERVATION_HEADER}\n310000,上海市,上海市,2016,gdp,1,亿元,secret\n")
    root = base / "root"
    statistics, documents = root / "statistics", root / "documents"
    statistics.mkdir(parents=True)
    documents.mkdir()
    files = {
        statistics / "good.csv": f"{OBSERVATION_HEADER}\n{GOOD_FIGURE}\n",
        statistics / "name\nwith a line break.csv": f"{OBSERVATION_HEADER}\n{GOOD_FIGURE}\n",
        statistics / "nul.csv": f"{OBSERVATION_HEADER}\n330200,宁波市,浙江省,2016,gdp,86\x0086.49,亿元,公报\n",
        statistics / "wide.csv": ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n",
        statistics / "formula.csv": f"{OBSERVATION_HEADER}\n330400,嘉兴市,浙江省,2016,gdp,=1+1,亿元,公报\n",
        statistics / "bomb.xlsx": zip_bomb(),
        statistics / "not_a_zip.xlsx": b"PK? no: a text file with an xlsx name\n",
        documents / "good.txt": GOOD_DOCUMENT,
        documents / "deep.html": "<div>" * 10_000 + "上海市地区生产总值为38700.58亿元。" + "</div>" * 10_000,
    }
    for path, content in files.items():
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    # a name that is not UTF-8, and links out of the root: to a file, and to a folder
    with open(os.path.join(os.fsencode(statistics), b"gbk_\xb3\xc7\xca\xd0.csv"), "wb") as handle:
        handle.write(f"{OBSERVATION_HEADER}\n{GOOD_FIGURE}\n".encode())
    (statistics / "linked.csv").symlink_to(outside / "secret.csv")
    (statistics / "linked_folder").symlink_to(outside, target_is_directory=True)
    (documents / "passwd.txt").symlink_to("/etc/passwd")
    # one line of 200 MB: a statistics file is read and refused for its line; a document is refused unread
    with open(statistics / "one_line.csv", "wb") as handle:
        handle.write(b"x" * (200 << 20))
    with open(documents / "one_line.txt", "wb") as handle:
        handle.truncate(200 << 20)  # sparse: its size alone refuses it
    refresh = run_refresh(base / "wh", root)
    (statistics / "one_line.csv").unlink()  # 200 MB the other tests need not keep
    assert refresh.result.success, "\n".join(refresh.failures)
    return refresh


def quarantined(refresh: Refresh, kind: str) -> dict[str, str]:
    rows = refresh.serving(
        "select source_file, reason from marts.mart_quarantine where source_kind = ? and stage = 'parse' "
        "and source_row is null",
        [kind],
    )
    return {path.rsplit("/", 1)[1]: reason for path, reason in rows}


def test_hostile_statistics_files_are_quarantined_with_their_reasons(hostile):
    held = quarantined(hostile, "statistics")
    expected = {
        "name\nwith a line break.csv": "file name holds a line break or control character",
        "nul.csv": "binary content: a NUL byte at offset",
        "wide.csv": "10,000 columns: more than the 1,000 a statistics table may have",
        "bomb.xlsx": "expands to 67,108,864 (a zip bomb?)",
        "not_a_zip.xlsx": "not an xlsx workbook: not a zip archive",
        "gbk_\ufffd\ufffd\ufffd\ufffd.csv": "file name is not UTF-8 text",
        "linked.csv": "a symbolic link (to",
        "linked_folder": "links in a raw root are never followed",
        "one_line.csv": f"a line of {200 << 20:,} bytes (from byte 0): longer than the {MAX_LINE_BYTES:,}",
    }
    assert set(held) == set(expected)
    for name, reason in expected.items():
        assert reason in held[name], name


def test_hostile_documents_are_quarantined_with_their_reasons(hostile):
    assert quarantined(hostile, "documents") == {
        "deep.html": "HTML nested more than 1,000 elements deep (at <div>)",
        "passwd.txt": "a symbolic link (to '/etc/passwd'): links in a raw root are never followed",
        "one_line.txt": f"{200 << 20:,} bytes: larger than the {4 << 20:,} a file of this kind may be",
    }


def test_the_rest_publishes_and_nothing_behind_a_link_is_read(hostile):
    assert hostile.serving(
        "select city_code, value, source from marts.fct_city_year where statistics_view = 'latest'"
    ) == [("330100", 1105049000000.0, "公报")]
    assert hostile.serving("select count(*) from marts.dim_document") == [(1,)]
    assert hostile.serving("select count(*) from marts.mart_quarantine where raw_value like '%secret%'") == [(0,)]


def test_a_formula_cell_is_kept_as_text_and_quoted_in_csv_output(hostile, monkeypatch):
    sql = "select raw_value from marts.mart_quarantine where source_file like '%formula.csv'"
    assert hostile.serving(sql) == [("=1+1",)]
    monkeypatch.setenv("WAREHOUSE_DIR", str(hostile.settings.warehouse_dir))
    written = CliRunner().invoke(app, ["query", "-f", "csv", sql])
    assert written.exit_code == 0, written.output
    assert written.output == "raw_value\n'=1+1\n"
    # numbers are never changed; texts a spreadsheet runs are, whatever their first character
    assert format_rows(["a", "b"], [(-5, "@SUM(A1)"), (1.5, "+1"), (2, "plain")], "csv") == (
        "a,b\n-5,'@SUM(A1)\n1.5,'+1\n2,plain\n"
    )


def test_a_second_refresh_reads_none_of_them_again(hostile):
    again = run_refresh(hostile.settings.warehouse_dir, *hostile.settings.raw_roots)
    assert again.result.success, "\n".join(again.failures)
    metadata = {
        e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
        for e in again.result.all_events
        if e.event_type.value == "ASSET_MATERIALIZATION" and e.asset_key.path[0] == "raw"
    }
    # one_line.csv is gone since the first refresh: the only change
    assert metadata["raw/statistics_observations"]["files_deleted"].value == 1
    assert metadata["raw/documents"]["files_read"].value == 0


def test_a_linked_reference_table_is_a_clear_error_not_a_read(tmp_path):
    from orchestration.reference.tables import REFERENCE_TABLES, ReferenceFileError, read_reference

    (tmp_path / "elsewhere.csv").write_text("level,code\n")
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "admin_divisions.csv").symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(ReferenceFileError, match="admin_divisions.csv: a symbolic link .* never followed"):
        read_reference(REFERENCE_TABLES[0], [folder])
