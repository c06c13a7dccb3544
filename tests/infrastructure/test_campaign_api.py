"""The campaign API, its index table and the settler as both stacks declare them under mocks.

Expected values come from the design (docs/operations.md, docs/deploying.md) and the stack files, not from the
components: six routes each behind the JWT authorizer with its scope, Cognito client credentials by default, the
API function's IAM exactly what it calls, the settler's two triggers, versions recorded on job-definition revisions.
"""

import json

import pytest

from tools.mock_stack import ACCOUNT_ID, Recording, record
from tools.policy_check import as_policy_resources, evaluate

pytestmark = pytest.mark.slow  # the real program run under Pulumi's mocks

ROUTE = "aws:apigatewayv2/route:Route"
FUNCTION = "aws:lambda/function:Function"
ISSUER = "https://login.example.org/realms/marketing"
EXPECTED_ROUTES = {
    "POST /campaigns": "campaigns/write",
    "GET /campaigns": "campaigns/read",
    "GET /campaigns/{id}": "campaigns/read",
    "POST /campaigns/{id}/cancel": "campaigns/write",
    "POST /campaigns/{id}/rerender": "campaigns/write",
    "GET /versions": "campaigns/read",
}


@pytest.fixture(scope="module")
def existing_issuer() -> Recording:
    recording = record(
        "dev",
        {
            "api.jwtIssuer": ISSUER,
            "api.jwtAudience": ["campaign-tools", "dashboards"],
            "api.throttleRateLimit": 5,
            "api.throttleBurstLimit": 10,
        },
    )
    assert recording.error is None, recording.error
    return recording


def as_list(value):
    return value if isinstance(value, list) else [value]


def statements(stack: Recording, policy: str) -> list[dict]:
    return json.loads(stack.one("aws:iam/rolePolicy:RolePolicy", policy).inputs["policy"])["Statement"]


def grants(stack: Recording, policy: str) -> dict[str, set[str]]:
    """action -> the resources it is allowed on (log statements left out: each function writes its own group)."""
    found: dict[str, set[str]] = {}
    for statement in statements(stack, policy):
        for action in as_list(statement["Action"]):
            if not action.startswith("logs:"):
                found.setdefault(action, set()).update(as_list(statement["Resource"]))
    return found


def env(stack: Recording, service: str) -> dict[str, str]:
    return stack.one(FUNCTION, service).inputs["environment"]["variables"]


# --- routes and authorizer ------------------------------------------------------------------------------


def test_every_route_has_the_jwt_authorizer_and_the_scope_it_needs(stack):
    authorizer = stack.one("aws:apigatewayv2/authorizer:Authorizer")
    integration = stack.one("aws:apigatewayv2/integration:Integration")
    routes = {r.inputs["routeKey"]: r for r in stack.of_type(ROUTE)}
    assert {key: r.inputs["authorizationScopes"] for key, r in routes.items()} == {
        key: [scope] for key, scope in EXPECTED_ROUTES.items()
    }
    for key, route in routes.items():
        assert route.inputs["authorizationType"] == "JWT", key
        assert route.inputs["authorizerId"] == authorizer.id, key
        assert route.inputs["target"] == f"integrations/{integration.id}", key
    # No quick-create $default route that would bypass the authorizer.
    assert "target" not in stack.one("aws:apigatewayv2/api:Api").inputs


def test_the_policy_pack_refuses_a_route_without_its_authorizer(stack):
    resources = as_policy_resources(stack)
    for spec in resources:
        if spec["type"] == ROUTE and spec["props"]["routeKey"] == "GET /versions":
            spec["props"]["authorizationType"] = "NONE"
    violations = evaluate(resources)
    assert [(policy, message.split(":")[0]) for policy, message, _ in violations] == [
        ("api-routes-authorized", "route 'GET /versions' has no authorizer")
    ]


def test_by_default_cognito_issues_client_credentials_tokens_the_authorizer_accepts(stack):
    pool = stack.one("aws:cognito/userPool:UserPool")
    client = stack.one("aws:cognito/userPoolClient:UserPoolClient")
    server = stack.one("aws:cognito/resourceServer:ResourceServer")
    domain = stack.one("aws:cognito/userPoolDomain:UserPoolDomain")
    jwt = stack.one("aws:apigatewayv2/authorizer:Authorizer").inputs
    assert jwt["authorizerType"] == "JWT" and jwt["identitySources"] == ["$request.header.Authorization"]
    # The pool's issuer URL; Cognito access tokens carry client_id (no aud), which API Gateway then checks.
    assert jwt["jwtConfiguration"] == {
        "issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool.id}",
        "audiences": [client.id],
    }
    assert pool.inputs["adminCreateUserConfig"]["allowAdminCreateUserOnly"] is True  # nobody signs up
    assert server.inputs["identifier"] == "campaigns"
    assert sorted(s["scopeName"] for s in server.inputs["scopes"]) == ["read", "write"]
    assert client.inputs["allowedOauthFlows"] == ["client_credentials"]
    assert client.inputs["generateSecret"] is True and client.inputs["allowedOauthFlowsUserPoolClient"] is True
    assert sorted(client.inputs["allowedOauthScopes"]) == ["campaigns/read", "campaigns/write"]
    # Prefix domains are global: the account id makes the stack's unique.
    assert domain.inputs["domain"] == f"creative-automation-{stack.stack}-{ACCOUNT_ID}"
    assert pool.inputs["deletionProtection"] == ("ACTIVE" if stack.stack == "prod" else "INACTIVE")


def test_the_api_url_token_endpoint_and_client_id_are_outputs_and_the_secret_is_not(stack):
    api = stack.one("aws:apigatewayv2/api:Api")
    client = stack.one("aws:cognito/userPoolClient:UserPoolClient")
    assert stack.outputs["api_url"] == api.outputs["apiEndpoint"]
    assert (
        stack.outputs["api_url"].startswith("https://")
        and ".execute-api.us-east-1.amazonaws.com" in (stack.outputs["api_url"])
    )
    assert stack.outputs["api_token_url"] == (
        f"https://creative-automation-{stack.stack}-{ACCOUNT_ID}.auth.us-east-1.amazoncognito.com/oauth2/token"
    )
    assert stack.outputs["api_client_id"] == client.id
    assert client.outputs["clientSecret"] not in json.dumps(stack.outputs)


def test_an_existing_issuer_replaces_cognito(existing_issuer):
    stack = existing_issuer
    assert [r for r in stack.resources if r.type.startswith("aws:cognito/")] == []
    jwt = stack.one("aws:apigatewayv2/authorizer:Authorizer").inputs["jwtConfiguration"]
    assert jwt == {"issuer": ISSUER, "audiences": ["campaign-tools", "dashboards"]}
    assert "api_token_url" not in stack.outputs and "api_client_id" not in stack.outputs
    assert stack.outputs["api_url"]
    assert len(stack.of_type(ROUTE)) == 6


def test_a_malformed_issuer_fails_before_any_resource():
    recording = record("dev", {"api.jwtIssuer": "login.example.org", "api.jwtAudience": ["x"]})
    assert "creative-automation:api.jwtIssuer is 'login.example.org'" in recording.error
    assert recording.resources == []


# --- stage, integration, permission -----------------------------------------------------------------------


def test_the_default_stage_deploys_itself_is_throttled_and_logs_every_request(stack, existing_issuer):
    stage = stack.one("aws:apigatewayv2/stage:Stage").inputs
    assert (stage["name"], stage["autoDeploy"]) == ("$default", True)
    # Pulumi.<stack>.yaml api.throttleRateLimit / throttleBurstLimit
    route_settings = stage["defaultRouteSettings"]
    assert (route_settings["throttlingRateLimit"], route_settings["throttlingBurstLimit"]) == (20, 40)
    changed = existing_issuer.one("aws:apigatewayv2/stage:Stage").inputs["defaultRouteSettings"]
    assert (changed["throttlingRateLimit"], changed["throttlingBurstLimit"]) == (5, 10)
    logs = stage["accessLogSettings"]
    group = next(
        g for g in stack.of_type("aws:cloudwatch/logGroup:LogGroup") if g.outputs["arn"] == logs["destinationArn"]
    )
    assert group.inputs["retentionInDays"] == (7 if stack.stack == "dev" else 30)
    fields = json.loads(logs["format"])
    assert {"$context.requestId", "$context.routeKey", "$context.status", "$context.authorizer.error"} <= set(
        fields.values()
    )


def test_the_function_is_invoked_with_payload_2_and_only_by_this_api(stack):
    function = stack.one(FUNCTION, "api")
    integration = stack.one("aws:apigatewayv2/integration:Integration").inputs
    assert (integration["integrationType"], integration["payloadFormatVersion"]) == ("AWS_PROXY", "2.0")
    assert integration["integrationUri"] == function.outputs["invokeArn"]
    assert integration["timeoutMilliseconds"] <= 30_000  # the HTTP API's limit
    assert (function.inputs["memorySize"], function.inputs["timeout"]) == (512, 29)
    permission = stack.one("aws:lambda/permission:Permission", "api-invoke").inputs
    api = stack.one("aws:apigatewayv2/api:Api")
    assert (permission["principal"], permission["function"]) == ("apigateway.amazonaws.com", function.inputs["name"])
    assert permission["sourceArn"] == api.outputs["executionArn"] + "/*"


# --- what the API function may do -------------------------------------------------------------------------


def test_the_api_functions_iam_is_exactly_what_it_calls(stack):
    bucket = stack.one("aws:s3/bucket:Bucket").outputs["arn"]
    table = stack.one("aws:dynamodb/table:Table").outputs["arn"]
    queue = stack.one("aws:batch/jobQueue:JobQueue").outputs["arn"]
    job_definition = f"arn:aws:batch:us-east-1:{ACCOUNT_ID}:job-definition/creative-automation-{stack.stack}-rerender"
    revisions = {job_definition, job_definition + ":*"}
    expected = {
        # briefs under the API's prefix; cancel and re-render write a campaign's manifest and gallery page only;
        # GET writes the caller's gallery page with presigned links under output/_shared/
        "s3:PutObject": {
            f"{bucket}/input/campaign-briefs/api/*",
            f"{bucket}/output/*/manifest.json",
            f"{bucket}/output/*/index.html",
            f"{bucket}/output/_shared/*",
        },
        # ... and presigns the images that page shows: the variants and a product's existing asset
        "s3:GetObject": {f"{bucket}/input/campaign-briefs/api/*", f"{bucket}/output/*", f"{bucket}/existing-assets/*"},
        "s3:ListBucket": {bucket},
        "dynamodb:GetItem": {table},
        "dynamodb:PutItem": {table},
        "dynamodb:UpdateItem": {table},
        "dynamodb:Query": {table, f"{table}/index/*"},
        "batch:SubmitJob": {queue, *revisions, f"arn:aws:batch:us-east-1:{ACCOUNT_ID}:job/*"},
        "batch:DescribeJobDefinitions": {"*"},  # no resource-level permission exists
    }
    if stack.stack == "dev":  # tracks latest: any pushed tag, a revision registered for it when none exists
        roles = {r.name: r.outputs["arn"] for r in stack.of_type("aws:iam/role:Role")}
        expected |= {
            "ecr:DescribeImages": {
                stack.one("aws:ecr/repository:Repository", "batch-worker-repository").outputs["arn"]
            },
            "batch:RegisterJobDefinition": revisions,
            "batch:TagResource": revisions,
            "iam:PassRole": {roles["worker-execution-role"], roles["worker-job-role"]},
        }
    assert grants(stack, "api-policy") == expected
    [listing] = [s for s in statements(stack, "api-policy") if "s3:ListBucket" in as_list(s["Action"])]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["existing-assets/*", "output/*"]}}
    if stack.stack == "dev":
        [register] = [s for s in statements(stack, "api-policy") if "batch:RegisterJobDefinition" in s["Action"]]
        worker = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/creative-automation-dev-batch-worker@sha256:*"
        assert register["Condition"] == {"StringLike": {"batch:Image": [worker]}}


def test_the_api_function_is_told_where_things_are_and_which_versions_it_may_offer(stack):
    variables = env(stack, "api")
    assert variables["CAMPAIGN_TABLE"] == f"creative-automation-{stack.stack}-campaigns"
    assert variables["S3_BUCKET_NAME"] == stack.outputs["bucket_name"]
    assert variables["BATCH_JOB_QUEUE"] == stack.outputs["batch_job_queue"]
    assert variables["BATCH_JOB_DEFINITION_NAME"] == f"creative-automation-{stack.stack}-rerender"
    assert variables["TEAM_CLAIM"] == "cognito:groups"
    assert variables["MAX_BRIEF_BYTES"] == "1048576"
    if stack.stack == "dev":
        assert variables["VERSION_SOURCE"] == "pushed-tags"
        assert variables["BATCH_WORKER_REPOSITORY"] == "creative-automation-dev-batch-worker"
    else:  # pinned: only what a `pulumi up` released
        assert variables["VERSION_SOURCE"] == "released" and "BATCH_WORKER_REPOSITORY" not in variables


# --- the campaign index ---------------------------------------------------------------------------------


def test_the_campaign_table_is_keyed_by_owner_and_id_listed_newest_first_and_recoverable(stack):
    table = stack.one("aws:dynamodb/table:Table").inputs
    assert table["name"] == f"creative-automation-{stack.stack}-campaigns"
    assert (table["hashKey"], table["rangeKey"], table["billingMode"]) == ("owner", "campaign_id", "PAY_PER_REQUEST")
    assert table["localSecondaryIndexes"] == [{"name": "by-created", "rangeKey": "created_at", "projectionType": "ALL"}]
    assert sorted((a["name"], a["type"]) for a in table["attributes"]) == [
        ("campaign_id", "S"),
        ("created_at", "S"),
        ("owner", "S"),
    ]
    assert table["pointInTimeRecovery"]["enabled"] is True and table["serverSideEncryption"]["enabled"] is True
    assert table["deletionProtectionEnabled"] is (stack.stack == "prod")
    assert stack.outputs["campaign_table"] == table["name"]


def test_every_function_that_settles_a_campaign_may_update_its_index_item(stack):
    table = stack.one("aws:dynamodb/table:Table")
    for service in ("parser", "generator", "variants", "settler"):
        assert env(stack, service)["CAMPAIGN_TABLE"] == table.inputs["name"], service
        assert table.outputs["arn"] in grants(stack, f"{service}-policy")["dynamodb:UpdateItem"], service
    # The Batch worker reopens a campaign and hands its products to the variants function, which settles it: the
    # job writes no index item, so it has neither the grant nor the variable.
    assert "dynamodb:UpdateItem" not in grants(stack, "worker-job-policy")
    container = json.loads(stack.one("aws:batch/jobDefinition:JobDefinition").inputs["containerProperties"])
    assert "CAMPAIGN_TABLE" not in {variable["name"] for variable in container["environment"]}


# --- the settler ----------------------------------------------------------------------------------------


def test_the_settler_consumes_failed_invocations_and_sweeps_every_ten_minutes(stack):
    settler = stack.one(FUNCTION, "settler")
    queues = {q.inputs["name"]: q for q in stack.of_type("aws:sqs/queue:Queue")}
    failed = queues[f"creative-automation-{stack.stack}-failed-invocations"]
    dlq = queues[f"creative-automation-{stack.stack}-failed-invocations-dlq"]
    mapping = stack.one("aws:lambda/eventSourceMapping:EventSourceMapping", "failed-invocations-to-settler").inputs
    assert (mapping["eventSourceArn"], mapping["functionName"]) == (failed.outputs["arn"], settler.outputs["arn"])
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert json.loads(failed.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dlq.outputs["arn"],
        "maxReceiveCount": 5,
    }
    assert failed.inputs["visibilityTimeoutSeconds"] >= 6 * 120  # 6 x the settler's timeout, as AWS advises
    assert (settler.inputs["memorySize"], settler.inputs["timeout"]) == (256, 120)

    rule = stack.one("aws:cloudwatch/eventRule:EventRule", "sweep")
    assert rule.inputs["scheduleExpression"] == "rate(10 minutes)"
    assert stack.one("aws:cloudwatch/eventTarget:EventTarget", "sweep-target").inputs["arn"] == settler.outputs["arn"]
    permission = stack.one("aws:lambda/permission:Permission", "sweep-invoke").inputs
    assert (permission["principal"], permission["sourceArn"]) == ("events.amazonaws.com", rule.outputs["arn"])


def test_a_product_is_stuck_once_every_attempt_lambda_could_make_is_over(stack):
    # Pulumi.<stack>.yaml: maxEventAgeSeconds 3600, 2 retries (3 attempts) of at most 180 s (variants), 300 s margin
    assert env(stack, "settler")["STUCK_AFTER_SECONDS"] == str(3600 + 3 * 180 + 300)


def test_the_settler_may_touch_only_manifests_open_markers_its_queue_and_the_index(stack):
    bucket = stack.one("aws:s3/bucket:Bucket").outputs["arn"]
    failed = next(q for q in stack.of_type("aws:sqs/queue:Queue") if q.name == "failed-invocations").outputs["arn"]
    table = stack.one("aws:dynamodb/table:Table").outputs["arn"]
    assert grants(stack, "settler-policy") == {
        "s3:GetObject": {f"{bucket}/output/*"},
        "s3:PutObject": {f"{bucket}/output/*"},
        "s3:DeleteObject": {f"{bucket}/output/_open/*"},
        "s3:ListBucket": {bucket},
        "dynamodb:UpdateItem": {table},
        "sqs:ReceiveMessage": {failed},
        "sqs:DeleteMessage": {failed},
        "sqs:GetQueueAttributes": {failed},
        "sqs:ChangeMessageVisibility": {failed},
    }
    [listing] = [s for s in statements(stack, "settler-policy") if "s3:ListBucket" in as_list(s["Action"])]
    # the open markers and single manifest keys (an orphan's missing manifest: tests/integration/test_settler_iam.py),
    # never output/ itself
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["output/_open/*", "output/*/manifest.json"]}}


# --- versions recorded by the stack -------------------------------------------------------------------------


def test_each_job_definition_revision_names_the_version_it_runs_and_prod_keeps_released_ones(stack):
    job = stack.one("aws:batch/jobDefinition:JobDefinition").inputs
    worker_image = stack.outputs["image_uris"]["batch-worker"]
    assert job["tags"] == {
        "creative-automation:image-tag": "latest" if stack.stack == "dev" else "v1.0.0",  # Pulumi.<stack>.yaml
        "creative-automation:image-digest": worker_image.split("@")[1],
    }
    assert job["tags"]["creative-automation:image-digest"].startswith("sha256:")
    # prod: every revision a `pulumi up` registered stays ACTIVE, the record of released versions
    assert job["deregisterOnNewRevision"] is (stack.stack == "dev")
