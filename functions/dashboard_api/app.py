"""DashboardApi: the offices' dashboard, its page and JSON API (nianbao.dashboard.api), behind the
HTTP API's Cognito JWT authorizer. ``nianbao serve`` runs this same handler on 127.0.0.1."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from nianbao.dashboard.api import dashboard_from_env, make_app

logger = Logger(service="nianbao")
app = make_app(dashboard_from_env())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
