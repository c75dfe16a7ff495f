"""SweepNotices: on a schedule, sends every notice still pending a few minutes after its report
was stored, and every notice whose claim a crashed delivery left behind (nianbao.outbox)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from nianbao.pipeline import services_from_env, sweep
from nianbao.store import NoticeState

logger = Logger(service="nianbao")
metrics = Metrics()
services = services_from_env()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    outcomes = sweep(services, context.get_remaining_time_in_millis)
    summary = {
        "due": len(outcomes),
        "sent": sum(o.published for o in outcomes),
        "deferred": sum(o.deferred for o in outcomes),
        "failed": sum(o.state is NoticeState.FAILED for o in outcomes),
    }
    logger.info("notices swept", extra=summary)
    for name, key in (("NoticesSwept", "sent"), ("NoticesDeferred", "deferred"), ("NoticesFailed", "failed")):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=summary[key])
    return summary
