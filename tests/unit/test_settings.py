"""Stack settings: every bad value fails before any resource, naming key, value and what is allowed."""

import copy
from dataclasses import replace
from datetime import date

import pytest

from components.settings import (
    GENERATOR_MIN_TIMEOUT,
    SettingsError,
    read_stack_file,
    settings_from_values,
)
from handlers.shared.image_models import OUTPAINT, UnknownModel, choose
from tests.documented import NOVA_CANVAS, NOVA_CANVAS_EOL, NOVA_CANVAS_LEGACY, OUTPAINT_PROFILE_DESTINATIONS
from tools import mock_stack

TODAY = date(2026, 12, 8)


def settings_for(environment: str, today: date | None = None, **changes):
    stack = "prod" if environment == "prod" else "dev"
    values = copy.deepcopy(read_stack_file(stack))
    # What the committed file leaves to the deployer (prod's alarm destination), as the mocks fill it in.
    stand_ins = {key.replace(".", "__"): value for key, value in mock_stack.stand_ins(stack).items()}
    for path, value in {**stand_ins, **changes}.items():
        target = values
        *parents, last = path.split("__")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return settings_from_values(environment, values, today=today)


def test_committed_stack_files_are_valid():
    dev = settings_for("dev")
    prod = settings_for("prod")
    assert dev.images.tag == "latest" and dev.images.tracks_latest and not dev.images.immutable_tags
    assert prod.images.tag == "v1.0.0" and prod.images.immutable_tags
    assert dev.log_retention_days == 7 and prod.log_retention_days == 30
    assert dev.functions["parser"].timeout_seconds == 300
    assert dev.queue.visibility_timeout_seconds >= 6 * dev.functions["parser"].timeout_seconds
    # prod alarms are stricter than dev's
    assert prod.alarms.function_errors < dev.alarms.function_errors
    assert prod.alarms.oldest_message_age_seconds < dev.alarms.oldest_message_age_seconds


@pytest.mark.parametrize("tag", ["latest", "v1", "", "1.2.3", "v1.2", "v1.2.3-rc1", "V1.2.3", "v01.2.3"])
def test_prod_refuses_mutable_or_malformed_tags(tag):
    with pytest.raises(SettingsError) as error:
        settings_for("prod", images__tag=tag)
    message = str(error.value)
    assert "creative-automation:images.tag" in message
    assert repr(tag) in message
    assert "vMAJOR.MINOR.PATCH" in message


def test_staging_may_track_latest_and_names_follow_the_stack():
    staging = settings_for("staging")
    assert staging.environment == "staging"
    assert staging.names.queue == "creative-automation-staging-briefs"
    assert staging.names.function("parser") == "creative-automation-staging-parser"


def test_both_stacks_default_to_active_models_callable_from_their_bedrock_region():
    for stack in ("dev", "prod"):
        settings = settings_for(stack, today=TODAY)
        model, outpaint = settings.image_model, settings.outpaint_model
        assert (model.invoke_id, model.region, model.profile) == ("stability.stable-image-core-v1:1", "us-west-2", None)
        assert model.model.lifecycle.state == "Active" and model.model.lifecycle.eol is None
        assert outpaint is not None and outpaint.invoke_id == "us.stability.stable-outpaint-v1:0"
        assert outpaint.profile is not None and outpaint.profile.destinations == OUTPAINT_PROFILE_DESTINATIONS
        assert not any("Legacy" in note for note in settings.advice())


def test_unknown_model_fails_with_the_active_ones_listed():
    with pytest.raises(
        SettingsError,
        match=r"creative-automation:bedrockModelId is 'stability.made-up-v9': .*stability.stable-image-core-v1:1",
    ):
        settings_for("dev", bedrockModelId="stability.made-up-v9")


def test_an_ended_model_is_refused_at_preview_naming_its_end_of_life_and_the_active_choices():
    with pytest.raises(SettingsError) as refused:
        settings_for("prod", today=TODAY, bedrockModelId=NOVA_CANVAS, bedrockRegion="us-east-1")
    message = str(refused.value)
    assert message.startswith(f"creative-automation:bedrockModelId is '{NOVA_CANVAS}': ")
    assert f"end of life on Amazon Bedrock on {NOVA_CANVAS_EOL}" in message
    assert "stability.stable-image-core-v1:1 (stability.stable-image-core-v1:1 in us-west-2)" in message


def test_a_model_is_refused_from_its_eol_date_and_warned_about_while_legacy(monkeypatch):
    """The table's dates against the date of the run: a Legacy model warns (it works, not for new accounts), and
    from its EOL date on it is refused."""
    from handlers.shared import image_models

    core = image_models.models()["stability.stable-image-core-v1:1"]
    legacy = replace(core, lifecycle=replace(core.lifecycle, legacy=date(2027, 3, 1), eol=date(2027, 9, 1)))
    monkeypatch.setitem(image_models.models(), core.model_id, legacy)
    assert not any("Legacy" in note for note in settings_for("dev", today=date(2027, 2, 28)).advice())
    [note] = [note for note in settings_for("dev", today=date(2027, 3, 1)).advice() if "Legacy" in note]
    assert note.startswith("creative-automation:bedrockModelId is 'stability.stable-image-core-v1:1': ")
    assert "Legacy on Amazon Bedrock since 2027-03-01" in note and "requests fail from 2027-09-01" in note
    assert "new accounts cannot use it" in note and "stability.sd3-5-large-v1:0" in note  # what to move to
    with pytest.raises(SettingsError, match="reached end of life on Amazon Bedrock on 2027-09-01"):
        settings_for("dev", today=date(2027, 9, 1))


def test_nova_canvas_is_refused_in_words_true_on_the_day_of_the_run():
    """AWS's dates for Nova Canvas: Legacy from 2026-03-30, ended 2026-09-30 (tests/documented.py). The project has
    no adapter for it any more, so it is refused either way; before its end of life, not as ended."""
    legacy_day = date.fromisoformat(NOVA_CANVAS_LEGACY)
    with pytest.raises(
        SettingsError, match=f"is Legacy on Amazon Bedrock and reaches end of life on {NOVA_CANVAS_EOL}"
    ):
        settings_for("dev", today=legacy_day, bedrockModelId=NOVA_CANVAS, bedrockRegion="us-east-1")
    with pytest.raises(SettingsError, match=f"reached end of life on Amazon Bedrock on {NOVA_CANVAS_EOL}"):
        settings_for("dev", today=date.fromisoformat(NOVA_CANVAS_EOL), bedrockModelId=NOVA_CANVAS)


def test_a_model_not_served_in_the_bedrock_region_is_refused_with_where_it_is():
    with pytest.raises(SettingsError) as refused:
        settings_for("dev", bedrockRegion="us-east-1")
    message = str(refused.value)
    assert "bedrockModelId is 'stability.stable-image-core-v1:1'" in message
    assert "not served on demand in us-east-1" in message and "in us-west-2" in message
    assert "bedrockRegion" in message


def test_an_inference_profile_is_checked_against_its_source_regions():
    with pytest.raises(UnknownModel, match=r"can be called from us-east-1, us-east-2, us-west-2, not from eu-west-1"):
        choose("us.stability.stable-outpaint-v1:0", "eu-west-1", OUTPAINT, TODAY)
    from_ohio = choose("us.stability.stable-outpaint-v1:0", "us-east-2", OUTPAINT, TODAY)
    assert from_ohio.profile_arn("123456789012") == (
        "arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.stability.stable-outpaint-v1:0"
    )
    # The bare id of a service served only through its profile, and a profile Bedrock does not have:
    with pytest.raises(SettingsError, match=r"not served on demand in us-west-2: call it as us.stability.stable-out"):
        settings_for("dev", bedrockOutpaintModelId="stability.stable-outpaint-v1:0")
    with pytest.raises(SettingsError, match=r"no eu. inference profile for Stable Image Outpaint"):
        settings_for("dev", bedrockOutpaintModelId="eu.stability.stable-outpaint-v1:0")


def test_each_model_setting_takes_only_a_model_of_its_task():
    with pytest.raises(SettingsError, match=r"bedrockModelId is 'us.stability.stable-outpaint-v1:0': .* outpaint "):
        settings_for("dev", bedrockModelId="us.stability.stable-outpaint-v1:0")
    with pytest.raises(SettingsError, match=r"bedrockOutpaintModelId is 'stability.sd3-5-large-v1:0': .*text-to-image"):
        settings_for("dev", bedrockOutpaintModelId="stability.sd3-5-large-v1:0")


def test_without_an_outpaint_model_the_stack_has_none():
    assert settings_for("dev", bedrockOutpaintModelId="").outpaint_model is None


def test_the_bedrock_region_defaults_to_the_stacks_own():
    values = copy.deepcopy(read_stack_file("dev"))
    del values["bedrockRegion"]
    values["aws:region"] = "us-west-2"
    assert settings_from_values("dev", values).image_model.region == "us-west-2"


def test_visibility_below_six_times_parser_timeout_is_refused():
    with pytest.raises(SettingsError, match=r"queue.visibilityTimeoutSeconds is 1000.*at least 1800"):
        settings_for("dev", queue__visibilityTimeoutSeconds=1000)
    with pytest.raises(SettingsError, match=r"visibilityTimeoutSeconds is 1800.*functions.parser.timeoutSeconds = 600"):
        settings_for("dev", functions__parser__timeoutSeconds=600)


@pytest.mark.parametrize(
    "path,value,expected",
    [
        ("functions__variants__memoryMb", 64, "128 to 10240"),
        ("functions__variants__memoryMb", 20000, "128 to 10240"),
        ("functions__generator__timeoutSeconds", 901, "1 to 900"),
        ("functions__generator__timeoutSeconds", "fast", "whole number"),
        ("logRetentionDays", 10, "allowed values"),
        ("images__layout", "mono", "per-service, consolidated"),
        ("images__platform", "linux/s390x", "linux/amd64, linux/arm64"),
        ("batch__memoryMib", 1024, "with 1 vCPU Fargate allows 2048..8192"),
        ("batch__vcpu", 3, "Fargate allows"),
        ("batch__subnetIds", ["not-a-subnet"], "subnet ids"),
        ("alarms__email", "nobody", "e-mail address"),
        ("alarms__topicArn", "arn:aws:sqs:us-east-1:123456789012:q", "ARN of an existing SNS topic"),
        ("asyncInvoke__maxRetryAttempts", 3, "0 to 2"),
        ("queue__batchSize", 100, "batchingWindowSeconds of at least 1"),
        ("functions__generator__reservedConcurrency", 0, "throttles every invocation"),
        ("functions__parser__reservedConcurrency", 1, "must be 2 to 1000"),
    ],
)
def test_out_of_range_values_name_key_value_and_allowed(path, value, expected):
    overrides = {path: value}
    if path == "queue__batchSize":
        overrides["queue__batchingWindowSeconds"] = 0
    with pytest.raises(SettingsError) as error:
        settings_for("dev", **overrides)
    message = str(error.value)
    assert "creative-automation:" + path.replace("__", ".") in message
    assert expected in message


def test_prod_needs_an_alarm_destination():
    with pytest.raises(SettingsError) as error:
        settings_for("prod", alarms__email="", alarms__topicArn="")
    assert "creative-automation:alarms.email and creative-automation:alarms.topicArn are both empty" in str(error.value)
    topic = "arn:aws:sns:us-east-1:123456789012:platform-pager"
    assert settings_for("prod", alarms__email="", alarms__topicArn=topic).alarms.topic_arn == topic
    assert settings_for("prod", alarms__email="ops@acme.io", alarms__topicArn="").alarms.email == "ops@acme.io"
    assert settings_for("dev", alarms__email="").alarms.email is None


def test_the_committed_prod_file_leaves_the_alarm_destination_to_the_deployer():
    committed = read_stack_file("prod")["alarms"]
    assert (committed["email"], committed["topicArn"]) == ("", "")
    with pytest.raises(SettingsError, match="alarms.email and creative-automation:alarms.topicArn are both empty"):
        settings_from_values("prod", read_stack_file("prod"))


# RFC 2606 reserves example.com, example.net and example.org (and their subdomains) and the top-level domains
# .example, .invalid, .localhost and .test: nobody receives mail at any of them.
@pytest.mark.parametrize(
    "address",
    [
        "platform-alerts@example.com",
        "ops@EXAMPLE.ORG",
        "ops@example.net",
        "ops@alerts.example.com",
        "ops@acme.example",
        "ops@acme.test",
        "ops@acme.invalid",
        "root@mail.localhost",
    ],
)
def test_prod_refuses_a_documentation_address_naming_the_key(address):
    with pytest.raises(SettingsError) as error:
        settings_for("prod", alarms__email=address, alarms__topicArn="")
    assert f"creative-automation:alarms.email is {address!r}: a name reserved for documentation" in str(error.value)
    # with a topic beside it the address is still refused: it is a mistake, not a destination
    with pytest.raises(SettingsError, match="alarms.email"):
        settings_for("prod", alarms__email=address)
    # dev takes it, warning at preview
    dev = settings_for("dev", alarms__email=address)
    assert any(f"alarms.email is {address!r}: a documentation domain" in note for note in dev.advice())


@pytest.mark.parametrize("address", ["ops@acme.io", "ops@example.co", "ops@myexample.com", "ops@example.com.au"])
def test_addresses_outside_the_reserved_names_are_taken(address):
    assert settings_for("prod", alarms__email=address).alarms.email == address
    assert not any("alarms.email" in note for note in settings_for("dev", alarms__email=address).advice())


@pytest.mark.parametrize("key", ["subnetIds", "securityGroupIds"])
def test_prod_needs_explicit_subnets_and_security_groups_dev_does_not(key):
    with pytest.raises(
        SettingsError, match=rf"creative-automation:batch\.{key} is empty: prod runs .* private subnets"
    ):
        settings_for("prod", **{f"batch__{key}": []})
    dev = settings_for("dev").batch  # the committed dev file leaves both empty: the default VPC
    assert dev.subnet_ids == () and dev.security_group_ids == ()
    prod = settings_for("prod").batch
    assert prod.subnet_ids == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    assert prod.security_group_ids == ("sg-0123456789abcdef0",)


def test_local_backend_is_for_the_local_run_only():
    with pytest.raises(SettingsError, match="imageBackend is 'local'"):
        settings_for("dev", imageBackend="local")
    values = read_stack_file("dev") | {"imageBackend": "local"}
    assert settings_from_values("dev", values, deployed=False).image_backend == "local"


def test_the_shortest_generator_timeout_allowed_is_just_enough_for_one_model_call():
    """A generator at the floor starts its model call; one second less and it would start none (every
    invocation would fail), which is why the settings refuse it."""
    import base64
    import io
    import json

    from PIL import Image

    from handlers.generator.models import BedrockImages, ImageRequest

    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    answer = json.dumps({"finish_reasons": [None], "images": [base64.b64encode(png.getvalue()).decode()]}).encode()

    class Bedrock:
        calls = 0

        def invoke_model(self, **_):
            Bedrock.calls += 1
            return {"body": io.BytesIO(answer)}

    shortest = settings_for("dev", functions__generator__timeoutSeconds=GENERATOR_MIN_TIMEOUT)
    floor_s = shortest.functions["generator"].timeout_seconds
    with pytest.raises(SettingsError, match="functions.generator.timeoutSeconds"):
        settings_for("dev", functions__generator__timeoutSeconds=floor_s - 1)

    images = BedrockImages(Bedrock(), "stability.stable-image-core-v1:1")
    request = ImageRequest("a bottle", "text", 1)
    assert images.generate(request, remaining_ms=lambda: floor_s * 1000).startswith(b"\x89PNG")
    with pytest.raises(TimeoutError, match="too little for a model call"):
        images.generate(request, remaining_ms=lambda: (floor_s - 1) * 1000)
    assert Bedrock.calls == 1


def test_a_generator_timeout_too_short_for_one_model_call_fails_at_preview():
    with pytest.raises(SettingsError, match="functions.generator.timeoutSeconds is 60: .* at least 75"):
        settings_for("dev", functions__generator__timeoutSeconds=60)
    assert settings_for("dev", functions__generator__timeoutSeconds=75).functions["generator"].timeout_seconds == 75
    values = read_stack_file("dev") | {"imageBackend": "local"}
    values["functions"] = dict(values.get("functions", {}), generator={"timeoutSeconds": 30})
    local = settings_from_values("dev", values, deployed=False)  # placeholders need no model call
    assert local.functions["generator"].timeout_seconds == 30


def test_a_low_max_receive_count_is_advised_against_not_refused():
    assert settings_for("dev").advice() == []
    [note] = settings_for("dev", queue__maxReceiveCount=2).advice()
    assert "queue.maxReceiveCount is 2: AWS advises at least 5" in note


def test_missing_region_is_named():
    values = read_stack_file("dev")
    del values["aws:region"]
    with pytest.raises(SettingsError, match="aws:region is not set"):
        settings_from_values("dev", values)


@pytest.mark.parametrize(
    "path,value,named,suggested",
    [
        ("images__layot", "consolidated", "creative-automation:images.layot", "creative-automation:images.layout"),
        ("imagse", {"tag": "latest"}, "creative-automation:imagse", "creative-automation:images"),
        (
            "functions__parser__memoryMB",
            1024,
            "creative-automation:functions.parser.memoryMB",
            "creative-automation:functions.parser.memoryMb",
        ),
        ("functions__batchWorker__memoryMb", 1024, "creative-automation:functions.batchWorker", None),
        ("logLevle", "INFO", "creative-automation:logLevle", "creative-automation:logLevel"),
    ],
)
def test_unknown_keys_are_refused_with_the_allowed_ones(path, value, named, suggested):
    with pytest.raises(SettingsError) as error:
        settings_for("dev", **{path: value})
    message = str(error.value)
    assert f"{named} is not a setting" in message
    assert f"did you mean {suggested}?" in message if suggested else "allowed keys" in message
    if path.startswith("images"):
        assert "allowed keys under creative-automation:images are" in message and "keepLast" in message


def test_unknown_keys_in_json_text_and_fully_qualified_keys_are_checked_too():
    values = read_stack_file("dev") | {"images": '{"tag": "latest", "layot": "consolidated"}'}
    with pytest.raises(SettingsError, match=r"creative-automation:images.layot is not a setting"):
        settings_from_values("dev", values)
    values = read_stack_file("dev") | {"creative-automation:maxBriefByte": 10}
    with pytest.raises(SettingsError, match=r"maxBriefByte is not a setting.*did you mean .*maxBriefBytes"):
        settings_from_values("dev", values)


def test_keys_of_other_namespaces_are_left_to_their_providers():
    values = read_stack_file("dev") | {
        "aws:profile": "ci",
        "aws:defaultTags": {"tags": {"team": "x"}},
        "pulumi:disable-default-providers": ["aws"],
    }
    assert settings_from_values("dev", values).region == "us-east-1"


def test_an_unknown_key_fails_the_program_before_any_resource():
    from tools.mock_stack import record  # the real __main__.py under mocks, config as the CLI passes it

    recording = record("dev", {"images.layot": "consolidated"})
    assert recording.error is not None and "creative-automation:images.layot is not a setting" in recording.error
    assert recording.resources == []


def test_a_pinned_stack_refuses_a_count_of_images_to_keep():
    with pytest.raises(SettingsError) as error:
        settings_for("prod", images__keepLast=10)
    assert "creative-automation:images.keepLast is 10 but creative-automation:images.tag pins 'v1.0.0'" in str(
        error.value
    )
    assert settings_for("prod").images.keep_last is None  # every released image stays
    assert settings_for("dev").images.keep_last == 10
    assert settings_for("dev", images__keepLast=25).images.keep_last == 25
