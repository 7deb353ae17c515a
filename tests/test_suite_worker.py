"""The suite worker: a child process that has GX imported before a check runs, with the same outcomes
as running the suite in this process, and a fall-back when it is gone."""

import subprocess
import sys
import textwrap
from datetime import date

import pandas as pd
import pytest

from orchestration.lib.expectations import run_rules
from orchestration.lib.suite_worker import WORKER, validate
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


def test_the_worker_gives_the_outcomes_of_the_suite_run_here():
    frame = documents_frame()
    here = outcomes(run_rules(frame, DOCUMENTS.name, DOCUMENTS.rules()))
    assert {name for name, success, _, _ in here if not success} == {
        "document_id_present",
        "has_text_after_cleaning",
        "published_between_1949_and_today",
        "one_row_per_file",
        "complete_text",
    }
    assert outcomes(validate(frame, DOCUMENTS)) == here


def test_a_worker_that_died_is_replaced_and_the_suite_still_runs(monkeypatch):
    frame = documents_frame()
    expected = outcomes(validate(frame, DOCUMENTS))
    first = WORKER._process
    first.kill()
    first.wait()
    assert outcomes(validate(frame, DOCUMENTS)) == expected  # started again for this request
    second = WORKER._process
    assert second is not first and second.poll() is None
    second.kill()
    second.wait()
    with monkeypatch.context() as patch:
        patch.setattr(WORKER, "start", lambda: None)  # it dies after the check found it running
        assert outcomes(validate(frame, DOCUMENTS)) == expected  # run in this process
    assert WORKER._process is None
    assert outcomes(validate(frame, DOCUMENTS)) == expected  # the next request has a worker again
    assert WORKER._process.poll() is None


def test_a_suite_that_fails_in_the_worker_fails_the_check_with_its_traceback():
    broken = Suite("statistics", "statistics_rules", (None,))  # the code rule sorts its known codes
    frame = pd.DataFrame({"region_code": ["310000"], "value": [1.0]})
    with pytest.raises(RuntimeError, match="(?s)statistics suite failed in the suite worker.*TypeError"):
        validate(frame, broken)
    assert outcomes(validate(documents_frame(), DOCUMENTS))  # the worker answers the next request
