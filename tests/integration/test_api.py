"""The campaign API function with real-shaped API Gateway HTTP API events (payload 2.0, JWT claims), against moto's
S3 and DynamoDB (server on 127.0.0.1) and botocore's Stubber for Batch and ECR."""

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
import requests
from botocore.stub import Stubber

from handlers.api.rerender_jobs import BatchRerenderJobs
from handlers.parser.events import Upload
from handlers.parser.service import ParserService
from handlers.shared.bucket_layout import campaign_of_manifest
from handlers.shared.campaign_table import create_table_args
from handlers.shared.invoke import set_transport
from handlers.shared.manifest import ManifestStore
from handlers.shared.settled import IndexStatus
from localrun.lambda_context import LocalContext
from tests.aws_events import http_api_event
from tests.documented import USD_PER_IMAGE

BUCKET = "creative-automation-dev-123456789012-us-east-1"
TABLE = "creative-automation-dev-campaigns"
JOB_DEFINITION = "creative-automation-dev-batch-worker"
JOB_QUEUE = "creative-automation-dev-batch"
REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/creative-automation-dev-batch-worker"
CONTEXT = LocalContext("creative-automation-dev-api")
SAMPLE = (Path(__file__).parents[2] / "samples" / "briefs" / "summer-splash.json").read_bytes()
PNG = (Path(__file__).parents[2] / "samples" / "existing-assets" / "acme" / "citrus" / "product.png").read_bytes()
CORE_USD = USD_PER_IMAGE["stability.stable-image-core-v1:1"]  # the stack's text-to-image model
OUTPAINT_USD = USD_PER_IMAGE["stability.stable-outpaint-v1:0"]  # and its outpaint model


def claims(team: str | None = "team-a", scope: str = "campaigns/read campaigns/write", sub: str = "user-1") -> dict:
    """What API Gateway's JWT authorizer hands over for a Cognito access token (list claims flattened to text)."""
    found = {
        "auth_time": "1764640000",
        "client_id": "4f1ab2example",
        "exp": "1764643600",
        "iat": "1764640000",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
        "jti": "0f9b4a2e-1111-2222-3333-444455556666",
        "scope": scope,
        "sub": sub,
        "token_use": "access",
        "username": sub,
        "version": "2",
    }
    if team is not None:
        found["cognito:groups"] = f"[{team}]"
    return found


@pytest.fixture
def api(aws_endpoint, monkeypatch):
    """The API's app module, with its table and bucket, Batch stubbed, and every S3/DynamoDB call counted."""
    for name, value in {
        "S3_BUCKET_NAME": BUCKET,
        "CAMPAIGN_TABLE": TABLE,
        "MAX_BRIEF_BYTES": "65536",
        "IMAGE_BACKEND": "bedrock",
        "BEDROCK_REGION": "us-west-2",
        "BEDROCK_MODEL_ID": "stability.stable-image-core-v1:1",
        "BEDROCK_OUTPAINT_MODEL_ID": "us.stability.stable-outpaint-v1:0",
        "BATCH_JOB_QUEUE": JOB_QUEUE,
        "BATCH_JOB_DEFINITION_NAME": JOB_DEFINITION,
        "VERSION_SOURCE": "released",
        "POWERTOOLS_METRICS_NAMESPACE": "CreativeAutomation/test",
    }.items():
        monkeypatch.setenv(name, value)
    from handlers.api import app

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/citrus/product.png", Body=PNG)
    boto3.client("dynamodb").create_table(**create_table_args(TABLE))
    batch = boto3.client("batch")
    stub = Stubber(batch)
    stub.activate()
    monkeypatch.setattr(app, "_environment", None)
    app.use_rerender_jobs(BatchRerenderJobs(batch, None, JOB_QUEUE, JOB_DEFINITION, "released"))
    service = app.service()
    calls: list[str] = []
    for client in (service.s3, service.index.dynamodb):
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    invocations: list = []
    set_transport(lambda target, payload: invocations.append(payload))
    app.calls, app.stub, app.s3, app.invocations = calls, stub, s3, invocations
    yield app
    set_transport(None)
    app.use_rerender_jobs(None)
    stub.deactivate()


def call(app, method, path, who=None, body=None, query=None, route=None, params=None):
    event = http_api_event(method, path, claims() if who is None else who, body, query, route, params)
    answer = app.handler(event, CONTEXT)
    assert answer["headers"]["Content-Type"] == "application/json"
    return answer["statusCode"], json.loads(answer["body"])


def submit(app, brief=SAMPLE, who=None, query=None):
    return call(app, "POST", "/campaigns", who, brief.decode() if isinstance(brief, bytes) else brief, query)


def get(app, cid, who=None):
    return call(app, "GET", f"/campaigns/{cid}", who, route="/campaigns/{id}", params={"id": cid})


def post(app, cid, action, who=None, body=None):
    return call(app, "POST", f"/campaigns/{cid}/{action}", who, body, None, f"/campaigns/{{id}}/{action}", {"id": cid})


def run_parser(app, cid, refused=False):
    """The real parser (keeping the index current, as the stack sets it up) on the brief the API stored, as the
    S3 notification would deliver it."""
    item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"owner": {"S": "team-a"}, "campaign_id": {"S": cid}})
    key = item["Item"]["brief_key"]["S"]
    head = app.s3.head_object(Bucket=BUCKET, Key=key)
    upload = Upload(BUCKET, key, head.get("VersionId"), head["ETag"].strip('"'), head["ContentLength"], "0001")
    store = ManifestStore(app.s3, BUCKET)
    parser = ParserService(app.s3, store, 65536, app.logger, app.metrics, index=IndexStatus(TABLE))
    outcome = parser.handle(upload)
    if refused:
        assert outcome.status == "rejected", outcome
    else:
        assert outcome.campaign_id == cid, "the API's campaign id is the one the parser computes"
    return outcome


def finish(app, cid, index, name):
    """What the variants function leaves behind for one product: its JPEG and the manifest entry."""
    key = f"output/{cid}/variants/{index:02d}-{name}/square.jpg"
    app.s3.put_object(Bucket=BUCKET, Key=key, Body=b"\xff\xd8\xff\xe0 a jpeg")
    variant = {"name": "square", "width": 1080, "height": 1080, "key": key}
    ManifestStore(app.s3, BUCKET).update_product(cid, index, status="complete", variants=[variant])


def test_submit_stores_the_brief_for_the_pipeline_and_answers_202_with_id_status_url_and_cost(api):
    status, body = submit(api)
    assert status == 202, body
    cid = body["campaign_id"]
    assert re.fullmatch(r"summer-splash-2026-[0-9a-f]{8}", cid)
    assert body["status"] == "queued"
    assert body["status_url"] == f"https://id.execute-api.us-east-1.amazonaws.com/campaigns/{cid}"
    # One product reuses acme/citrus/product.png (free); the other is one Stable Image Core image.
    assert body["estimated_cost_usd"] == CORE_USD and body["model_calls"] == 1
    assert body["image_model"] == "stability.stable-image-core-v1:1"
    assert body["outpaint_model"] == "us.stability.stable-outpaint-v1:0"
    [stored] = api.s3.list_objects_v2(Bucket=BUCKET, Prefix="input/")["Contents"]
    assert re.fullmatch(r"input/campaign-briefs/api/team-a/[0-9a-f-]{36}\.json", stored["Key"])
    head = api.s3.head_object(Bucket=BUCKET, Key=stored["Key"])
    assert head["Metadata"] == {"owner": "team-a"}
    assert api.s3.get_object(Bucket=BUCKET, Key=stored["Key"])["Body"].read() == SAMPLE
    assert run_parser(api, cid).status == "started"


def test_dry_run_validates_and_estimates_and_stores_nothing(api):
    status, body = submit(api, query={"dry_run": "true"})
    assert status == 200, body
    assert body["valid"] is True and body["estimated_cost_usd"] == CORE_USD
    assert [(p["name"], p["image"], p["usd"]) for p in body["products"]] == [
        ("Citrus Sparkling Water", "existing", 0.0),
        ("Berry Sparkling Water", "generated", CORE_USD),
    ]
    assert "Contents" not in api.s3.list_objects_v2(Bucket=BUCKET, Prefix="input/")
    assert call(api, "GET", "/campaigns")[1]["campaigns"] == []


def test_a_dry_run_of_an_expand_brief_counts_the_outpainting_of_every_variant(api):
    brief = json.dumps({**json.loads(SAMPLE), "framing": "expand"})
    status, body = submit(api, brief, query={"dry_run": "true"})
    assert status == 200, body
    # Citrus (existing asset): 5 extensions; Berry: its image and 5 extensions, each at the outpaint model's price.
    assert [(p["name"], p["usd"]) for p in body["products"]] == [
        ("Citrus Sparkling Water", round(5 * OUTPAINT_USD, 6)),
        ("Berry Sparkling Water", round(CORE_USD + 5 * OUTPAINT_USD, 6)),
    ]
    assert body["model_calls"] == 11
    assert body["estimated_cost_usd"] == round(CORE_USD + 10 * OUTPAINT_USD, 6)
    assert (body["usd_per_image"], body["usd_per_extension"]) == (CORE_USD, OUTPAINT_USD)


def test_an_expand_brief_is_refused_in_plain_words_where_no_outpaint_model_is_configured(api, monkeypatch):
    from handlers.api import app

    monkeypatch.delenv("BEDROCK_OUTPAINT_MODEL_ID")
    monkeypatch.setattr(app, "_environment", None)
    monkeypatch.setattr(app, "_service", None)
    brief = json.dumps({**json.loads(SAMPLE), "framing": "expand"})
    for query in ({"dry_run": "true"}, None):
        status, body = submit(api, brief, query=query)
        assert status == 400 and body["code"] == "BriefRejected", body
        [violation] = body["violations"]
        assert violation["path"] == "$.framing" and violation["value"] == "expand"
        assert "needs an outpaint model" in violation["message"] and "bedrockOutpaintModelId" in violation["message"]
    assert "Contents" not in api.s3.list_objects_v2(Bucket=BUCKET, Prefix="input/")  # nothing stored, nothing paid


def test_an_invalid_brief_gets_the_parsers_plain_words_report_and_nothing_is_stored(api):
    brief = {"campaign_name": "", "campaign_message": "Hi", "products": [{"description": "no name"}]}
    status, body = submit(api, json.dumps(brief))
    assert status == 400 and body["code"] == "BriefRejected"
    paths = {v["path"] for v in body["violations"]}
    assert {"$.campaign_name", "$.products[0].name"} <= paths
    assert body["message"].startswith(f"the brief has {len(body['violations'])} problem(s); first: ")
    assert any('every product needs a "name" field' in v["message"] for v in body["violations"])
    assert "Contents" not in api.s3.list_objects_v2(Bucket=BUCKET, Prefix="input/")


def test_get_shows_products_and_presigned_urls_that_fetch_the_variant(api):
    cid = submit(api)[1]["campaign_id"]
    assert get(api, cid)[1]["status"] == "queued"  # not parsed yet
    run_parser(api, cid)
    finish(api, cid, 0, "citrus-sparkling-water")
    status, body = get(api, cid)
    assert status == 200, body
    assert body["status"] == "processing" and body["urls_expire_in_seconds"] == 900
    citrus, berry = body["products"]
    assert (citrus["status"], berry["status"]) == ("complete", "generating")
    [variant] = citrus["variants"]
    fetched = requests.get(variant["url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content.startswith(b"\xff\xd8\xff")
    assert "X-Amz-Expires=900" in variant["url"]
    assert requests.get(body["gallery_url"], timeout=10).text.lstrip().lower().startswith("<!doctype html")


class Links(HTMLParser):
    """Every image source and link target on a page."""

    def __init__(self, page: str):
        super().__init__()
        self.sources: list[str] = []
        self.targets: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "img":
            self.sources.append(found["src"])
        if tag == "a":
            self.targets.append(found["href"])


def presigned_key(url: str) -> str | None:
    """The bucket key a presigned GET URL (path style, SigV4) fetches, or None when it is not one."""
    parts = urlsplit(url)
    signed = "X-Amz-Signature" in parse_qs(parts.query) and parse_qs(parts.query).get("X-Amz-Expires") == ["900"]
    prefix = f"/{BUCKET}/"
    return unquote(parts.path.removeprefix(prefix)) if signed and parts.path.startswith(prefix) else None


def test_the_gallery_url_opens_a_page_whose_every_image_and_the_manifest_are_presigned(api):
    # A private bucket answers 403 to the unsigned requests a relative link makes from a presigned page.
    cid = submit(api)[1]["campaign_id"]
    run_parser(api, cid)
    finish(api, cid, 0, "citrus-sparkling-water")
    body = get(api, cid)[1]
    gallery_key = presigned_key(body["gallery_url"])
    assert gallery_key is not None and re.fullmatch(rf"output/_shared/{cid}/[0-9a-f]{{32}}\.html", gallery_key)
    page = requests.get(body["gallery_url"], timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    links = Links(page.text)
    signed = {presigned_key(src) for src in links.sources}
    assert None not in signed, [src for src in links.sources if presigned_key(src) is None]
    # The variant, and the source image of the product made from an existing asset.
    assert signed == {
        f"output/{cid}/variants/00-citrus-sparkling-water/square.jpg",
        "existing-assets/acme/citrus/product.png",
    }
    assert f"output/{cid}/manifest.json" in {presigned_key(target) for target in links.targets}
    for src in links.sources:
        assert requests.get(src, timeout=10).status_code == 200
    # The bucket's own page keeps its relative links, next to the manifest.
    own = api.s3.get_object(Bucket=BUCKET, Key=f"output/{cid}/index.html")["Body"].read().decode()
    assert 'href="manifest.json"' in own and "X-Amz-Signature" not in own
    # Not a campaign: the pipeline's listings never take the shared pages for one.
    assert campaign_of_manifest(f"output/_shared/{cid}/manifest.json") is None


def test_list_is_newest_first_paged_with_a_cursor_and_filtered_by_status(api):
    ids = [submit(api, SAMPLE.replace(b"Summer Splash 2026", f"Drop {n}".encode()))[1]["campaign_id"] for n in range(3)]
    run_parser(api, ids[2])  # the newest starts: the listing repairs its status from the manifest
    status, first = call(api, "GET", "/campaigns", query={"limit": "2"})
    assert status == 200
    assert [c["campaign_id"] for c in first["campaigns"]] == [ids[2], ids[1]]
    assert [c["status"] for c in first["campaigns"]] == ["processing", "queued"]
    second = call(api, "GET", "/campaigns", query={"limit": "2", "cursor": first["next_cursor"]})[1]
    assert [c["campaign_id"] for c in second["campaigns"]] == [ids[0]]
    queued = call(api, "GET", "/campaigns", query={"status": "queued"})[1]
    assert {c["campaign_id"] for c in queued["campaigns"]} == {ids[0], ids[1]}
    assert call(api, "GET", "/campaigns", who=claims(team="team-b"))[1] == {"campaigns": [], "next_cursor": None}


def test_cancel_skips_products_not_started_is_idempotent_and_refused_once_settled(api):
    cid = submit(api)[1]["campaign_id"]
    run_parser(api, cid)
    ManifestStore(api.s3, BUCKET).update_product(cid, 1, status="pending")  # not yet routed
    status, body = post(api, cid, "cancel")
    assert status == 202, body
    assert body["products"] == {"Citrus Sparkling Water": "rendering", "Berry Sparkling Water": "cancelled"}
    again = post(api, cid, "cancel")
    assert again[0] == 202 and again[1]["cancel_requested_at"] == body["cancel_requested_at"]
    other = submit(api, SAMPLE.replace(b"Summer Splash 2026", b"Done"))[1]["campaign_id"]
    run_parser(api, other)
    finish(api, other, 0, "citrus-sparkling-water")
    ManifestStore(api.s3, BUCKET).fail_product(other, 1, "ModelError", "refused")
    status, body = post(api, other, "cancel")
    assert status == 409 and body == {
        "message": f"campaign {other} already finished (partial): there is nothing left to cancel",
        "code": "AlreadySettled",
    }


def test_cancel_of_a_queued_campaign_cancels_every_product_and_the_parser_then_starts_nothing(api):
    cid = submit(api)[1]["campaign_id"]
    status, body = post(api, cid, "cancel")
    assert status == 202, body
    assert body["products"] == {"Citrus Sparkling Water": "cancelled", "Berry Sparkling Water": "cancelled"}
    outcome = run_parser(api, cid)  # the brief's notification arrives after the cancel
    assert (outcome.status, outcome.routed) == ("duplicate", ())
    assert api.invocations == []
    shown = get(api, cid)[1]
    assert [p["status"] for p in shown["products"]] == ["cancelled", "cancelled"]
    assert shown["cancel_requested_at"] == body["cancel_requested_at"]
    assert requests.get(shown["gallery_url"], timeout=10).status_code == 200


def test_an_unexpected_failure_is_a_json_500_with_the_request_id(api):
    boto3.client("dynamodb").delete_table(TableName=TABLE)
    event = http_api_event("GET", "/campaigns", claims())
    answer = api.handler(event, CONTEXT)
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 500 and body["code"] == "InternalError"
    assert body["message"].endswith(f"give the operators this request id: {event['requestContext']['requestId']}")


def described(revision: int, tag: str, digest: str) -> dict:
    return {
        "jobDefinitionName": JOB_DEFINITION,
        "jobDefinitionArn": f"arn:aws:batch:us-east-1:123456789012:job-definition/{JOB_DEFINITION}:{revision}",
        "revision": revision,
        "status": "ACTIVE",
        "type": "container",
        "parameters": {"campaign_id": "none"},
        "containerProperties": {"image": f"{REPO}@{digest}", "command": ["Ref::campaign_id"]},
        "tags": {"creative-automation:image-tag": tag, "creative-automation:image-digest": digest},
    }


RELEASED = [described(4, "v1.2.0", "sha256:" + "b" * 64), described(3, "v1.1.0", "sha256:" + "a" * 64)]


def test_rerender_runs_the_revision_of_the_named_version_and_records_it(api):
    cid = submit(api)[1]["campaign_id"]
    run_parser(api, cid)
    finish(api, cid, 0, "citrus-sparkling-water")
    finish(api, cid, 1, "berry-sparkling-water")
    api.stub.add_response(
        "describe_job_definitions",
        {"jobDefinitions": RELEASED},
        {"jobDefinitionName": JOB_DEFINITION, "status": "ACTIVE"},
    )
    api.stub.add_response(
        "submit_job",
        {"jobName": f"rerender-{cid}", "jobId": "job-123"},
        {
            "jobName": f"rerender-{cid}",
            "jobQueue": JOB_QUEUE,
            "jobDefinition": RELEASED[1]["jobDefinitionArn"],
            "parameters": {"campaign_id": cid},
        },
    )
    status, body = post(api, cid, "rerender", body=json.dumps({"version": "v1.1.0"}))
    assert status == 202, body
    assert (body["version"], body["job_id"], body["job_definition"]) == (
        "v1.1.0",
        "job-123",
        RELEASED[1]["jobDefinitionArn"],
    )
    api.stub.assert_no_pending_responses()
    shown = get(api, cid)[1]
    assert [(r["version"], r["job_id"], r["requested_by"]) for r in shown["rerenders"]] == [
        ("v1.1.0", "job-123", "user-1")
    ]


def test_an_unknown_version_is_a_404_naming_the_versions_there_are(api):
    cid = submit(api)[1]["campaign_id"]
    api.stub.add_response(
        "describe_job_definitions",
        {"jobDefinitions": RELEASED},
        {"jobDefinitionName": JOB_DEFINITION, "status": "ACTIVE"},
    )
    status, body = post(api, cid, "rerender", body='{"version": "v9.9.9"}')
    assert status == 404
    assert body == {
        "message": "version 'v9.9.9' does not exist here; versions: v1.2.0, v1.1.0 (GET /versions lists them)",
        "code": "UnknownVersion",
        "versions": ["v1.2.0", "v1.1.0"],
    }


def test_versions_lists_the_released_revisions_newest_first(api):
    api.stub.add_response(
        "describe_job_definitions",
        {"jobDefinitions": RELEASED},
        {"jobDefinitionName": JOB_DEFINITION, "status": "ACTIVE"},
    )
    status, body = call(api, "GET", "/versions", who=claims(scope="campaigns/read"))
    assert status == 200
    assert body["source"] == "released" and body["default"] == "latest"
    assert [(v["version"], v["revision"]) for v in body["versions"]] == [("v1.2.0", 4), ("v1.1.0", 3)]


def test_a_pushed_tag_without_a_revision_gets_one_registered_with_only_the_image_changed():
    batch, ecr = boto3.client("batch", region_name="us-east-1"), boto3.client("ecr", region_name="us-east-1")
    jobs = BatchRerenderJobs(
        batch, ecr, JOB_QUEUE, JOB_DEFINITION, "pushed-tags", "creative-automation-dev-batch-worker"
    )
    new_digest = "sha256:" + "c" * 64
    with Stubber(batch) as batch_stub, Stubber(ecr) as ecr_stub:
        ecr_stub.add_response(
            "describe_images",
            {
                "imageDetails": [
                    {
                        "imageDigest": new_digest,
                        "imageTags": ["v1.3.0", "latest"],
                        "imagePushedAt": "2026-12-01T10:00:00Z",
                    },
                    {
                        "imageDigest": RELEASED[0]["tags"]["creative-automation:image-digest"],
                        "imageTags": ["v1.2.0"],
                        "imagePushedAt": "2026-11-01T10:00:00Z",
                    },
                ]
            },
            {"repositoryName": "creative-automation-dev-batch-worker", "filter": {"tagStatus": "TAGGED"}},
        )
        batch_stub.add_response(
            "describe_job_definitions",
            {"jobDefinitions": RELEASED},
            {"jobDefinitionName": JOB_DEFINITION, "status": "ACTIVE"},
        )
        batch_stub.add_response(
            "register_job_definition",
            {"jobDefinitionName": JOB_DEFINITION, "jobDefinitionArn": "arn:new:5", "revision": 5},
            {
                "jobDefinitionName": JOB_DEFINITION,
                "type": "container",
                "parameters": {"campaign_id": "none"},
                "containerProperties": {"image": f"{REPO}@{new_digest}", "command": ["Ref::campaign_id"]},
                "tags": {"creative-automation:image-tag": "v1.3.0", "creative-automation:image-digest": new_digest},
            },
        )
        batch_stub.add_response(
            "submit_job",
            {"jobName": "x", "jobId": "job-9"},
            {
                "jobName": "rerender-c-0000000a",
                "jobQueue": JOB_QUEUE,
                "jobDefinition": "arn:new:5",
                "parameters": {"campaign_id": "c-0000000a"},
            },
        )
        from handlers.api.versions import resolve

        listed = jobs.versions()
        assert [(v.name, v.digest) for v in listed][:2] == [("v1.3.0", new_digest), ("latest", new_digest)]
        assert resolve(listed, "latest").digest == new_digest
        version = resolve(listed, "v1.3.0")
        assert jobs.submit("c-0000000a", version).job_id == "job-9"


# -- refusals: each with its status and a message naming what to do --------------------------------------


def test_no_token_is_401_before_any_aws_call(api):
    status, body = call(api, "GET", "/campaigns", who={})
    assert status == 401 and body["code"] == "Unauthorized" and "Authorization: Bearer" in body["message"]
    event = http_api_event("POST", "/campaigns", None, SAMPLE.decode())  # no authorizer context at all
    answer = api.handler(event, CONTEXT)
    assert answer["statusCode"] == 401
    assert api.calls == []


def test_a_token_without_the_routes_scope_is_403_naming_it(api):
    status, body = submit(api, who=claims(scope="campaigns/read"))
    assert status == 403
    assert body == {
        "message": "this route needs the scope campaigns/write; the token holds campaigns/read. "
        "Ask for a token with campaigns/write",
        "code": "MissingScope",
    }
    assert api.calls == []


def test_a_token_naming_two_teams_is_403(api):
    status, body = call(api, "GET", "/campaigns", who=claims(team="team-a team-b"))
    assert status == 403 and body["code"] == "AmbiguousTeam" and "names 2 teams" in body["message"]


def test_another_teams_campaign_is_404_not_403(api):
    cid = submit(api)[1]["campaign_id"]
    for answer in (get(api, cid, claims(team="team-b")), post(api, cid, "cancel", claims(team="team-b"))):
        assert answer == (
            404,
            {
                "message": f"no campaign {cid} for team-b: GET /campaigns lists your team's campaigns",
                "code": "NoSuchCampaign",
            },
        )


@pytest.mark.parametrize("bad", ["Summer-Splash-1a2b3c4d", "..%2Fmanifest", "x" * 80 + "-1a2b3c4d", "summer"])
def test_a_bad_campaign_id_is_400_before_any_aws_call(api, bad):
    status, body = get(api, bad)
    assert status == 400 and body["code"] == "BadCampaignId"
    assert "like summer-splash-2026-1a2b3c4d" in body["message"] and bad[:20] in body["message"]
    assert api.calls == []


def test_an_oversized_body_is_413_with_the_limit_before_any_aws_call(api):
    big = json.dumps({"campaign_name": "Big", "campaign_message": "x" * 70_000, "products": [{"name": "A"}]})
    status, body = submit(api, big)
    assert status == 413
    assert body == {
        "message": f"the brief is {len(big):,} bytes: at most 65,536 bytes are accepted",
        "code": "BodyTooLarge",
    }
    status, body = post(api, "summer-splash-2026-1a2b3c4d", "rerender", body=json.dumps({"version": "v" * 2000}))
    assert status == 413 and "at most 1,024 bytes" in body["message"]
    assert api.calls == []


def test_a_bad_cursor_or_limit_is_400_before_any_aws_call(api):
    another_teams = base64.urlsafe_b64encode(
        json.dumps(
            {"owner": "team-b", "campaign_id": "drop-1a2b3c4d", "created_at": "2026-12-01T10:00:00.000Z"}
        ).encode()
    )
    for cursor in ("not-a-cursor", another_teams.decode().rstrip("=")):
        status, body = call(api, "GET", "/campaigns", query={"cursor": cursor})
        assert status == 400 and body["code"] == "BadCursor"
        assert "is not one this listing returned" in body["message"] and cursor[:20] in body["message"]
    for limit in ("0", "51", "ten"):
        status, body = call(api, "GET", "/campaigns", query={"limit": limit})
        assert status == 400 and body["message"].startswith(f"limit '{limit}': expected a whole number from 1 to 50")
    assert api.calls == []


def test_an_unknown_route_is_a_json_404_listing_the_routes(api):
    status, body = call(api, "DELETE", "/campaigns")
    assert status == 404 and body["code"] == "NoSuchRoute" and "POST /campaigns/{id}/rerender" in body["message"]


def test_the_status_filter_finds_running_and_refused_campaigns_without_an_unfiltered_listing_first(api):
    running = submit(api)[1]["campaign_id"]
    run_parser(api, running)
    brief = json.loads(SAMPLE) | {"campaign_name": "Autumn Launch", "logo": "acme/no-such-logo.png"}
    status, answer = submit(api, json.dumps(brief))
    assert status == 202, answer  # the logo is checked by the parser, against the bucket
    refused = answer["campaign_id"]
    run_parser(api, refused, refused=True)

    def listed(wanted):
        status, body = call(api, "GET", "/campaigns", query={"status": wanted})
        assert status == 200, body
        return [(c["campaign_id"], c["status"]) for c in body["campaigns"]]

    assert listed("processing") == [(running, "processing")]
    assert listed("rejected") == [(refused, "rejected")]
    assert listed("queued") == []


def test_a_cancel_that_loses_the_race_with_the_last_product_is_a_409_not_a_500(api):
    cid = submit(api)[1]["campaign_id"]
    run_parser(api, cid)
    store = api.service().store
    read_before = store.get(cid)  # what the cancel reads: still processing
    finish(api, cid, 0, "citrus-sparkling-water")
    finish(api, cid, 1, "berry-sparkling-water")  # ...and the campaign completes before the cancel writes
    api.service().store.get = lambda campaign_id: read_before
    status, body = post(api, cid, "cancel")
    assert (status, body["code"]) == (409, "AlreadySettled"), body
    assert "already finished (complete)" in body["message"]
