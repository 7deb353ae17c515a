"""The suite server: a warm server that has GX imported before a check runs, with the same outcomes as
running the suite in this process, and a fall-back when there is none."""

import os
import subprocess
import sys
import textwrap
from datetime import date

import pandas as pd
import pytest

from orchestration.lib import suite_server, warm_servers
from orchestration.lib.expectations import run_rules
from orchestration.lib.suite_server import validate
from orchestration.lib.suites import Suite, prepare_documents

DOCUMENTS = Suite("documents", "document_rules")


def documents_frame() -> pd.DataFrame:
    """Four documents: good, without an id, without text, dated in the future (and a duplicate)."""
    frame = pd.DataFrame(
        {
            "document_id": ["a", None, "c", "d", "a"],
            "source_file": ["a.txt", "b.txt", "c.txt", "d.txt", "a.txt"],
            "text_chars": [120, 80, 0, 50, 120],
            "paragraph_count": [3, 2, 0, 1, 3],
            "published_on": [date(2021, 5, 1), None, None, date(2999, 1, 1), date(2021, 5, 1)],
            "is_truncated": [False, True, False, False, False],
        }
    )
    return prepare_documents(frame, date(2026, 12, 1))


def outcomes(found) -> list[tuple]:
    return [(o.rule.name, o.success, sorted(o.rows), o.detail) for o in found]


def test_listing_the_rules_does_not_import_gx():
    script = textwrap.dedent(
        """
        import sys
        import orchestration.defs.quality
        from orchestration.lib.suites import Suite
        for suite in (Suite("statistics", "statistics_rules", (frozenset(),)), Suite("documents", "document_rules"),
                      Suite("reference", "reference_rules")):
            assert suite.rules(), suite
        print(sorted(m for m in sys.modules if m.startswith("great_expectations")))
        """
    )
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def started_server() -> subprocess.Popen:
    suite_server.warm_up(60)
    return warm_servers._started[-1]


def test_the_server_gives_the_outcomes_of_the_suite_run_here(own_warm_servers, caplog):
    frame = documents_frame()
    here = outcomes(run_rules(frame, DOCUMENTS.name, DOCUMENTS.rules()))
    assert {name for name, success, _, _ in here if not success} == {
        "document_id_present",
        "has_text_after_cleaning",
        "published_between_1949_and_today",
        "one_row_per_file",
        "complete_text",
    }
    server = started_server()
    assert outcomes(validate(frame, DOCUMENTS)) == here
    assert outcomes(validate(frame, DOCUMENTS)) == here  # the next check, from the same warm state
    assert server.poll() is None and "running the documents suite here" not in caplog.text


def test_without_a_server_the_suite_runs_here(own_warm_servers, caplog):
    frame = documents_frame()
    expected = outcomes(run_rules(frame, DOCUMENTS.name, DOCUMENTS.rules()))
    assert outcomes(validate(frame, DOCUMENTS)) == expected
    assert "no suite server is there; running the documents suite here" in caplog.text
    server = started_server()
    server.kill()
    server.wait()  # its socket is left behind
    assert outcomes(validate(frame, DOCUMENTS)) == expected
    replacement = started_server()
    assert replacement is not server and outcomes(validate(frame, DOCUMENTS)) == expected


def exit_unless_in(pid: int) -> None:
    if os.getpid() != pid:
        os._exit(3)


class EndsAnotherProcessThatUnpicklesIt:
    """Harmless here (GX copies the frame with its attrs), the end of the server's child."""

    def __reduce__(self):
        return (exit_unless_in, (os.getpid(),))


def test_a_server_that_dies_before_it_answers_leaves_the_suite_to_the_check(own_warm_servers, caplog):
    server = started_server()
    frame = documents_frame()
    expected = outcomes(run_rules(frame, DOCUMENTS.name, DOCUMENTS.rules()))
    frame.attrs["poison"] = EndsAnotherProcessThatUnpicklesIt()  # the server's child dies reading the request
    assert outcomes(validate(frame, DOCUMENTS)) == expected
    assert "the suite server did not answer" in caplog.text and "running the documents suite here" in caplog.text
    assert server.poll() is None  # only the child died


def test_a_suite_that_fails_in_the_server_fails_the_check_with_its_traceback(own_warm_servers):
    server = started_server()
    broken = Suite("statistics", "statistics_rules", (None,))  # the code rule sorts its known codes
    frame = pd.DataFrame({"region_code": ["310000"], "value": [1.0]})
    with pytest.raises(RuntimeError, match="(?s)statistics suite failed in the suite server.*TypeError"):
        validate(frame, broken)
    assert outcomes(validate(documents_frame(), DOCUMENTS))  # the server answers the next request
    assert server.poll() is None
