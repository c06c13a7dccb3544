"""Building real-shaped events for tests, from the shared fixtures (as they are) or from S3 uploads."""

import copy
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "aws-events"


def fixture_names() -> list[str]:
    """Every fixture file. A missing or empty folder fails collection: the suite never silently shrinks."""
    names = sorted(p.name for p in FIXTURES.glob("*.json"))
    if not names:
        raise FileNotFoundError(f"no AWS event fixtures in {FIXTURES}: the parser's fixture tests would run none")
    return names


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def sqs_record(body: str, receive_count: int = 1) -> dict:
    """An SQS record as Lambda delivers it, the envelope taken from powertools_s3SqsEvent.json."""
    record = copy.deepcopy(fixture("powertools_s3SqsEvent.json")["Records"][0])
    record["messageId"] = str(uuid.uuid4())
    record["receiptHandle"] = "AQEB" + uuid.uuid4().hex
    record["body"] = body
    record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return record


def sqs_event(*bodies: str) -> dict:
    return {"Records": [sqs_record(body) for body in bodies]}


def s3_notification(
    bucket: str,
    key: str,
    version_id: str | None = None,
    size: int = 100,
    etag: str = "0123456789abcdef0123456789abcdef",
    event_name: str = "ObjectCreated:Put",
) -> str:
    """The body S3 sends to SQS for an upload, keys encoded as S3 encodes them ('+' for spaces, %XX)."""
    message = copy.deepcopy(fixture("s3doc_objectcreated-put-message.json"))
    record = message["Records"][0]
    record["eventName"] = event_name
    record["eventTime"] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    obj = record["s3"]["object"]
    obj.update({"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "sequencer": uuid.uuid4().hex[:16]})
    if version_id:
        obj["versionId"] = version_id
    else:
        obj.pop("versionId", None)
    return json.dumps(message)


def http_api_event(
    method: str,
    path: str,
    claims: dict | None,
    body: str | bytes | None = None,
    query: dict[str, str] | None = None,
    route: str | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict:
    """An API Gateway HTTP API request (payload 2.0) as the Lambda integration receives it, the envelope taken from
    powertools_apiGatewayProxyV2Event.json. `claims`: what the JWT authorizer verified (None: no authorizer
    context at all). `route` is the route key's path template, as `/campaigns/{id}`."""
    import base64
    from urllib.parse import urlencode

    event = copy.deepcopy(fixture("powertools_apiGatewayProxyV2Event.json"))
    route_key = f"{method} {route or path}"
    event.update(
        routeKey=route_key,
        rawPath=path,
        rawQueryString=urlencode(query or {}),
        headers={"content-type": "application/json", "x-forwarded-proto": "https", "host": "id.execute-api"},
        pathParameters=path_parameters or {},
        stageVariables=None,
    )
    event.pop("cookies")
    if query:
        event["queryStringParameters"] = dict(query)
    else:
        event.pop("queryStringParameters")
    if isinstance(body, bytes):
        event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)
    elif body is None:
        event.pop("body")
    else:
        event["body"] = body
    context = event["requestContext"]
    context.update(routeKey=route_key, requestId=str(uuid.uuid4()))
    context["http"].update(method=method, path=path)
    context.pop("authentication")  # no mutual TLS on this API
    if claims is None:
        context.pop("authorizer")
    else:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event
