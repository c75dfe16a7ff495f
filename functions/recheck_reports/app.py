"""RecheckReports: re-checks the stored uploads checked by an older checker or ended CHECK_FAILED
(nianbao.recheck). Daily on a schedule (nothing to do when nothing changed), or by hand:

    aws lambda invoke --function-name <RecheckReportsFunctionName> \\
        --payload '{"division": "6301", "year": 2024}' out.json

The event may name ``division`` (a prefix), ``year`` and ``cursor`` (from an earlier answer that
ran short of time); the answer says what was done and, if the walk is not finished, the cursor.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from nianbao.pipeline import services_from_env
from nianbao.recheck import recheck

logger = Logger(service="nianbao")
metrics = Metrics()
services = services_from_env()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    year = event.get("year")
    summary = recheck(
        services,
        str(event.get("division") or ""),
        int(year) if year is not None else None,
        cursor=event.get("cursor"),
        # one object may take its whole budget: stop while there is time for it
        has_time=lambda: context.get_remaining_time_in_millis() > services.settings.seconds_per_object * 1000,
    )
    answer = {
        "looked_at": summary.looked_at,
        "rechecked": summary.rechecked,
        "noticed": summary.noticed,
        "skipped": summary.skipped,
        "handed_over": summary.handed_over,  # scans, re-checked by OcrReport
        "cursor": summary.cursor,
    }
    logger.info("reports re-checked", extra=answer)
    metrics.add_metric(name="ReportsRechecked", unit=MetricUnit.Count, value=summary.rechecked)
    return answer
