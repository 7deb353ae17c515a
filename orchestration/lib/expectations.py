"""Run the rules of ``suites.py`` with Great Expectations 1.x (ephemeral, on pandas frames) and turn
their results into quarantined rows and per-file verdicts."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import pandas as pd

from orchestration.lib.suites import FILE_FAILURE_THRESHOLD, Rule

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
MAX_SAMPLE_ROWS = 10


@dataclass
class RuleOutcome:
    rule: Rule
    success: bool
    rows: list[int] = field(default_factory=list)  # positions in the frame that broke the rule
    detail: str = ""


def import_gx():
    """GX (seconds to import), with its usage statistics off (above) and its logging quiet."""
    import great_expectations as gx
    import great_expectations.expectations  # noqa: F401 - the rules' expectations

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def run_rules(frame: pd.DataFrame, name: str, rules: list[Rule]) -> list[RuleOutcome]:
    """Validate ``frame`` (index reset) against every rule in one GX suite; one outcome per rule."""
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


@dataclass
class Verdict:
    """What the rules say about one source: rows to quarantine, files over the threshold, table failures."""

    quarantine: pd.DataFrame  # the failing rows with rule, severity and why
    failed_files: dict[str, list[str]]  # file -> lines naming rule and share of rows
    table_failures: list[str]
    warnings: list[str]

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


def judge(frame: pd.DataFrame, outcomes: list[RuleOutcome], file_column: str = "source_file") -> Verdict:
    """Rows breaking blocking row rules are quarantined; a file whose share of such rows passes the
    threshold fails, as does any blocking table rule. Warn rules only report."""
    frame = frame.reset_index(drop=True)
    failing: list[dict] = []
    warnings, table_failures = [], []
    for outcome in outcomes:
        if outcome.success:
            continue
        rule = outcome.rule
        if rule.severity == "warn":
            warnings.append(f"{rule.name}: {len(outcome.rows) or 'table'} rows ({rule.why})")
            continue
        if not rule.row_level:
            table_failures.append(f"{rule.name}: {outcome.detail} ({rule.why})")
            continue
        for row in outcome.rows:
            failing.append({"position": row, "rule": rule.name, "rule_kind": rule.kind, "why": rule.why})
    quarantine = pd.DataFrame(failing, columns=["position", "rule", "rule_kind", "why"])
    failed_files: dict[str, list[str]] = {}
    if len(quarantine):
        quarantine = quarantine.join(frame, on="position")
        totals = frame[file_column].value_counts()
        bad_rows = quarantine.groupby(file_column)["position"].nunique()
        for path, count in bad_rows.items():
            share = count / totals[path]
            if share > FILE_FAILURE_THRESHOLD:
                in_file = quarantine[quarantine[file_column] == path]
                failed_files[path] = [
                    f"rule {rule} broken by {len(rows)} of {totals[path]} rows ({share:.0%} > "
                    f"{FILE_FAILURE_THRESHOLD:.0%}), first rows {sample_rows(rows)}"
                    for rule, rows in in_file.groupby("rule")
                ]
    return Verdict(quarantine, failed_files, table_failures, warnings)


def sample_rows(rows: pd.DataFrame) -> list[dict]:
    columns = [
        c
        for c in (
            "source_row",
            "region_code",
            "region_name",
            "year",
            "indicator",
            "value",
            "document_id",
            "code",
            "name",
        )
        if c in rows.columns
    ]
    sample = rows[columns].head(MAX_SAMPLE_ROWS)
    return sample.astype(object).where(sample.notna(), None).to_dict("records")
