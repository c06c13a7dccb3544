"""Campaign API function: API Gateway HTTP API (payload 2.0, JWT authorizer) routed with Powertools.

Each route checks the caller (claims and scope), then the request (sizes, ids, paging) before any AWS call, then
hands over to `CampaignApi` (service.py). Every refusal is JSON `{"message", "code"}`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from handlers.api import auth, checks, routes
from handlers.api.auth import Caller
from handlers.api.checks import ApiError
from handlers.api.estimate import prices
from handlers.api.index import CampaignIndex
from handlers.api.rerender_jobs import BatchRerenderJobs, RerenderJobs
from handlers.api.service import CampaignApi
from handlers.shared.environment import PUSHED_TAGS, ApiEnvironment
from handlers.shared.manifest import ManifestStore
from handlers.shared.settled import IndexStatus, on_campaign_settled
from handlers.shared.telemetry import logger_and_metrics

logger, metrics = logger_and_metrics("api")
app = APIGatewayHttpResolver()
Handler = Callable[..., Response[str]]
_service: CampaignApi | None = None
_environment: ApiEnvironment | None = None
_jobs: RerenderJobs | None = None


def environment() -> ApiEnvironment:
    global _environment
    if _environment is None:
        _environment = ApiEnvironment.read()
    return _environment


def use_rerender_jobs(jobs: RerenderJobs | None) -> None:
    """The local run's jobs (in-process) instead of AWS Batch; None goes back to Batch."""
    global _jobs, _service
    _jobs, _service = jobs, None


def service() -> CampaignApi:
    global _service
    if _service is None:
        env = environment()
        s3 = boto3.client("s3", config=Config(signature_version="s3v4"))  # presigned URLs: SigV4, not SigV2
        jobs = _jobs or BatchRerenderJobs(
            boto3.client("batch"),
            boto3.client("ecr") if env.version_source == PUSHED_TAGS else None,
            env.batch_job_queue,
            env.batch_job_definition_name,
            env.version_source,
            env.batch_worker_repository,
        )
        _service = CampaignApi(
            s3=s3,
            index=CampaignIndex(boto3.client("dynamodb"), env.campaign_table),
            # A cancel can settle a campaign in the API's own write: count it, publish its gallery, index its status.
            store=ManifestStore(
                s3,
                env.bucket,
                on_settled=on_campaign_settled(metrics, logger, s3, env.bucket, IndexStatus(env.campaign_table)),
            ),
            jobs=jobs,
            max_brief_bytes=env.max_brief_bytes,
            prices=prices(env.image_models),
            log=logger,
            can_expand=env.image_models.can_expand,
        )
    return _service


def _caller(scope: str) -> Caller:
    who = auth.caller(app.current_event.raw_event, environment().team_claim)
    who.require(scope)
    logger.append_keys(owner=who.owner)
    return who


def _body() -> bytes:
    event = app.current_event.raw_event
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def _query(name: str) -> str | None:
    value: str | None = app.current_event.get_query_string_value(name)
    return value


def _status_url(campaign_id: str) -> str:
    """Where to follow the campaign: this API's own address, as the caller reached it."""
    event = app.current_event.raw_event
    context = event.get("requestContext") or {}
    scheme = (event.get("headers") or {}).get("x-forwarded-proto", "https")
    stage = context.get("stage", "$default")
    base = f"{scheme}://{context.get('domainName', '')}" + ("" if stage == "$default" else f"/{stage}")
    return f"{base}/campaigns/{campaign_id}"


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(status, content_types.APPLICATION_JSON, json.dumps(body, ensure_ascii=False, default=str))


def route(spec: routes.Route) -> Callable[[Handler], Handler]:
    """Registers a handler for a route of the table (routes.py), which the stack also makes in API Gateway."""
    register: Callable[[Handler], Handler] = app.route(spec.resolver_path, method=spec.method)
    return register


@route(routes.SUBMIT)
def submit() -> Response[str]:
    who = _caller(routes.SUBMIT.scope)
    body = checks.body_within(_body(), environment().max_brief_bytes, "brief")
    dry_run = checks.flag("dry_run", _query("dry_run"))
    answer = service().submit(who, body, dry_run, _status_url)
    return _json(200 if dry_run else 202, answer)


@route(routes.LIST)
def list_campaigns() -> Response[str]:
    who = _caller(routes.LIST.scope)
    limit, status = checks.limit(_query("limit")), checks.status_filter(_query("status"))
    cursor = _query("cursor")
    if cursor is not None:
        checks.decode_cursor(cursor, who.owner)  # refused here, before the query
    return _json(200, service().campaigns(who, limit, cursor, status))


# The path parameter `{id}` reaches a handler as `id`.
@route(routes.GET)
def get_campaign(id: str) -> Response[str]:
    who = _caller(routes.GET.scope)
    return _json(200, service().campaign(who, checks.campaign_id(id)))


@route(routes.CANCEL)
def cancel(id: str) -> Response[str]:
    who = _caller(routes.CANCEL.scope)
    return _json(202, service().cancel(who, checks.campaign_id(id)))


@route(routes.RERENDER)
def rerender(id: str) -> Response[str]:
    who = _caller(routes.RERENDER.scope)
    cid, version = checks.campaign_id(id), checks.rerender_version(_body())
    return _json(202, service().rerender(who, cid, version))


@route(routes.VERSIONS)
def versions() -> Response[str]:
    _caller(routes.VERSIONS.scope)
    return _json(200, service().versions())


def refused(error: ApiError) -> Response[str]:
    logger.info("request refused", extra={"status": error.status, "code": error.code, "reason": error.message})
    return _json(error.status, error.body())


@app.not_found
def no_route(_: NotFoundError) -> Response[str]:
    event = app.current_event.raw_event
    http = (event.get("requestContext") or {}).get("http") or {}
    asked = f"{http.get('method', '?')} {http.get('path', event.get('rawPath', '?'))}"
    return _json(
        404,
        {"message": f"no route {asked}: routes are {', '.join(r.key for r in routes.ROUTES)}", "code": "NoSuchRoute"},
    )


def failed(error: Exception) -> Response[str]:
    logger.exception("request failed")
    return _json(
        500,
        {
            "message": "the API failed to answer this request; it is logged. Try again; if it keeps failing, "
            f"give the operators this request id: {app.current_event.request_context.request_id}",
            "code": "InternalError",
        },
    )


# Registered by call: Powertools' decorator is untyped. The most specific class wins (ApiError over Exception).
app.exception_handler(ApiError)(refused)
app.exception_handler(Exception)(failed)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    answer: dict[str, Any] = app.resolve(event, context)
    return answer
