"""The campaign API's pure parts: claims, request checks, cost estimate, versions."""

import pytest

from handlers.api import auth, checks, versions
from handlers.api.checks import ApiError
from handlers.api.estimate import OFFLINE, Prices, estimate, prices
from handlers.shared.environment import ImageModels

# Bedrock's on-demand prices per image (image_models.json cites where each was read, 2026-12-08).
SD35_LARGE_USD, CORE_USD, OUTPAINT_USD = 0.08, 0.04, 0.06


def event_with(claims):
    return {"requestContext": {"authorizer": {"jwt": {"claims": claims, "scopes": None}}}}


@pytest.mark.parametrize(
    ("groups", "owner"),
    [("[team-a]", "team-a"), (["team-a"], "team-a"), ("team-a", "team-a"), (None, "user-1")],
)
def test_the_owner_is_the_one_team_named_or_else_the_subject(groups, owner):
    claims = {"sub": "user-1", "scope": "campaigns/read"} | ({"cognito:groups": groups} if groups else {})
    assert auth.caller(event_with(claims), "cognito:groups").owner == owner


def test_a_token_in_no_team_or_two_is_refused_with_the_count():
    for groups, count in (("[]", 0), ("[team-a team-b]", 2)):
        with pytest.raises(ApiError) as refused:
            auth.caller(event_with({"sub": "u", "cognito:groups": groups}), "cognito:groups")
        assert refused.value.status == 403 and f"names {count} teams" in refused.value.message


def test_a_cursor_round_trips_and_any_edit_is_refused():
    key = {
        "owner": {"S": "team-a"},
        "campaign_id": {"S": "drop-1a2b3c4d"},
        "created_at": {"S": "2026-12-01T10:00:00.000Z"},
    }
    cursor = checks.encode_cursor(key)
    assert checks.decode_cursor(cursor, "team-a") == key
    for bad, owner in ((cursor, "team-b"), (cursor[:-2], "team-a"), (cursor + "x", "team-a"), ("x" * 2000, "team-a")):
        with pytest.raises(ApiError) as refused:
            checks.decode_cursor(bad, owner)
        assert refused.value.code == "BadCursor"


@pytest.mark.parametrize(
    ("body", "version"), [(b"", "latest"), (b'{"version": "v1.2.0"}', "v1.2.0"), (b"{}", "latest")]
)
def test_a_rerender_body_names_a_version_or_means_latest(body, version):
    assert checks.rerender_version(body) == version


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"[1]", "BadBody"),
        (b'{"versions": "v1"}', "BadBody"),
        (b'{"version": "../x"}', "BadVersion"),
        (b"{", "BadBody"),
    ],
)
def test_a_bad_rerender_body_says_what_is_expected(body, code):
    with pytest.raises(ApiError) as refused:
        checks.rerender_version(body)
    assert refused.value.code == code and "version" in refused.value.message


def test_the_estimate_charges_one_image_per_product_without_an_existing_asset():
    brief = {
        "campaign_name": "C",
        "campaign_message": "M",
        "on_missing_asset": "generate",
        "products": [
            {"name": "Kept", "existing_assets": "acme/a/"},
            {"name": "Gone", "existing_assets": "acme/b/"},
            {"name": "New"},
        ],
    }
    found = {"existing-assets/acme/a/": "existing-assets/acme/a/product.png"}
    sd35 = prices(ImageModels("bedrock", "stability.sd3-5-large-v1:0", None, "us-west-2"))
    cost = estimate(brief, sd35, found.get)
    assert [p["image"] for p in cost.products] == ["existing", "generated", "generated"]
    assert (cost.model_calls, cost.total_usd) == (2, 2 * SD35_LARGE_USD)
    strict = estimate({**brief, "on_missing_asset": "fail"}, sd35, found.get)
    assert [p["image"] for p in strict.products] == ["existing", "missing", "generated"]
    assert "this product will fail" in strict.products[1]["note"] and strict.total_usd == SD35_LARGE_USD
    offline = prices(ImageModels("local"))
    assert offline == Prices(OFFLINE, 0.0) and "free" in offline.image_model


def test_an_expand_brief_is_estimated_at_one_outpaint_call_per_variant_size_of_every_product_with_an_image():
    brief = {
        "campaign_name": "C",
        "campaign_message": "M",
        "framing": "expand",
        "products": [{"name": "Kept", "existing_assets": "acme/a/"}, {"name": "Gone", "existing_assets": "acme/b/"}],
        "on_missing_asset": "fail",
    }
    found = {"existing-assets/acme/a/": "existing-assets/acme/a/product.png"}
    stack = prices(
        ImageModels("bedrock", "stability.stable-image-core-v1:1", "us.stability.stable-outpaint-v1:0", "us-west-2")
    )
    # Five variant sizes (CONTRACT §5), each extension at most one outpaint call.
    expanded = estimate(brief, stack, found.get)
    kept, gone = expanded.products
    assert (kept["image"], kept["usd"]) == ("existing", round(5 * OUTPAINT_USD, 6))  # not free once expanded
    assert "up to 5 outpaint calls" in kept["note"] and "reuses existing-assets/acme/a/product.png" in kept["note"]
    assert gone["usd"] == 0.0  # it fails before any variant is made
    made = estimate({**brief, "products": [{"name": "New"}]}, stack, found.get)
    assert (made.model_calls, made.total_usd) == (6, round(CORE_USD + 5 * OUTPAINT_USD, 6))  # image, 5 extensions
    assert made.to_json()["usd_per_extension"] == OUTPAINT_USD
    # The offline backend expands with its own fill, free.
    assert estimate(brief, prices(ImageModels("local")), found.get).total_usd == 0.0
    auto = estimate({**brief, "framing": "auto"}, stack, found.get)
    assert auto.total_usd == 0.0 and "outpaint" not in auto.products[0]["note"]


def revision(number, tag, digest, status="ACTIVE"):
    return {
        "jobDefinitionArn": f"arn:jd:{number}",
        "revision": number,
        "status": status,
        "tags": {"creative-automation:image-tag": tag, "creative-automation:image-digest": digest},
    }


def test_released_versions_are_the_active_revisions_newest_first_one_per_tag():
    found = versions.released(
        [
            revision(1, "v1.0.0", "d1"),
            revision(3, "v1.1.0", "d2"),
            revision(2, "v1.0.0", "d1"),
            revision(4, "v0.9.0", "d0", status="INACTIVE"),
            {"jobDefinitionArn": "x", "revision": 5, "status": "ACTIVE"},
        ]
    )
    assert [(v.name, v.revision) for v in found] == [("v1.1.0", 3), ("v1.0.0", 2)]
    assert versions.resolve(found, "latest").name == "v1.1.0"
    assert versions.revision_for([revision(1, "a", "d1"), revision(2, "b", "d1")], "d1")["revision"] == 2


def test_an_unknown_version_names_at_most_twenty_and_counts_the_rest():
    many = [versions.Version(f"v{n}", f"d{n}") for n in range(25)]
    with pytest.raises(ApiError) as refused:
        versions.resolve(many, "v99")
    assert refused.value.status == 404 and "v19 and 5 more" in refused.value.message
    assert len(refused.value.body()["versions"]) == 25


def test_the_api_environment_names_a_missing_variable_and_defaults_the_team_claim():
    from handlers.shared.environment import ApiEnvironment, MisconfiguredFunction

    base = {
        "S3_BUCKET_NAME": "b",
        "CAMPAIGN_TABLE": "t",
        "MAX_BRIEF_BYTES": "1024",
        "IMAGE_BACKEND": "local",
        "BATCH_JOB_QUEUE": "q",
        "BATCH_JOB_DEFINITION_NAME": "d",
        "VERSION_SOURCE": "released",
    }
    read = ApiEnvironment.read(base)
    assert (read.team_claim, read.batch_worker_repository) == ("cognito:groups", None)
    with pytest.raises(MisconfiguredFunction, match="BATCH_WORKER_REPOSITORY is not set"):
        ApiEnvironment.read(base | {"VERSION_SOURCE": "pushed-tags"})
    with pytest.raises(MisconfiguredFunction, match="VERSION_SOURCE is 'tags': expected one of pushed-tags, released"):
        ApiEnvironment.read(base | {"VERSION_SOURCE": "tags"})
