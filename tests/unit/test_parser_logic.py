"""Pure parser logic: brief validation, asset paths, campaign identity, S3-in-SQS parsing."""

import json

import pytest

from handlers.parser.brief import asset_key, check_brief
from handlers.parser.campaign import campaign_id, missing_asset_reason, near_misses, pick_asset
from handlers.parser.events import NotAnS3Notification, parse_body
from tests.aws_events import fixture

CONTRACT_BRIEF = {
    "campaign_name": "Summer Splash 2026",
    "campaign_message": "Stay cool all summer",
    "target_audience": "Active adults 25-40",
    "target_regions": ["US", "CA"],
    "brand_colors": ["#0A84FF", "#FFFFFF"],
    "products": [
        {
            "name": "Citrus Sparkling Water",
            "description": "Lightly sparkling water with lemon and lime",
            "existing_assets": "acme/citrus/",
        },
        {"name": "Berry Sparkling Water", "description": "Sparkling water with raspberry"},
    ],
}


def encode(brief) -> bytes:
    return json.dumps(brief).encode()


def test_the_original_services_brief_is_accepted_unchanged():
    check = check_brief(encode(CONTRACT_BRIEF), 1 << 20)
    assert check.ok and check.brief == CONTRACT_BRIEF


def test_unknown_fields_are_tolerated():
    brief = dict(CONTRACT_BRIEF, locale="en-US", products=[dict(CONTRACT_BRIEF["products"][1], sku="B-1")])
    assert check_brief(encode(brief), 1 << 20).ok


def test_every_violation_is_reported_with_its_json_path():
    brief = {
        "campaign_message": "",
        "brand_colors": ["blue"],
        "products": [{"description": 3}, {"name": "ok", "existing_assets": "../secrets.png"}],
    }
    check = check_brief(encode(brief), 1 << 20)
    paths = {v.path for v in check.violations}
    assert not check.ok
    assert paths == {
        "$.campaign_name",
        "$.campaign_message",
        "$.brand_colors[0]",
        "$.products[0].name",
        "$.products[0].description",
        "$.products[1].existing_assets",
    }
    by_path = {v.path: v for v in check.violations}
    assert by_path["$.campaign_name"].message == 'missing: every brief needs a "campaign_name" field'
    assert by_path["$.products[0].name"].message == 'missing: every product needs a "name" field'
    assert by_path["$.campaign_message"].message == "must not be empty: at least 1 character"
    assert (
        by_path["$.products[0].description"].message == "expected a string (text in double quotes); found a number (3)"
    )
    assert by_path["$.brand_colors[0]"].message == (
        'expected a colour written as # and six hex digits, like #0A84FF; found "blue"'
    )
    assert by_path["$.brand_colors[0]"].value == "blue"
    assert "expected a key or folder under existing-assets/" in by_path["$.products[1].existing_assets"].message


@pytest.mark.parametrize(
    "body,expected",
    [
        (b"\xff\xfe{", "not UTF-8"),
        (b'{"campaign_name": ', "not valid JSON"),
        (b"x" * 2000, "at most 1.0 KB (1,024 bytes) per brief; this brief is 2.0 KB (2,000 bytes)"),
        (b"[]", "a brief is a JSON object like {"),
        (b'"summer"', "this file holds a string of 6 characters"),
        (b"[" * 100_000 + b"]" * 100_000, "nests arrays or objects too deeply"),  # 200 KB, under the size limit
    ],
)
def test_unreadable_briefs_are_refused_with_a_reason(body, expected):
    check = check_brief(body, 1024 if len(body) < 3000 else 1 << 20)
    assert not check.ok and expected in check.violations[0].message


@pytest.mark.parametrize(
    "change,path,message,value",
    [
        (
            {"products": [{"name": f"P{i}"} for i in range(100)]},
            "$.products",
            "at most 50 products; this brief has 100",
            '[{"name": "P0"}, {"name": "P1"}, {"name": "P2"}, {"name": "P3"}, {"name": "P4"}…',  # 79 + '…',
        ),
        ({"products": []}, "$.products", "at least 1 product; this brief has 0", "[]"),
        ({"brand_colors": ["#000000"] * 11}, "$.brand_colors", "at most 10 brand colours; this brief has 11", None),
        ({"target_regions": ["US"] * 51}, "$.target_regions", "at most 50 regions; this brief has 51", None),
        (
            {"campaign_message": "m" * 2000},
            "$.campaign_message",
            "at most 200 characters; this has 2,000",
            "m" * 79 + "…",
        ),
        ({"target_audience": "a" * 501}, "$.target_audience", "at most 500 characters; this has 501", None),
        ({"campaign_name": None}, "$.campaign_name", "expected a string (text in double quotes); found null", None),
        (
            {"campaign_name": "   "},
            "$.campaign_name",
            'expected some visible text, not only spaces; found "   "',
            "   ",
        ),
        ({"target_regions": "US"}, "$.target_regions", "expected an array; found a string of 2 characters", "US"),
        (
            {"on_missing_asset": "maybe"},
            "$.on_missing_asset",
            'expected one of "fail", "generate"; found "maybe"',
            None,
        ),
    ],
)
def test_limit_and_type_violations_say_the_limit_and_what_the_brief_has(change, path, message, value):
    [violation] = check_brief(encode(dict(CONTRACT_BRIEF, **change)), 1 << 20).violations
    assert (violation.path, violation.message) == (path, message)
    if value is not None:
        assert violation.value == value
    assert len(str(violation.value)) <= 80


def test_duplicate_keys_are_refused_naming_each_key_and_where():
    body = (
        b'{"campaign_name": "A", "campaign_message": "m", "campaign_name": "B",'
        b' "products": [{"name": "x", "description": "d", "name": "y"}]}'
    )
    check = check_brief(body, 1 << 20)
    assert not check.ok
    assert [(v.path, v.value) for v in check.violations] == [("$", "campaign_name"), ("$.products[0]", "name")]
    assert 'the key "campaign_name" appears 2 times in this object' in check.violations[0].message


@pytest.mark.parametrize(
    "value,expected",
    [
        ("acme/citrus/", "existing-assets/acme/citrus/"),
        ("acme/citrus/product.png", "existing-assets/acme/citrus/product.png"),
        ("existing-assets/acme/citrus/", "existing-assets/acme/citrus/"),
        ("acme/./citrus.png", "existing-assets/acme/citrus.png"),
        ("../input/campaign-briefs/x.json", None),
        ("acme/../../output/x.png", None),
        ("/etc/passwd", None),
        ("input/campaign-briefs/x.json", None),
        ("output/other-campaign/generated/a.png", None),
        ("s3://other-bucket/a.png", None),
        ("acme/%2e%2e/%2e%2e/input/a.json", None),
        ("acme\\..\\..\\input", None),
        ("existing-assets/../input/x.json", None),
        ("existing-assets/", None),
        (".", None),
    ],
)
def test_existing_assets_never_leave_the_assets_prefix(value, expected):
    assert asset_key(value) == expected


def test_campaign_id_is_readable_and_stable_per_upload():
    first = campaign_id("Summer Splash 2026!", "bucket/input/a.json#v1")
    assert first.startswith("summer-splash-2026-") and len(first.rsplit("-", 1)[1]) == 8
    assert campaign_id("Summer Splash 2026!", "bucket/input/a.json#v1") == first
    assert campaign_id("Summer Splash 2026!", "bucket/input/a.json#v2") != first
    assert campaign_id("Été à Paris — 2026", "u").rsplit("-", 1)[0] == "ete-a-paris-2026"
    assert campaign_id("你家", "u").rsplit("-", 1)[0] == "nijia"  # other scripts transliterated (CONTRACT §3)
    assert campaign_id("☀️🌊", "u").rsplit("-", 1)[0] == "campaign"  # nothing readable left: a plain word


def test_a_folder_means_its_product_png_or_its_first_image():
    keys = [
        "existing-assets/acme/citrus/b.jpg",
        "existing-assets/acme/citrus/product.png",
        "existing-assets/acme/citrus/notes.txt",
    ]
    assert pick_asset("existing-assets/acme/citrus/", keys) == "existing-assets/acme/citrus/product.png"
    assert pick_asset("existing-assets/acme/citrus/", keys[:1]) == "existing-assets/acme/citrus/b.jpg"
    assert pick_asset("existing-assets/acme/citrus", keys[:1]) == "existing-assets/acme/citrus/b.jpg"
    assert pick_asset("existing-assets/acme/citrus/", keys[2:]) is None
    assert pick_asset("existing-assets/acme/citrus-x/", keys) is None


@pytest.mark.parametrize(
    "name,key",
    [
        ("scanii_s3-event_plus-encoded-key.json", "Screen Shot 2016-01-19 at 7.24.37 PM.png"),
        ("e2u_s3-event_unicode-key.json", "你家娃🐱.png"),
        ("powertools_s3EventDecodedKey.json", "Happy Face.jpg"),
        ("lambdago_s3-event.json", "Happy Face.jpg"),
        ("s3doc_objectcreated-put-message.json", "HappyFace.jpg"),
    ],
)
def test_keys_are_decoded_as_s3_encodes_them(name, key):
    notification = parse_body(json.dumps(fixture(name)))
    assert [u.key for u in notification.uploads] == [key]


def test_test_events_and_deletions_are_skipped_not_failed():
    assert parse_body(json.dumps(fixture("s3doc_test-event-message.json"))).skipped
    deleted = parse_body(json.dumps(fixture("powertools_s3EventDeleteObject.json")))
    assert deleted.uploads == [] and "ObjectRemoved:Delete" in deleted.skipped[0]
    bodies = fixture("sekoia_sqs-message-bodies_with-s3-testevent.json")
    parsed = [parse_body(body if isinstance(body, str) else json.dumps(body)) for body in bodies]
    assert [len(p.uploads) for p in parsed] == [1, 0, 1]


@pytest.mark.parametrize(
    "body",
    [
        "Test message.",
        '{"message": "foo1"}',
        "[1, 2]",
        json.dumps(fixture("powertools_s3EventBridgeNotificationObjectCreatedEvent.json")),
    ],
)
def test_bodies_that_are_not_s3_notifications_are_record_failures(body):
    with pytest.raises(NotAnS3Notification):
        parse_body(body)


def test_a_report_per_upload_is_keyed_by_upload_time_and_version_or_etag():
    from handlers.parser.events import Upload
    from handlers.parser.service import upload_report_key
    from handlers.shared.bucket_layout import rejection_report_key

    def at(time, version=None, etag="0123456789abcdef0123"):
        return Upload("b", "input/campaign-briefs/Summer.JSON", version, etag, 10, "seq", time)

    assert upload_report_key(at("2026-12-02T00:36:39.123Z", "v2")) == (
        "output/rejected/Summer/20261202T003639.123Z-v2.json"
    )
    unversioned = [upload_report_key(at(t)) for t in ("2026-12-02T09:00:00.000Z", "2026-12-02T10:00:00.000Z")]
    assert unversioned == [
        "output/rejected/Summer/20261202T090000.000Z-0123456789ab.json",
        "output/rejected/Summer/20261202T100000.000Z-0123456789ab.json",
    ]
    assert rejection_report_key("input/campaign-briefs/Summer.JSON") == "output/rejected/Summer/report.json"


ASSET_KEYS = [
    "existing-assets/acme/Citrus/product.png",
    "existing-assets/acme/lime/product.gif",
    "existing-assets/acme/lime/notes",
    "existing-assets/acme/melon /product.jpg",
    "existing-assets/acme/melon-2/product.png",
]


@pytest.mark.parametrize(
    "asked,expected",
    [
        ("existing-assets/acme/citrus/", [("existing-assets/acme/Citrus/product.png", "other letter case")]),
        (
            "existing-assets/acme/lime/",
            [
                ("existing-assets/acme/lime/notes", "no file extension"),
                ("existing-assets/acme/lime/product.gif", "a GIF file, not PNG, JPEG or WebP"),
            ],
        ),
        ("existing-assets/acme/melon/", [("existing-assets/acme/melon /product.jpg", "spaces around a name")]),
        (
            "existing-assets/acme/CITRUS/product.png ",
            [("existing-assets/acme/Citrus/product.png", "other letter case and spaces around a name")],
        ),
        ("existing-assets/acme/kiwi/", []),
    ],
)
def test_near_misses_name_what_a_person_probably_meant(asked, expected):
    assert pick_asset(asked, ASSET_KEYS) is None
    assert near_misses(asked, ASSET_KEYS) == expected


def test_a_missing_asset_reason_says_what_was_asked_what_is_there_and_what_to_do():
    reason = missing_asset_reason("acme/kiwi/", "existing-assets/acme/kiwi/", [])
    assert reason == (
        'existing_assets "acme/kiwi/": no PNG, JPEG or WebP image under "existing-assets/acme/kiwi/"; nothing is '
        'there. Upload one there or correct existing_assets; or add "on_missing_asset": "generate" to the brief'
    )


def test_a_near_miss_in_another_case_and_format_says_both():
    keys = ["existing-assets/acme/Lemon/product.gif"]
    assert near_misses("existing-assets/acme/lemon/", keys) == [
        ("existing-assets/acme/Lemon/product.gif", "a GIF file, not PNG, JPEG or WebP; other letter case")
    ]
