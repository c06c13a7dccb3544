"""The campaign API's settings (`creative-automation:api`) and the settler's stuck-product horizon: defaults as
docs/settings.md states them, and every bad value refused naming key, value and what is allowed."""

import pytest

from components.function_environment import stuck_after_seconds
from components.settings import SettingsError, read_stack_file, settings_from_values
from tests.unit.test_settings import settings_for

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"


def test_by_default_the_stack_makes_its_own_user_pool_with_the_documented_throttling():
    for environment in ("dev", "prod"):
        api = settings_for(environment).api
        assert api.makes_user_pool and api.jwt_issuer is None and api.jwt_audience == ()
        assert api.team_claim == "cognito:groups"
        assert (api.throttle_rate_limit, api.throttle_burst_limit) == (20, 40)


def test_api_and_settler_functions_are_sized_as_documented():
    functions = settings_for("dev").functions
    assert (functions["api"].memory_mb, functions["api"].timeout_seconds) == (512, 29)
    assert (functions["settler"].memory_mb, functions["settler"].timeout_seconds) == (256, 120)


def test_an_existing_issuer_with_its_audience_replaces_the_user_pool():
    api = settings_for("dev", api__jwtIssuer=ISSUER, api__jwtAudience=["7abc1defg2hij3klm4nop5qrs"]).api
    assert not api.makes_user_pool
    assert (api.jwt_issuer, api.jwt_audience) == (ISSUER, ("7abc1defg2hij3klm4nop5qrs",))


@pytest.mark.parametrize(
    "changes,key,expected",
    [
        ({"api__jwtIssuer": "http://idp.example.com"}, "api.jwtIssuer", "https:// without a trailing slash"),
        ({"api__jwtIssuer": ISSUER + "/", "api__jwtAudience": ["a"]}, "api.jwtIssuer", "without a trailing slash"),
        ({"api__jwtIssuer": ISSUER}, "api.jwtAudience", "is empty while creative-automation:api.jwtIssuer is set"),
        ({"api__jwtAudience": ["client"]}, "api.jwtAudience", "creative-automation:api.jwtIssuer is empty"),
        ({"api__teamClaim": "team claim"}, "api.teamClaim", "a JWT claim name"),
        ({"api__throttleRateLimit": 0}, "api.throttleRateLimit", "1 to 10000"),
        ({"api__throttleRateLimit": 20000}, "api.throttleRateLimit", "1 to 10000"),
        ({"api__throttleBurstLimit": 6000}, "api.throttleBurstLimit", "1 to 5000"),
        ({"functions__api__timeoutSeconds": 60}, "functions.api.timeoutSeconds", "waits at most 30 s"),
    ],
)
def test_bad_api_values_are_refused_naming_key_and_what_is_allowed(changes, key, expected):
    with pytest.raises(SettingsError) as error:
        settings_for("dev", **changes)
    assert f"creative-automation:{key} is" in str(error.value)
    assert expected in str(error.value)


def test_a_misspelled_api_key_is_refused_with_the_close_match():
    with pytest.raises(SettingsError, match="did you mean creative-automation:api.jwtIssuer"):
        settings_for("dev", api__jwtIsuer=ISSUER)


def test_products_are_stuck_once_lambda_can_no_longer_be_retrying_them():
    # Pulumi.dev.yaml: maxEventAgeSeconds 3600, maxRetryAttempts 2 (3 attempts), variants 180 s is the longest
    # product function; a 300 s margin: 3600 + 3 x 180 + 300.
    assert stuck_after_seconds(settings_for("dev")) == 4440
    longer = settings_for("dev", functions__generator__timeoutSeconds=600, asyncInvoke__maxRetryAttempts=0)
    assert stuck_after_seconds(longer) == 3600 + 1 * 600 + 300


def test_a_stack_name_cognito_would_refuse_in_its_domain_prefix_fails_unless_an_issuer_is_given():
    with pytest.raises(SettingsError, match="stack name 'awsdemo' contains 'aws': the stack's Cognito domain prefix"):
        settings_from_values("awsdemo", read_stack_file("dev"))
    external = {**read_stack_file("dev"), "api": {"jwtIssuer": ISSUER, "jwtAudience": ["tools"]}}
    assert settings_from_values("awsdemo", external).api.jwt_issuer == ISSUER
