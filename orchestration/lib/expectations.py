"""Run Great Expectations 1.x suites, in ephemeral mode, on pandas frames."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
MAX_SAMPLE_ROWS = 10


@dataclass
class Failure:
    """One failed expectation with the rows that broke it."""

    expectation: str
    description: str
    unexpected_count: int
    sample: list[dict]


@dataclass
class SuiteOutcome:
    success: bool
    evaluated: int
    failures: list[Failure] = field(default_factory=list)

    def summary(self) -> str:
        if self.success:
            return f"all {self.evaluated} expectations passed"
        lines = [f"{len(self.failures)} of {self.evaluated} expectations failed:"]
        for failure in self.failures:
            lines.append(f"- {failure.description}: {failure.unexpected_count} rows, e.g. {failure.sample[:3]}")
        return "\n".join(lines)


def run_suite(frame: pd.DataFrame, name: str, expectations: list, sample_columns: list[str]) -> SuiteOutcome:
    """Validate ``frame`` against ``expectations`` (GX expectation objects).

    Failing rows are reported by their values in ``sample_columns`` (e.g. source file and row), at
    most ten per expectation.
    """
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe(name)
        .get_batch(batch_parameters={"dataframe": frame.reset_index(drop=True)})
    )
    suite = gx.ExpectationSuite(name=name, expectations=list(expectations))
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    failures = []
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        rows = item.result.get("unexpected_index_list") or []
        sample = frame.reset_index(drop=True).loc[rows[:MAX_SAMPLE_ROWS], sample_columns]
        failures.append(
            Failure(
                expectation=config.type,
                description=config.description or config.type,
                unexpected_count=item.result.get("unexpected_count", len(rows)),
                sample=sample.astype(object).where(sample.notna(), None).to_dict("records"),
            )
        )
    return SuiteOutcome(success=result.success, evaluated=len(result.results), failures=failures)
