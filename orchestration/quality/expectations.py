"""Run the rules of ``rules.py`` with Great Expectations 1.x (ephemeral, on pandas frames): the rows that
break row rules (``rule_failures``, at ingest), and a source's verdict on its lake copy (``gate``, in its
blocking check)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from orchestration.quality.rules import (
    FILE_FAILURE_THRESHOLD,
    Rule,
    files_within_threshold_rule,
    row_rules,
    table_rules,
)

MAX_SAMPLE_ROWS = 10
# one row per row that broke a rule: the rule-failure tables of the lake ("name type, ...")
RULE_FAILURE_COLUMNS = """
    source_file varchar, source_row integer, record_key varchar, rule varchar, rule_kind varchar,
    severity varchar, why varchar, loaded_at timestamptz
"""
FAILURE_COLUMNS = ["source_file", "source_row", "record_key", "rule", "rule_kind", "severity", "why"]


@dataclass
class RuleOutcome:
    rule: Rule
    success: bool
    rows: list[int] = field(default_factory=list)  # positions in the frame that broke the rule
    detail: str = ""


def import_gx():
    """GX (seconds to import), with its logging quiet."""
    import great_expectations as gx
    import great_expectations.expectations  # noqa: F401 - the rules' expectations

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def run_rules(frame: pd.DataFrame, name: str, rules: list[Rule]) -> list[RuleOutcome]:
    """Validate ``frame`` against every rule in one GX suite; one outcome per rule."""
    if not rules:
        return []
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    frame = frame.reset_index(drop=True)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    expectations = []
    for rule in rules:
        expectation = rule.expectation()
        expectation.meta = {"rule": rule.name}
        expectations.append(expectation)
    batch = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe(name)
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(
        gx.ExpectationSuite(name=name, expectations=expectations), result_format={"result_format": "COMPLETE"}
    )
    by_rule = {rule.name: rule for rule in rules}
    outcomes = []
    for item in result.results:
        rule = by_rule[item.expectation_config.meta["rule"]]
        rows = list(item.result.get("unexpected_index_list") or [])
        detail = ""
        if not item.success and not rows:
            observed = item.result.get("observed_value") or item.result.get("details") or item.exception_info
            detail = str(observed)[:300]
        outcomes.append(RuleOutcome(rule, bool(item.success), rows, detail))
    return outcomes


def rule_failures(
    frame: pd.DataFrame, name: str, rules: list[Rule], record_key: Callable[[pd.DataFrame], pd.Series]
) -> pd.DataFrame:
    """One row per row of ``frame`` and row rule it breaks (``FAILURE_COLUMNS``): the row's file, row
    number and ``record_key`` (what names the record within its row), and the rule's name, kind,
    severity and why."""
    frame = frame.reset_index(drop=True)
    failing = []
    for outcome in run_rules(frame, name, row_rules(rules)) if len(frame) else []:
        rule = outcome.rule
        failing += [(row, rule.name, rule.kind, rule.severity, rule.why) for row in outcome.rows]
    positions = pd.DataFrame(failing, columns=["position", "rule", "rule_kind", "severity", "why"])
    rows = frame.iloc[positions["position"]].reset_index(drop=True)
    return pd.DataFrame(
        {
            "source_file": rows["source_file"].astype(object),
            "source_row": rows["source_row"] if "source_row" in rows else None,
            "record_key": record_key(rows).astype(object) if len(rows) else pd.Series([], dtype=object),
            **{column: positions[column] for column in ["rule", "rule_kind", "severity", "why"]},
        },
        columns=FAILURE_COLUMNS,
    )


@dataclass
class Verdict:
    """What a source's gate says: files over the threshold, table rules that failed, warnings."""

    rows_checked: int
    rows_failed: int  # rows breaking blocking rules (quarantined)
    failed_files: dict[str, list[str]]  # file -> lines naming rule, share of rows and first rows
    table_failures: list[str]
    failed_rules: list[str]  # the rules that hold the source back
    warnings: list[str]
    sample: list[dict]  # the first rows breaking blocking rules

    @property
    def passed(self) -> bool:
        return not self.failed_files and not self.table_failures

    def summary(self) -> str:
        if self.passed:
            return "all blocking rules passed" + (f"; warnings: {'; '.join(self.warnings)}" if self.warnings else "")
        lines = [f"table rule failed: {line}" for line in self.table_failures]
        for path, reasons in self.failed_files.items():
            lines.append(f"{path}: " + "; ".join(reasons))
        return "\n".join(lines)


def gate(frame: pd.DataFrame, failures: pd.DataFrame, name: str, rules: list[Rule]) -> Verdict:
    """The verdict on a source's lake copy: ``frame`` holds its rows, ``failures`` the rows of its
    rule-failure table. GX runs the table rules on ``frame`` and, on one row per file, the rule that at
    most ``FILE_FAILURE_THRESHOLD`` of the file's rows break blocking rules."""
    frame = frame.reset_index(drop=True)
    failed_tables = [
        outcome
        for outcome in run_rules(frame, name, table_rules(rules))
        if not outcome.success and outcome.rule.severity == "block"
    ]
    table_failures = [f"{o.rule.name}: {o.detail} ({o.rule.why})" for o in failed_tables]
    blocking = failures[failures["severity"] == "block"]
    records = blocking.drop_duplicates(["source_file", "source_row", "record_key"])
    totals = frame["source_file"].value_counts()
    failed_per_file = records["source_file"].value_counts()
    shares = pd.DataFrame({"rows": totals}).join(failed_per_file.rename("failed")).fillna({"failed": 0})
    shares["failed_share"] = shares["failed"] / shares["rows"]
    shares = shares.reset_index(names="source_file")
    (threshold,) = run_rules(shares, f"{name}_files", [files_within_threshold_rule()])
    failed_files, failed_rules = {}, {o.rule.name for o in failed_tables}
    for position in threshold.rows:
        path, rows = shares.loc[position, "source_file"], int(shares.loc[position, "rows"])
        in_file = blocking[blocking["source_file"] == path]
        failed_files[path] = [
            f"rule {rule} broken by {len(broken)} of {rows} rows ({len(broken) / rows:.0%} > "
            f"{FILE_FAILURE_THRESHOLD:.0%}), first rows {sample_rows(broken)}"
            for rule, broken in in_file.groupby("rule")
        ]
        failed_rules |= set(in_file["rule"])
    warned = failures[failures["severity"] == "warn"]
    warnings = [f"{rule}: {len(rows)} rows ({rows['why'].iloc[0]})" for rule, rows in warned.groupby("rule", sort=True)]
    return Verdict(
        len(frame), len(records), failed_files, table_failures, sorted(failed_rules), warnings, sample_rows(records)
    )


def sample_rows(rows: pd.DataFrame) -> list[dict]:
    sample = rows[["source_file", "source_row", "record_key", "rule"]].head(MAX_SAMPLE_ROWS)
    return sample.astype(object).where(sample.notna(), None).to_dict("records")
