"""parser -> generator -> variants through the real handlers, invocations run in-process, against moto S3.

Also the metrics contract: the EMF lines each handler prints (namespace, dimension sets, metric names)."""

import importlib
import json
from collections import deque
from pathlib import Path

import boto3
import pytest

from handlers.shared import metrics as names
from handlers.shared.invoke import set_transport
from handlers.shared.lifecycle import request_cancel
from handlers.shared.manifest import ManifestStore
from localrun.lambda_context import LocalContext
from tests import emf
from tests.aws_events import s3_notification, sqs_event
from tests.dashboard_view import pipeline_series
from tests.documented import (
    FILTERED_PAGE_EXAMPLE,
    MODEL_UNAVAILABLE_ANSWERS,
    RESPONSE_PAGE_EXAMPLE,
    USD_PER_IMAGE,
)
from tests.shots import tall_can

BUCKET = "creative-automation-dev-123456789012-us-east-1"
NAMESPACE = "CreativeAutomation/test"
SAMPLE = Path(__file__).parents[2] / "samples" / "briefs" / "summer-splash.json"
FUNCTIONS = {"GENERATOR_FUNCTION": "generator", "VARIANTS_FUNCTION": "variants"}


def metric_values(printed: str) -> dict[tuple[str, str], float]:
    """(service, metric) -> sum of the values the functions printed as EMF."""
    totals: dict[tuple[str, str], float] = {}
    for metric in emf.parse(printed):
        key = (metric.dimensions["service"], metric.name)
        totals[key] = totals.get(key, 0) + metric.total
    return totals


def upload(s3, key: str, body: bytes) -> dict:
    """Put a brief in the bucket; the S3 notification that announces it."""
    response = s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return s3_notification(BUCKET, key, size=len(body), etag=response["ETag"].strip('"'))


@pytest.fixture
def pipeline(aws_endpoint, monkeypatch, function_environment):
    function_environment(BUCKET, POWERTOOLS_METRICS_NAMESPACE=NAMESPACE, POWERTOOLS_METRICS_DISABLED=None)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), (240, 200, 60)).save(buffer, "PNG")
    s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/citrus/product.png", Body=buffer.getvalue())
    apps = {name: importlib.import_module(f"handlers.{name}.app") for name in ("parser", "generator", "variants")}
    for app in apps.values():
        monkeypatch.setattr(app, "_service", None)  # fresh clients against this moto server
    pending = deque()
    set_transport(lambda target, payload: pending.append((FUNCTIONS[target], payload)))

    def run(event, after_parser=lambda: None):
        response = apps["parser"].handler(event, LocalContext("creative-automation-dev-parser"))
        after_parser()  # for instance a cancel, landing before the next functions start
        while pending:
            name, payload = pending.popleft()
            apps[name].handler(payload, LocalContext(f"creative-automation-dev-{name}"))
        return response

    run.s3 = s3
    yield run
    set_transport(None)


def test_the_sample_brief_becomes_ten_variants_and_a_complete_campaign(pipeline, capsys):
    capsys.readouterr()
    event = sqs_event(upload(pipeline.s3, "input/campaign-briefs/summer-splash.json", SAMPLE.read_bytes()))
    assert pipeline(event) == {"batchItemFailures": []}

    keys = [o["Key"] for o in pipeline.s3.list_objects_v2(Bucket=BUCKET, Prefix="output/")["Contents"]]
    [manifest_key] = [k for k in keys if k.endswith("manifest.json")]
    manifest = json.loads(pipeline.s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    assert manifest["status"] == "complete"
    assert [p["image_source"] for p in manifest["products"]] == ["existing", "generated"]
    assert all(len(p["variants"]) == 5 for p in manifest["products"])
    assert manifest["products"][1]["source_key"].endswith("/generated/01-berry-sparkling-water.png")

    totals = metric_values(capsys.readouterr().out)
    assert totals[("parser", names.CAMPAIGNS_STARTED)] == 1
    assert totals[("parser", names.PRODUCTS_REUSED)] == 1  # the existing asset
    assert totals[("generator", names.PRODUCTS_GENERATED)] == 1
    assert totals[("generator", names.IMAGE_MODEL_COST_USD)] == 0  # the offline backend is free
    assert ("generator", names.GENERATION_DURATION_MS) in totals
    assert totals[("variants", names.VARIANTS_RENDERED)] == 10
    assert ("variants", names.RENDER_DURATION_MS) in totals
    assert totals[("variants", names.CAMPAIGNS_COMPLETED)] == 1
    assert not any(metric == names.CAMPAIGNS_FAILED for _, metric in totals)


def test_the_campaign_gallery_is_published_next_to_its_manifest(pipeline):
    """CONTRACT §3: output/<campaign-id>/index.html, written when the campaign starts and again when it settles."""
    body = SAMPLE.read_bytes()
    pipeline(sqs_event(upload(pipeline.s3, "input/campaign-briefs/summer-splash.json", body)))

    [page_key] = [
        o["Key"]
        for o in pipeline.s3.list_objects_v2(Bucket=BUCKET, Prefix="output/")["Contents"]
        if o["Key"].endswith("/index.html")
    ]
    campaign_id = page_key.split("/")[1]
    page = pipeline.s3.get_object(Bucket=BUCKET, Key=page_key)
    assert page["ContentType"] == "text/html; charset=utf-8"
    html = page["Body"].read().decode()
    manifest = json.loads(
        pipeline.s3.get_object(Bucket=BUCKET, Key=f"output/{campaign_id}/manifest.json")["Body"].read()
    )
    assert ">complete<" in html  # the settled state, not the "processing" page the parser wrote first
    for product in manifest["products"]:
        for variant in product["variants"]:  # linked relative to the page, as the bucket lays them out
            assert f'src="{variant["key"][len(f"output/{campaign_id}/") :]}"' in html
    assert 'src="../../existing-assets/acme/citrus/product.png"' in html


def test_a_retry_after_the_gallery_could_not_be_written_publishes_it(pipeline, monkeypatch):
    """The settling write succeeded but the page did not: Lambda's retry of that invocation writes it."""
    from handlers.shared import gallery

    body = SAMPLE.read_bytes()
    real_publish = gallery.publish
    failures = []

    def flaky_publish(s3, bucket, manifest):
        if manifest["status"] != "processing" and not failures:
            failures.append(manifest["status"])
            raise ConnectionError("stand-in: S3 unreachable while writing the gallery")
        return real_publish(s3, bucket, manifest)

    monkeypatch.setattr(gallery, "publish", flaky_publish)
    event = sqs_event(upload(pipeline.s3, "input/campaign-briefs/summer-splash.json", body))
    with pytest.raises(ConnectionError):
        pipeline(event)  # the invocation that settled the campaign raised: Lambda retries it
    page_key = next(
        o["Key"]
        for o in pipeline.s3.list_objects_v2(Bucket=BUCKET, Prefix="output/")["Contents"]
        if o["Key"].endswith("/index.html")
    )
    assert ">processing<" in pipeline.s3.get_object(Bucket=BUCKET, Key=page_key)["Body"].read().decode()

    from handlers.variants import app as variants_app

    campaign_id = page_key.split("/")[1]
    variants_app.handler(
        {"campaign_id": campaign_id, "product_index": 1, "bucket": BUCKET},
        LocalContext("creative-automation-dev-variants"),
    )
    assert failures == ["complete"]
    assert ">complete<" in pipeline.s3.get_object(Bucket=BUCKET, Key=page_key)["Body"].read().decode()


def test_rejections_and_partial_and_failed_campaigns_are_counted_in_emf(pipeline, capsys):
    """BriefsRejected from the parser; CampaignsPartial and CampaignsFailed from the function that settled them."""
    pipeline.s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/broken/product.png", Body=b"\x89PNG not really")
    briefs = {
        "rejected.json": {"campaign_name": "", "products": []},
        "partial.json": {
            "campaign_name": "Half",
            "campaign_message": "Half works",
            "products": [
                {"name": "Good", "existing_assets": "acme/citrus/"},
                {"name": "Bad", "existing_assets": "acme/broken/"},
            ],
        },
        "failed.json": {
            "campaign_name": "None",
            "campaign_message": "Nothing works",
            "products": [{"name": "Bad", "existing_assets": "acme/broken/"}],
        },
    }
    notifications = [
        upload(pipeline.s3, f"input/campaign-briefs/{name}", json.dumps(brief).encode())
        for name, brief in briefs.items()
    ]
    capsys.readouterr()
    assert pipeline(sqs_event(*notifications)) == {"batchItemFailures": []}

    totals = metric_values(capsys.readouterr().out)
    assert totals[("parser", names.BRIEFS_REJECTED)] == 1
    assert totals[("parser", names.CAMPAIGNS_STARTED)] == 2
    assert totals[("variants", names.CAMPAIGNS_PARTIAL)] == 1
    assert totals[("variants", names.CAMPAIGNS_FAILED)] == 1
    assert not any(metric == names.CAMPAIGNS_COMPLETED for _, metric in totals)


def stub_bedrock(monkeypatch, answers: list[str]):
    """The generator's Bedrock client (Stable Image Core, in us-west-2) stubbed to give these answers in turn:
    "throttle" (HTTP 429), "image" (a 1024 x 1024 PNG, in the answer its Bedrock page shows), "filtered" (the
    answer without an image that page shows for a refused prompt) or "ended" (a model past its end of life). The
    variants' outpaint model (us.stability.stable-outpaint-v1:0) calls the same client."""
    import base64
    import io

    from botocore.response import StreamingBody
    from botocore.stub import ANY, Stubber
    from PIL import Image

    from handlers.generator import app as generator_app

    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), (30, 90, 160)).save(buffer, "PNG")
    bodies = {
        "image": RESPONSE_PAGE_EXAMPLE | {"images": [base64.b64encode(buffer.getvalue()).decode()]},
        "filtered": FILTERED_PAGE_EXAMPLE,
    }
    # A client of its own session: boto3.client may already be an earlier call's stand-in.
    bedrock = boto3.Session().client("bedrock-runtime", region_name="us-west-2")
    stubber = Stubber(bedrock)
    errors = {
        "throttle": ("ThrottlingException", "Too many requests, please wait before trying again.", 429),
        "ended": MODEL_UNAVAILABLE_ANSWERS[0],  # "This model version has reached the end of its life. ..."
    }
    for answer in answers:
        if answer in bodies:
            data = json.dumps(bodies[answer]).encode()
            stubber.add_response(
                "invoke_model",
                {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"},
                {"modelId": "stability.stable-image-core-v1:1", "body": ANY, "accept": ANY, "contentType": ANY},
            )
        else:
            code, message, status = errors[answer]
            stubber.add_client_error(
                "invoke_model", service_error_code=code, service_message=message, http_status_code=status
            )
    stubber.activate()
    real_client = boto3.client
    monkeypatch.setattr(
        generator_app.boto3,
        "client",
        lambda name, **kw: bedrock if name == "bedrock-runtime" else real_client(name, **kw),
    )
    for name, value in {
        "IMAGE_BACKEND": "bedrock",
        "BEDROCK_REGION": "us-west-2",
        "BEDROCK_MODEL_ID": "stability.stable-image-core-v1:1",
        "BEDROCK_OUTPAINT_MODEL_ID": "us.stability.stable-outpaint-v1:0",
    }.items():
        monkeypatch.setenv(name, value)
    from handlers.variants import app as variants_app

    for app in (generator_app, variants_app):
        monkeypatch.setattr(app, "_service", None)  # built again, on the stubbed client
    # The backoff itself is tested elsewhere.
    generator_app.service().backend.sleep = variants_app.service().model.sleep = lambda seconds: None
    return stubber


def test_the_generator_counts_model_throttles_and_cost_through_bedrock(pipeline, monkeypatch, capsys):
    """The real generator handler against a stubbed Bedrock (one throttle, then an image): its EMF lines
    carry ModelThrottles, ProductsGenerated and the model's price as ImageModelCostUSD."""
    stubber = stub_bedrock(monkeypatch, ["throttle", "image"])
    body = json.dumps(
        {
            "campaign_name": "Berry",
            "campaign_message": "Taste it",
            "products": [{"name": "Berry Sparkling Water", "description": "raspberry"}],
        }
    ).encode()
    event = sqs_event(upload(pipeline.s3, "input/campaign-briefs/berry.json", body))
    capsys.readouterr()
    pipeline(event)
    stubber.assert_no_pending_responses()

    totals = metric_values(capsys.readouterr().out)
    assert totals[("generator", names.MODEL_THROTTLES)] == 1
    assert totals[("generator", names.PRODUCTS_GENERATED)] == 1
    assert totals[("generator", names.IMAGE_MODEL_COST_USD)] == pytest.approx(
        USD_PER_IMAGE["stability.stable-image-core-v1:1"]
    )
    assert totals[("variants", names.CAMPAIGNS_COMPLETED)] == 1


# --- the metrics contract: what each function really prints, against what the dashboard shows -------------

SCENARIO_METRICS: list[emf.EmfMetric] = []  # filled once by the first test that needs it


def brief(name: str, *products: dict) -> bytes:
    return json.dumps({"campaign_name": name, "campaign_message": f"{name} now", "products": list(products)}).encode()


def run_every_scenario(pipeline, monkeypatch, capsys) -> list[emf.EmfMetric]:
    """Every outcome the pipeline counts, through the real handlers; the metrics they printed."""
    pipeline.s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/broken/product.png", Body=b"\x89PNG not really")
    citrus, broken = (
        {"name": "Citrus", "existing_assets": "acme/citrus/"},
        {"name": "Bad", "existing_assets": "acme/broken/"},
    )
    berry = {"name": "Berry Sparkling Water", "description": "raspberry"}
    offline = {  # placeholder images: complete, cached, rejected, partial and failed campaigns
        "first.json": SAMPLE.read_bytes(),
        "again.json": SAMPLE.read_bytes(),  # same prompts: the generator reuses its cached image
        "rejected.json": json.dumps({"campaign_name": "", "products": []}).encode(),
        "partial.json": brief("Half", citrus, broken),
        "failed.json": brief("None", broken),
        "missing.json": brief("Missing", {"name": "Kiwi", "existing_assets": "acme/kiwi/"}),  # failed by the parser
        "stand-in.json": json.dumps(
            {
                "campaign_name": "Stand-in",
                "campaign_message": "Stand-in now",
                "on_missing_asset": "generate",
                "products": [{"name": "Lime", "existing_assets": "acme/lime/"}],
            }
        ).encode(),
    }
    capsys.readouterr()
    for name, body in offline.items():  # one at a time: the second sample must find the first one's image
        pipeline(sqs_event(upload(pipeline.s3, f"input/campaign-briefs/{name}", body)))
    # Cancelled after routing: the generator and the variants each settle a campaign cancelled.
    for name, body in {"stopped.json": brief("Stopped", berry), "halted.json": brief("Halted", citrus)}.items():
        pipeline(sqs_event(upload(pipeline.s3, f"input/campaign-briefs/{name}", body)), cancel_open_campaigns)
    # Bedrock: a throttle, then the content filter settles one campaign partial and another failed.
    stubber = stub_bedrock(monkeypatch, ["throttle", "filtered", "filtered"])
    for name, body in {
        "refused-half.json": brief("Mixed", citrus, berry),
        "refused.json": brief("Refused", berry),
    }.items():
        pipeline(sqs_event(upload(pipeline.s3, f"input/campaign-briefs/{name}", body)))
    stubber.assert_no_pending_responses()
    # Bedrock refuses an ended model: the generator, then an expand's outpaint (after a throttle), each tell it once.
    stubber = stub_bedrock(monkeypatch, ["ended", "throttle", "ended"])
    can = {"name": "Can", "existing_assets": "acme/can/"}  # a tall can on a studio backdrop: wide sizes extend it
    pipeline.s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/can/product.png", Body=tall_can())
    expand = json.dumps({**json.loads(brief("Widen", can)), "framing": "expand"}).encode()
    for name, body in {"ended.json": brief("Ended", berry), "widen.json": expand}.items():
        pipeline(sqs_event(upload(pipeline.s3, f"input/campaign-briefs/{name}", body)))
    stubber.assert_no_pending_responses()
    return emf.parse(capsys.readouterr().out)


def cancel_open_campaigns() -> None:
    s3 = boto3.client("s3")
    store = ManifestStore(s3, BUCKET)
    for marker in s3.list_objects_v2(Bucket=BUCKET, Prefix="output/_open/").get("Contents", []):
        store.update(marker["Key"].rsplit("/", 1)[1], request_cancel)  # settled campaigns are left as they are


@pytest.fixture
def emitted(pipeline, monkeypatch, capsys) -> list[emf.EmfMetric]:
    if not SCENARIO_METRICS:
        SCENARIO_METRICS.extend(run_every_scenario(pipeline, monkeypatch, capsys))
    return SCENARIO_METRICS


PIPELINE_FUNCTIONS = ["parser", "generator", "variants"]


@pytest.mark.slow  # eleven campaigns through the real handlers
@pytest.mark.parametrize("service", PIPELINE_FUNCTIONS)
def test_each_function_counts_in_the_stack_namespace_with_only_its_service_dimension(emitted, service):
    """The one dimension set the dashboard and alarms query; any other would show nothing in CloudWatch."""
    own = [metric for metric in emitted if metric.dimensions.get("service") == service]
    assert own, f"{service} printed no metrics"
    assert {(m.namespace, tuple(map(tuple, m.dimension_sets))) for m in own} == {(NAMESPACE, (("service",),))}
    assert all(set(metric.dimensions) == {"service"} for metric in emitted)


@pytest.mark.slow  # eleven campaigns through the real handlers
@pytest.mark.parametrize("service", PIPELINE_FUNCTIONS)
def test_every_metric_a_function_emits_is_on_the_dashboard_for_that_function(emitted, service):
    own = {(metric.name, service) for metric in emitted if metric.dimensions["service"] == service}
    assert own <= pipeline_series()


@pytest.mark.slow  # eleven campaigns through the real handlers
@pytest.mark.parametrize("service", PIPELINE_FUNCTIONS)
def test_every_pipeline_series_on_the_dashboard_is_fed_by_its_function(emitted, service):
    own = {(metric.name, service) for metric in emitted if metric.dimensions["service"] == service}
    shown = {(name, shown_for) for name, shown_for in pipeline_series() if shown_for == service}
    assert shown - own == set()


def manifests_by_name(s3) -> dict:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="output/").get("Contents", [])]
    found = [
        json.loads(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()) for k in keys if k.endswith("manifest.json")
    ]
    return {m["campaign_name"]: m for m in found}


def test_a_batch_with_a_missing_asset_an_upper_case_json_and_a_txt_brief(pipeline, monkeypatch, capsys):
    """Issue 17's batch: a good brief completes; the product whose existing asset is missing fails with the asset
    reason and never reaches the model (the Stubber holds exactly one image, for the good brief's generated
    product); `.JSON` is a brief like any other; `.txt` gets a report."""
    pipeline.s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/Lemon/product.png", Body=b"x")
    pipeline.s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/lemon/product.gif", Body=b"GIF89a")
    stubber = stub_bedrock(monkeypatch, ["image"])
    good = json.loads(SAMPLE.read_bytes())  # one existing asset, one generated product
    missing = dict(good, campaign_name="Lemon", products=[{"name": "Lemon", "existing_assets": "acme/lemon/"}])
    upper = dict(good, campaign_name="Upper", products=[good["products"][0]])
    briefs = {"good.json": good, "missing.json": missing, "UPPER.JSON": upper, "notes.txt": good}
    notifications = [
        upload(pipeline.s3, f"input/campaign-briefs/{name}", json.dumps(brief).encode())
        for name, brief in briefs.items()
    ]
    capsys.readouterr()
    assert pipeline(sqs_event(*notifications)) == {"batchItemFailures": []}
    stubber.assert_no_pending_responses()

    found = manifests_by_name(pipeline.s3)
    assert {name: m["status"] for name, m in found.items()} == {
        "Summer Splash 2026": "complete",
        "Lemon": "failed",
        "Upper": "complete",
    }
    [lemon] = found["Lemon"]["products"]
    assert lemon["error"]["code"] == "ExistingAssetMissing"
    message = lemon["error"]["message"]
    assert message.startswith(
        'existing_assets "acme/lemon/": no PNG, JPEG or WebP image under "existing-assets/acme/lemon/"'
    )
    assert '"existing-assets/acme/Lemon/product.png" (other letter case)' in message
    assert '"existing-assets/acme/lemon/product.gif" (a GIF file, not PNG, JPEG or WebP)' in message
    assert '"on_missing_asset": "generate"' in message
    page = pipeline.s3.get_object(Bucket=BUCKET, Key=f"output/{found['Lemon']['campaign_id']}/index.html")
    assert "Source: existing asset <code>acme/lemon/</code>, not found" in page["Body"].read().decode()
    rejected = [o["Key"] for o in pipeline.s3.list_objects_v2(Bucket=BUCKET, Prefix="output/rejected/")["Contents"]]
    assert [k for k in rejected if k.endswith("/report.json")] == ["output/rejected/notes/report.json"]

    totals = metric_values(capsys.readouterr().out)
    assert totals[("parser", names.EXISTING_ASSETS_MISSING)] == 1
    assert totals[("parser", names.CAMPAIGNS_FAILED)] == 1  # settled by the parser: nothing left to run
    assert totals[("generator", names.PRODUCTS_GENERATED)] == 1
    assert totals[("parser", names.BRIEFS_REJECTED)] == 1


def test_a_brief_that_allows_it_gets_a_generated_image_for_a_missing_asset_shown_everywhere(pipeline, capsys):
    brief = {
        "campaign_name": "Stand-in",
        "campaign_message": "Still here",
        "on_missing_asset": "generate",
        "products": [{"name": "Lime", "existing_assets": "acme/Citrus/"}],
    }
    capsys.readouterr()
    pipeline(sqs_event(upload(pipeline.s3, "input/campaign-briefs/stand-in.json", json.dumps(brief).encode())))
    [manifest] = manifests_by_name(pipeline.s3).values()
    [product] = manifest["products"]
    assert (manifest["status"], product["image_source"]) == ("complete", "generated")
    assert product["asset_substitution"]["requested"] == "acme/Citrus/"
    assert '"existing-assets/acme/citrus/product.png" (other letter case)' in product["asset_substitution"]["reason"]
    page = pipeline.s3.get_object(Bucket=BUCKET, Key=f"output/{manifest['campaign_id']}/index.html")
    assert "generated instead of the missing existing asset <code>acme/Citrus/</code>" in page["Body"].read().decode()
    totals = metric_values(capsys.readouterr().out)
    assert totals[("parser", names.MISSING_ASSETS_GENERATED)] == 1
    assert totals[("generator", names.PRODUCTS_GENERATED)] == 1


def test_a_brief_asking_to_expand_is_extended_offline_by_the_local_stand_in_at_no_cost(pipeline):
    sample = json.loads(SAMPLE.read_bytes()) | {"framing": "expand"}
    event = sqs_event(upload(pipeline.s3, "input/campaign-briefs/expand.json", json.dumps(sample).encode()))
    assert pipeline(event) == {"batchItemFailures": []}
    [manifest_key] = [
        o["Key"]
        for o in pipeline.s3.list_objects_v2(Bucket=BUCKET, Prefix="output/")["Contents"]
        if o["Key"].endswith("manifest.json")
    ]
    manifest = json.loads(pipeline.s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    assert manifest["status"] == "complete" and manifest["framing"] == "expand"
    checks = [v["check"] for p in manifest["products"] for v in p["variants"]]
    extended = [c for c in checks if c["extended"]]
    assert extended, "the generated product shot needs some sizes extended"
    assert all(c["expanded_by"] == "local stand-in" and c["expand_cost_usd"] == 0 for c in extended)
    assert all("expanded_by" not in c for c in checks if not c["extended"])
    assert manifest["total_cost_usd"] == 0
