"""Chapter 07: every model measured side by side, the common claims judged from the numbers.

- ``measure``: the same rulers for every model (reconstruction, sample quality, diversity, smoothness, anomalies);
- ``claims``: each claim's verdict rule, with its margin;
- ``recorded``: the recorded ``full`` run the notebook quotes, and the check that it is still current.
"""
from .claims import CLAIMS, DEPENDS, DOES_NOT_HOLD, HOLDS, VERDICTS, Claim, Judgement, MissingMetricError, judge_all, verdict_rows, verdicts_html
from .measure import (
    BUDGET_COLUMNS, CONTENDERS, KINDS, LOWER_IS_BETTER, QUALITY_COLUMNS, REAL, Comparison, comparison_seeds, anomaly_scores, anomaly_sets, decoder, draw_samples, encode,
    format_table, kind_of, latent_size, measure, reconstruct, reconstruction_errors, table_html,
)
from .recorded import RECORD_COMMAND, RecordedRun, available, load_recorded_run, record_run, settings_snapshot

__all__ = [
    "BUDGET_COLUMNS", "CLAIMS", "CONTENDERS", "Claim", "QUALITY_COLUMNS", "Comparison", "DEPENDS", "DOES_NOT_HOLD", "HOLDS", "Judgement", "KINDS", "LOWER_IS_BETTER",
    "MissingMetricError", "REAL", "RECORD_COMMAND", "RecordedRun", "VERDICTS", "comparison_seeds", "anomaly_scores", "anomaly_sets",
    "available", "decoder", "draw_samples", "encode", "format_table", "judge_all", "kind_of", "latent_size", "load_recorded_run",
    "measure", "reconstruct", "reconstruction_errors", "record_run", "settings_snapshot", "table_html", "verdict_rows",
    "verdicts_html",
]
