"""ReportOverdue: daily, records the roster bodies with no report of record after their deadline
(REPORT_OVERDUE) and tells each office once of its own (nianbao.overdue). By hand:

    aws lambda invoke --function-name <ReportOverdueFunctionName> --payload '{"year": 2024}' out.json
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from nianbao.overdue import deadlines_from, sweep
from nianbao.pipeline import services_from_env

logger = Logger(service="nianbao")
metrics = Metrics()
services = services_from_env()
deadlines = deadlines_from(os.environ.get("NIANBAO_DEADLINES"))  # a wrong setting fails at init


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # the report year whose deadlines fall in this calendar year, unless named
    year = int(event.get("year") or services.now().year - 1)
    summary = sweep(services, year, deadlines=deadlines)
    answer = {"year": year, "overdue": summary.overdue, "recorded": summary.recorded, "notices": summary.notices}
    logger.info("overdue reports", extra=answer)
    metrics.add_metric(name="ReportsOverdue", unit=MetricUnit.Count, value=summary.recorded)
    return answer
