"""Each function's environment as the stack (and the local run) sets it, read back the way the function reads it."""

import pytest

from components.function_environment import StackValues, function_environment
from components.settings import read_stack_file, settings_from_values
from handlers.shared.environment import (
    GeneratorEnvironment,
    ImageModels,
    MisconfiguredFunction,
    ParserEnvironment,
    SettlerEnvironment,
    VariantsEnvironment,
)

BUCKET = "creative-automation-dev-123456789012-us-east-1"
DLQ = "https://sqs.us-east-1.amazonaws.com/123456789012/creative-automation-dev-briefs-dlq"
TABLE = "creative-automation-dev-campaigns"  # the campaign index: <project>-<environment>-campaigns


@pytest.fixture(scope="module")
def dev():
    return settings_from_values("dev", read_stack_file("dev"))


def environment(settings, service):
    return {k: str(v) for k, v in function_environment(settings, service, StackValues(BUCKET, DLQ)).items()}


def test_each_function_reads_back_what_the_stack_sets(dev):
    # Pulumi.dev.yaml: maxBriefBytes 1048576, asyncInvoke.maxRetryAttempts 2 (so 3 attempts), Stable Image Core
    # called in us-west-2 (served there only), the outpaint service through its us. inference profile.
    models = ImageModels(
        "bedrock", "stability.stable-image-core-v1:1", "us.stability.stable-outpaint-v1:0", "us-west-2"
    )
    assert ParserEnvironment.read(environment(dev, "parser")) == ParserEnvironment(BUCKET, 1048576, DLQ, TABLE, models)
    assert GeneratorEnvironment.read(environment(dev, "generator")) == GeneratorEnvironment(BUCKET, models, 3, TABLE)
    assert VariantsEnvironment.read(environment(dev, "variants")) == VariantsEnvironment(
        BUCKET, 3, models, TABLE, "rekognition"
    )
    # maxEventAgeSeconds 3600 + 3 attempts x the variants' 180 s (the longer of generator 120 s / variants) + 300 s
    assert SettlerEnvironment.read(environment(dev, "settler")) == SettlerEnvironment(BUCKET, 4440, TABLE)


def test_the_contracts_variable_names_reach_the_functions_that_use_them(dev):
    """CONTRACT §8: names kept from the original service."""
    parser, generator = environment(dev, "parser"), environment(dev, "generator")
    assert parser["S3_BUCKET_NAME"] == BUCKET
    assert parser["GENERATOR_FUNCTION"] == "creative-automation-dev-generator"
    assert parser["VARIANTS_FUNCTION"] == generator["VARIANTS_FUNCTION"] == "creative-automation-dev-variants"
    assert generator["BEDROCK_MODEL_ID"] == "stability.stable-image-core-v1:1"
    assert {environment(dev, s)["LOG_LEVEL"] for s in ("parser", "generator", "variants")} == {"DEBUG"}
    values = StackValues("", job_definition_name="creative-automation-dev-rerender", job_queue_name="jobs")
    updater = function_environment(dev, "image-updater", values)
    assert (updater["BATCH_JOB_DEFINITION_NAME"], updater["BATCH_JOB_QUEUE"]) == (
        "creative-automation-dev-rerender",
        "jobs",
    )
    worker = function_environment(dev, "batch-worker", StackValues(BUCKET))
    assert worker["S3_BUCKET_NAME"] == BUCKET and "POWERTOOLS_SERVICE_NAME" not in worker


def test_a_missing_or_malformed_variable_fails_the_cold_start_naming_it(dev):
    with pytest.raises(MisconfiguredFunction, match="S3_BUCKET_NAME is not set"):
        ParserEnvironment.read({})
    broken = environment(dev, "variants") | {"ASYNC_MAX_ATTEMPTS": "three"}
    with pytest.raises(MisconfiguredFunction, match="ASYNC_MAX_ATTEMPTS is 'three': expected a whole number"):
        VariantsEnvironment.read(broken)
    with pytest.raises(MisconfiguredFunction, match="IMAGE_BACKEND is 'dalle'"):
        GeneratorEnvironment.read(environment(dev, "generator") | {"IMAGE_BACKEND": "dalle"})
    without_region = {k: v for k, v in environment(dev, "variants").items() if k != "BEDROCK_REGION"}
    with pytest.raises(MisconfiguredFunction, match="BEDROCK_REGION is not set"):
        VariantsEnvironment.read(without_region)


def test_a_stack_without_an_outpaint_model_tells_its_functions_expand_cannot_be_painted(dev):
    from dataclasses import replace

    plain = replace(dev, outpaint_model=None)
    for service in ("parser", "variants", "api"):
        assert "BEDROCK_OUTPAINT_MODEL_ID" not in environment(plain, service)
    assert ParserEnvironment.read(environment(plain, "parser")).image_models.can_expand is False
    assert ParserEnvironment.read(environment(dev, "parser")).image_models.can_expand is True


def test_the_functions_that_settle_campaigns_run_without_a_campaign_index(dev):
    """CAMPAIGN_TABLE is optional: a function deployed by an older stack, without the API, has none."""
    for service, reader in (
        ("parser", ParserEnvironment),
        ("generator", GeneratorEnvironment),
        ("variants", VariantsEnvironment),
        ("settler", SettlerEnvironment),
    ):
        variables = environment(dev, service)
        assert reader.read(variables).campaign_table == TABLE, service
        without = {name: value for name, value in variables.items() if name != "CAMPAIGN_TABLE"}
        assert reader.read(without).campaign_table is None, service


def test_briefs_through_the_api_are_held_under_what_a_synchronous_lambda_invocation_carries():
    """A synchronous invocation (API Gateway -> the API function) carries at most 6 MB, event included (Lambda
    quotas): with maxBriefBytes at its 10 MiB maximum, uploads may be 10 MiB but the API takes at most 5 MiB."""
    values = read_stack_file("dev")
    values["creative-automation:maxBriefBytes"] = 10 * 1024 * 1024
    settings = settings_from_values("dev", values)
    assert environment(settings, "parser")["MAX_BRIEF_BYTES"] == str(10 * 1024 * 1024)
    assert environment(settings, "api")["MAX_BRIEF_BYTES"] == str(5 * 1024 * 1024)
