"""Stack settings: every bad value fails before any resource, naming key, value and what is allowed."""

import copy

import pytest

from components.settings import (
    GENERATOR_MIN_TIMEOUT,
    SettingsError,
    read_stack_file,
    settings_from_values,
)


def settings_for(environment: str, **changes):
    values = copy.deepcopy(read_stack_file("prod" if environment == "prod" else "dev"))
    for path, value in changes.items():
        target = values
        *parents, last = path.split("__")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return settings_from_values(environment, values)


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


def test_unknown_model_fails_with_the_known_ones_listed():
    with pytest.raises(
        SettingsError, match=r"creative-automation:bedrockModelId is 'stability.made-up-v9'.*amazon.nova-canvas-v1:0"
    ):
        settings_for("dev", bedrockModelId="stability.made-up-v9")


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
    answer = json.dumps({"images": [base64.b64encode(png.getvalue()).decode()], "error": None}).encode()

    class Bedrock:
        calls = 0

        def invoke_model(self, **_):
            Bedrock.calls += 1
            return {"body": io.BytesIO(answer)}

    shortest = settings_for("dev", functions__generator__timeoutSeconds=GENERATOR_MIN_TIMEOUT)
    floor_s = shortest.functions["generator"].timeout_seconds
    with pytest.raises(SettingsError, match="functions.generator.timeoutSeconds"):
        settings_for("dev", functions__generator__timeoutSeconds=floor_s - 1)

    images = BedrockImages(Bedrock(), "amazon.nova-canvas-v1:0")
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
    assert settings_for("dev").advice() == [] and settings_for("prod").advice() == []
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
