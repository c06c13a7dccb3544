"""The campaign index's status hook and the parser's part in it, against moto (S3 + DynamoDB): a brief the API
stored with an `owner` gets that owner in its manifest, and whichever function settles the campaign records the
final status on the index item; a campaign without an owner, an item the API never made, or an index that
cannot be written changes nothing else."""

import io
import json

import boto3
import pytest
from PIL import Image

from handlers.parser.campaign import campaign_id as campaign_id_of
from handlers.parser.events import Upload
from handlers.parser.service import ParserService
from handlers.shared.manifest import ManifestStore
from handlers.shared.settled import IndexStatus, on_campaign_settled
from handlers.variants.service import VariantsService
from tests.quiet import Quiet

BUCKET = "creative-automation-dev-123456789012-us-east-1"
TABLE = "creative-automation-dev-campaigns"
KEY = "input/campaign-briefs/api/team-a/5f0c.json"
BRIEF = {
    "campaign_name": "Autumn Glow",
    "campaign_message": "Warm up",
    "target_audience": "Everyone",
    "target_regions": ["US"],
    "products": [
        {"name": "Candle", "existing_assets": "missing/candle.png"},
        {"name": "Lamp", "existing_assets": "missing/lamp.png"},
    ],
}


class Log:
    def __init__(self):
        self.warnings = []

    def info(self, *args, **kwargs):
        pass

    def warning(self, msg, *args, extra=None):
        self.warnings.append((msg, extra))

    def append_keys(self, **keys):
        pass


@pytest.fixture
def world(aws_endpoint):
    s3, dynamodb = boto3.client("s3"), boto3.client("dynamodb")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "campaign_id", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "campaign_id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return s3, dynamodb


def parse(s3, brief, metadata=None, index=None, log=None):
    response = s3.put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps(brief).encode(), Metadata=metadata or {})
    upload = Upload(BUCKET, KEY, response["VersionId"], response["ETag"].strip('"'), None, None)
    store = ManifestStore(s3, BUCKET)
    service = ParserService(s3, store, 65536, log or Log(), Quiet(), invoke=lambda payload: None, index=index)
    outcome = service.handle(upload)
    return store, outcome.campaign_id


def index_item(dynamodb, owner, campaign_id):
    return dynamodb.get_item(TableName=TABLE, Key={"owner": {"S": owner}, "campaign_id": {"S": campaign_id}}).get(
        "Item"
    )


def put_item(dynamodb, owner, campaign_id, status="queued"):
    dynamodb.put_item(
        TableName=TABLE, Item={"owner": {"S": owner}, "campaign_id": {"S": campaign_id}, "status": {"S": status}}
    )


def with_existing_asset(s3):
    s3.put_object(Bucket=BUCKET, Key="existing-assets/candle.png", Body=b"\x89PNG\r\n\x1a\n")
    return {**BRIEF, "products": [{"name": "Candle", "existing_assets": "candle.png"}]}


def test_the_parser_copies_the_owner_the_api_recorded_and_marks_the_campaign_open(world):
    s3, _ = world
    store, campaign_id = parse(s3, with_existing_asset(s3), metadata={"owner": "team-a"})
    manifest = store.get(campaign_id)
    assert manifest["owner"] == "team-a"
    assert manifest["status"] == "processing"
    marker = s3.get_object(Bucket=BUCKET, Key=f"output/_open/{campaign_id}")
    assert marker["ContentLength"] == 0


def test_a_plain_upload_has_no_owner_in_its_manifest(world):
    s3, _ = world
    store, campaign_id = parse(s3, with_existing_asset(s3))
    assert "owner" not in store.get(campaign_id)


def as_the_api(s3, dynamodb, owner):
    """Brief uploads make the index item first, as the API does: its id is the one the parser computes from
    the upload's identity."""
    original_put = s3.put_object

    def put_and_index(**kwargs):
        answer = original_put(**kwargs)
        if kwargs.get("Key") == KEY:
            identity = f"{BUCKET}/{KEY}#{answer['VersionId']}"
            put_item(dynamodb, owner, campaign_id_of(json.loads(kwargs["Body"])["campaign_name"], identity))
        return answer

    s3.put_object = put_and_index


def test_a_campaign_the_parser_settles_at_once_records_failed_on_its_index_item_and_is_not_left_open(world):
    s3, dynamodb = world
    as_the_api(s3, dynamodb, "team-a")
    store, campaign_id = parse(s3, BRIEF, metadata={"owner": "team-a"}, index=IndexStatus(TABLE, dynamodb))
    assert store.get(campaign_id)["status"] == "failed", "both products name assets that do not exist"
    assert index_item(dynamodb, "team-a", campaign_id)["status"] == {"S": "failed"}
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="output/_open/").get("Contents", [])]
    assert keys == []


def settle_through_variants(s3, dynamodb, owner, table, log):
    """A campaign with one existing-asset product, rendered by the variants function whose store settles it."""
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), (200, 120, 40)).save(buffer, "PNG")
    s3.put_object(Bucket=BUCKET, Key="existing-assets/candle.png", Body=buffer.getvalue())
    brief = {**BRIEF, "products": [{"name": "Candle", "existing_assets": "candle.png"}]}
    _, campaign_id = parse(s3, brief, metadata={"owner": owner} if owner else None)
    settling = ManifestStore(
        s3, BUCKET, on_settled=on_campaign_settled(Quiet(), log, s3, BUCKET, IndexStatus(table, dynamodb))
    )
    assert VariantsService(s3, settling, Quiet(), Quiet()).handle(campaign_id, 0, None) == "complete"
    return campaign_id


def test_the_function_that_settles_an_owned_campaign_records_its_status_on_the_index_item(world):
    s3, dynamodb = world
    log = Log()
    as_the_api(s3, dynamodb, "team-a")
    campaign_id = settle_through_variants(s3, dynamodb, "team-a", TABLE, log)
    assert index_item(dynamodb, "team-a", campaign_id)["status"] == {"S": "complete"}
    assert log.warnings == []


def test_an_index_item_the_api_never_made_is_not_created_and_the_campaign_still_settles(world):
    s3, dynamodb = world
    log = Log()
    campaign_id = settle_through_variants(s3, dynamodb, "team-b", TABLE, log)
    assert index_item(dynamodb, "team-b", campaign_id) is None
    assert [message for message, _ in log.warnings] == [
        "campaign index not updated; the API repairs it from the manifest when read"
    ]
    assert "ConditionalCheckFailed" in log.warnings[0][1]["error"]
    assert s3.get_object(Bucket=BUCKET, Key=f"output/{campaign_id}/index.html")["ContentLength"] > 0


def test_a_missing_table_is_logged_not_raised(world):
    s3, dynamodb = world
    log = Log()
    campaign_id = settle_through_variants(s3, dynamodb, "team-a", "no-such-table", log)
    assert (
        json.loads(s3.get_object(Bucket=BUCKET, Key=f"output/{campaign_id}/manifest.json")["Body"].read())["status"]
        == "complete"
    )
    assert "ResourceNotFound" in log.warnings[0][1]["error"]


def test_without_an_owner_or_a_table_nothing_is_written_to_the_index(world):
    s3, dynamodb = world
    log = Log()
    settle_through_variants(s3, dynamodb, None, TABLE, log)
    settle_through_variants(s3, dynamodb, "team-a", None, log)
    assert dynamodb.scan(TableName=TABLE)["Count"] == 0
    assert log.warnings == []
