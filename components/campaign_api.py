"""The campaign API: an HTTP API (API Gateway v2) whose six routes reach the `api` function, each behind a JWT
authorizer and the scope it needs; throttled and access-logged on its `$default` stage.

The issuer is a Cognito user pool made here (resource server `campaigns` with read and write scopes, an app client
for the client-credentials grant, a domain for its token endpoint) unless `api.jwtIssuer` and `api.jwtAudience`
name an existing one. Cognito's access tokens carry no `aud`; API Gateway then checks their `client_id` against
the audiences, so the app client's id is the audience.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.function_environment import StackValues, function_environment
from components.iam import list_prefixes, objects, register_revisions, table_items
from components.image_updater import updater_owns_code
from components.lambda_function import lambda_function
from components.settings import StackSettings
from handlers.api.routes import RESOURCE_SERVER, ROUTES, SCOPE_DESCRIPTIONS
from handlers.shared.bucket_layout import (
    API_BRIEFS_PREFIX,
    ASSETS_PREFIX,
    GALLERY_FILE,
    MANIFEST_FILE,
    OUTPUT_PREFIX,
    SHARED_PAGES_PREFIX,
)

SERVICE = "api"
# One JSON line per request (HTTP API access-log variables); the authorizer's error says why a token was refused.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "time": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "latencyMs": "$context.responseLatency",
        "integrationLatencyMs": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
        "subject": "$context.authorizer.claims.sub",
    }
)


def route_name(route_key: str) -> str:
    """A logical name for a route: `POST /campaigns/{id}/cancel` -> `route-post-campaigns-id-cancel`."""
    return "route-" + re.sub(r"[^a-z0-9]+", "-", route_key.lower()).strip("-")


@dataclass
class CampaignApiArgs:
    settings: StackSettings
    image_uri: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    table_arn: pulumi.Input[str]  # its name is Names.campaign_table, set in the environment from settings
    job_queue_name: pulumi.Input[str]
    job_queue_arn: pulumi.Input[str]
    job_definition_name: str
    job_definition_arn: pulumi.Input[str]  # without a revision (the family's ARN prefix)
    job_role_arns: list[pulumi.Input[str]]  # the job definition's execution and job roles
    batch_worker_repository_name: pulumi.Input[str]
    batch_worker_repository_arn: pulumi.Input[str]
    batch_worker_repository_url: pulumi.Input[str]


class CampaignApi(pulumi.ComponentResource):
    """`api`, `stage`, `function`, `url`; with the stack's own user pool also `token_url` and `client_id`
    (None with an existing issuer)."""

    token_url: pulumi.Output[str] | None
    client_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: CampaignApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("creative-automation:api:CampaignApi", name, None, opts)
        settings = args.settings
        names = settings.names
        child = pulumi.ResourceOptions(parent=self)
        values = StackValues(
            bucket_name=args.bucket_name,
            job_definition_name=args.job_definition_name,
            job_queue_name=args.job_queue_name,
            batch_worker_repository=args.batch_worker_repository_name,
        )
        made = lambda_function(
            self,
            settings,
            SERVICE,
            image_uri=args.image_uri,
            statements=api_statements(args),
            environment=function_environment(settings, SERVICE, values),
            image_owned_by_updater=updater_owns_code(settings, SERVICE),
        )
        self.function = made.function

        issuer, audiences = self._issuer(settings)
        self.api = aws.apigatewayv2.Api(
            "api",
            name=f"{names.prefix}-campaigns",
            protocol_type="HTTP",
            description=f"{names.prefix}: submit, follow, cancel and re-render campaigns",
            opts=child,
        )
        authorizer = aws.apigatewayv2.Authorizer(
            "jwt",
            api_id=self.api.id,
            name=f"{names.prefix}-jwt",
            authorizer_type="JWT",
            identity_sources=["$request.header.Authorization"],
            jwt_configuration={"issuer": issuer, "audiences": audiences},
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            "function",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_uri=self.function.invoke_arn,
            integration_method="POST",
            payload_format_version="2.0",
            timeout_milliseconds=30_000,  # the HTTP API's maximum; the function's own timeout is below it
            opts=child,
        )
        target = pulumi.Output.concat("integrations/", integration.id)
        for route in ROUTES:  # the function's own table: every route it answers, with its scope
            aws.apigatewayv2.Route(
                route_name(route.key),
                api_id=self.api.id,
                route_key=route.key,
                target=target,
                authorization_type="JWT",
                authorizer_id=authorizer.id,
                authorization_scopes=[route.scope],
                opts=child,
            )
        access_logs = aws.cloudwatch.LogGroup(
            "access-logs",
            # Under /aws/vendedlogs/: API Gateway delivers through CloudWatch Logs' vended-log policy, which covers
            # every group under this prefix with one resource-policy entry.
            name=f"/aws/vendedlogs/apigateway/{names.prefix}-campaigns",
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        self.stage = aws.apigatewayv2.Stage(
            "default-stage",
            api_id=self.api.id,
            name="$default",
            auto_deploy=True,
            default_route_settings={
                "throttling_rate_limit": settings.api.throttle_rate_limit,
                "throttling_burst_limit": settings.api.throttle_burst_limit,
            },
            access_log_settings={"destination_arn": access_logs.arn, "format": ACCESS_LOG_FORMAT},
            opts=child,
        )
        aws.lambda_.Permission(
            "api-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="apigateway.amazonaws.com",
            # Any stage, method and route of this API only.
            source_arn=pulumi.Output.concat(self.api.execution_arn, "/*"),
            opts=child,
        )
        self.url = self.api.api_endpoint
        outputs: dict[str, Any] = {"url": self.url}
        if self.token_url is not None:
            outputs.update(token_url=self.token_url, client_id=self.client_id)
        self.register_outputs(outputs)

    def _issuer(self, settings: StackSettings) -> tuple[pulumi.Input[str], list[pulumi.Input[str]]]:
        """The JWT issuer and audiences: the configured ones, or a user pool made here for client credentials."""
        api = settings.api
        if api.jwt_issuer is not None:
            self.token_url = self.client_id = None
            return api.jwt_issuer, list(api.jwt_audience)
        names = settings.names
        child = pulumi.ResourceOptions(parent=self)
        pool = aws.cognito.UserPool(
            "users",
            name=f"{names.prefix}-campaigns",
            # Nobody signs up: callers are app clients (client credentials), users only if an admin makes them.
            admin_create_user_config={"allow_admin_create_user_only": True},
            deletion_protection="ACTIVE" if settings.is_production else "INACTIVE",
            opts=child,
        )
        server = aws.cognito.ResourceServer(
            "campaigns",
            user_pool_id=pool.id,
            identifier=RESOURCE_SERVER,
            name=f"{names.prefix} campaign API",
            scopes=[{"scope_name": name, "scope_description": text} for name, text in SCOPE_DESCRIPTIONS.items()],
            opts=child,
        )
        client = aws.cognito.UserPoolClient(
            "client",
            user_pool_id=pool.id,
            name=f"{names.prefix}-campaign-client",
            generate_secret=True,
            allowed_oauth_flows=["client_credentials"],
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_scopes=server.scope_identifiers,
            supported_identity_providers=["COGNITO"],
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],  # no password sign-in through this client
            access_token_validity=60,
            token_validity_units={"access_token": "minutes"},
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            opts=child,
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        domain = aws.cognito.UserPoolDomain(
            "auth-domain",
            domain=account.apply(names.auth_domain_prefix),
            user_pool_id=pool.id,
            opts=child,
        )
        self.token_url = pulumi.Output.concat(
            "https://", domain.domain, f".auth.{settings.region}.amazoncognito.com/oauth2/token"
        )
        self.client_id = client.id
        return pulumi.Output.concat("https://", pool.endpoint), [client.id]


def api_statements(args: CampaignApiArgs) -> list[dict[str, Any]]:
    """What the API function may do, beyond writing its own logs: exactly the calls it makes."""
    settings, bucket = args.settings, args.bucket_arn
    account = aws.get_caller_identity_output().account_id
    job_definition = args.job_definition_arn
    revisions = [job_definition, pulumi.Output.concat(job_definition, ":*")]
    # SubmitJob is authorized on the job it creates too (its ARN is known only once made).
    jobs = pulumi.Output.concat("arn:aws:batch:", settings.region, ":", account, ":job/*")
    statements: list[dict[str, Any]] = [
        # Briefs go under the API's own prefix of input/, so the same notification starts the same pipeline; a
        # campaign cancelled before the parser started reads its brief back.
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": [objects(bucket, API_BRIEFS_PREFIX)],
        },
        # Manifests, galleries and rejection reports are read, and finished images and a product's existing asset
        # presigned for the caller's gallery page (a presigned GET is this role's GET).
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [objects(bucket, OUTPUT_PREFIX), objects(bucket, ASSETS_PREFIX)],
        },
        # Cancel and re-render change the manifest (conditional writes), and a campaign cancelled before it started
        # gets its gallery page: those two files of each campaign; and GET writes the caller's presigned page under
        # its own short-lived prefix. Nothing else under output/.
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [
                pulumi.Output.concat(bucket, "/", OUTPUT_PREFIX, "*/", MANIFEST_FILE),
                pulumi.Output.concat(bucket, "/", OUTPUT_PREFIX, "*/", GALLERY_FILE),
                objects(bucket, SHARED_PAGES_PREFIX),
            ],
        },
        # existing-assets/: the cost estimate counts products whose image exists; output/: a manifest not yet
        # written is then NoSuchKey (a campaign still queued), not AccessDenied.
        list_prefixes(bucket, ASSETS_PREFIX, OUTPUT_PREFIX),
        table_items(args.table_arn, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
        # The listing queries the by-created index (newest first).
        table_items(args.table_arn, ["dynamodb:Query"], indexes=True),
        {"Effect": "Allow", "Action": ["batch:SubmitJob"], "Resource": [args.job_queue_arn, *revisions, jobs]},
        # DescribeJobDefinitions has no resource-level permission: AWS requires "*".
        {"Effect": "Allow", "Action": ["batch:DescribeJobDefinitions"], "Resource": "*"},
    ]
    if settings.images.tracks_latest:
        # Any pushed tag may be chosen: its digest is looked up, and a revision registered for it when none exists.
        statements += [
            {"Effect": "Allow", "Action": ["ecr:DescribeImages"], "Resource": [args.batch_worker_repository_arn]},
            *register_revisions(job_definition, args.batch_worker_repository_url, args.job_role_arns),
        ]
    return statements
