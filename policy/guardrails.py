"""The stack's guardrails as CrossGuard policies, importable without starting a policy server.

Each check is a plain function of a resource's properties (camelCase, as the engine passes them) that
returns the violations it finds; the Policy objects wrap them. `__main__.py` builds the PolicyPack.
Which stack is checked is read from each resource's URN (`urn:pulumi:<stack>::...`): prod-only rules
apply where the stack is `prod`. Enforcement is mandatory by default, so forgetting the config is safe;
`--policy-pack-config policy/config/dev.json` relaxes dev to advisory.

The analyzer hands policies its read-only proxies, which raise UnknownValueError on a value not known until
apply (normal in preview). The wrappers copy props to plain dicts and lists first, each unknown as UNKNOWN,
and the checks skip UNKNOWN values rather than judge them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

DIGEST_IMAGE = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")
# Only an exact vMAJOR.MINOR.PATCH is a version prod may push (ECR keeps it immutable); `nightly-v1.0.0` is not.
# The program checks the same (components/settings/limits.py); the pack runs in its own venv, without the program.
VERSION_TAG = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
# `latest` in any case is a moving tag; `$LATEST` is Lambda's name for the unpublished version, not a tag.
MUTABLE_TAG = re.compile(r"(?<!\$)latest", re.IGNORECASE)
# AWS keywords that read like a moving tag but name no image of ours: Fargate's platform version (AWS patches
# the platform under it; the image we run is what prod pins, by digest).
AWS_LATEST_KEYWORDS = {("fargatePlatformConfiguration.platformVersion", "LATEST")}
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # Pulumi's marker for a value not known until apply


def stack_of(urn: str) -> str:
    return urn.split("::", 1)[0].rsplit(":", 1)[-1]


def is_prod(urn: str) -> bool:
    return stack_of(urn) == "prod"


def plain(value: Any) -> Any:
    """A copy of `value` (the analyzer's proxies or plain data) as dicts and lists, each unknown as UNKNOWN."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {key: _item(value, key) for key in value}
    if isinstance(value, Sequence):
        return [_item(value, index) for index in range(len(value))]
    return value


def _item(collection: Any, key: Any) -> Any:
    try:
        return plain(collection[key])  # a proxy raises here, key by key, only for the unknown value itself
    except UnknownValueError:
        return UNKNOWN


def _strings(value: Any, path: str = "") -> Iterable[tuple[str, str]]:
    """(path, string) for every known string in value, looking inside JSON documents held in strings."""
    if isinstance(value, str):
        document = _json(value) if value[:1] in "{[" else None
        if isinstance(document, (Mapping, list)):
            yield from _strings(document, path)
        elif value != UNKNOWN:
            yield path, value
    elif isinstance(value, Mapping):
        for key in value:
            yield from _strings(value[key], f"{path}.{key}" if path else key)
    elif isinstance(value, Sequence):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


# --- resource checks: (type, props, urn) -> violations ----------------------------------------------

BATCH_IMAGE_PROPS = ("containerProperties", "ecsProperties", "eksProperties", "nodeProperties")


def _images(value: Any, path: str) -> Iterable[tuple[str, str]]:
    """(path, image) for every `image` field in a job definition's properties, however deeply nested."""
    return ((p, v) for p, v in _strings(value, path) if p.rsplit(".", 1)[-1] == "image")


def images_by_digest(resource_type: str, props: dict, urn: str) -> list[str]:
    found = []
    if resource_type == "aws:lambda/function:Function" and props.get("packageType") == "Image":
        image = props.get("imageUri")
        if _known(image) and not DIGEST_IMAGE.match(image):
            found.append(
                f"imageUri {image!r} must reference the image by digest (repository@sha256:<digest>), "
                "not by tag: Lambda resolves a tag once and never picks up a new image"
            )
    if resource_type == "aws:batch/jobDefinition:JobDefinition":
        for key in BATCH_IMAGE_PROPS:
            for path, image in _images(props.get(key), key):
                if not DIGEST_IMAGE.match(image):
                    found.append(f"{path} {image!r} must be repository@sha256:<digest>")
    if resource_type == "docker:index/image:Image" and is_prod(urn):
        name = props.get("imageName")
        tag = name.rsplit(":", 1)[-1] if _known(name) and ":" in name.rsplit("/", 1)[-1] else ""
        # One repository for all services (images.layout consolidated) tags `<service>-vX.Y.Z`, the service being
        # the one the image resource `<service>-image` builds; no other prefix (`nightly-v1.0.0`) is a version.
        service = urn.rsplit("::", 1)[-1].removesuffix("-image")
        version = tag.removeprefix(f"{service}-")
        if _known(name) and not VERSION_TAG.match(version):
            found.append(
                f"imageName {name!r}: prod pushes an exact version tag vMAJOR.MINOR.PATCH (or {service}-vMAJOR.MINOR."
                f"PATCH in the consolidated layout), not {tag or 'none'!r}; set images.tag"
            )
    return found


def no_latest_in_prod(resource_type: str, props: dict, urn: str) -> list[str]:
    if not is_prod(urn):
        return []
    return [
        f"{path} is {value!r}: 'latest' (in any case) is mutable and has no place in prod; pin a version and a digest"
        for path, value in _strings(props)
        if MUTABLE_TAG.search(value) and not any(path.endswith(p) and value == v for p, v in AWS_LATEST_KEYWORDS)
    ]


def public_access_blocked(resource_type: str, props: dict, urn: str) -> list[str]:
    if resource_type != "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        return []
    missing = [
        k
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        if props.get(k) not in (True, UNKNOWN)
    ]
    return [f"set {', '.join(missing)} to true: the bucket must stay private"] if missing else []


def no_bucket_v2(resource_type: str, props: dict, urn: str) -> list[str]:
    # The V2 S3 types are deprecated aliases in pulumi-aws 7, and the bucket guardrails look for aws.s3.Bucket.
    if resource_type.startswith("aws:s3/") and resource_type.endswith("V2"):
        kind = resource_type.rsplit(":", 1)[-1]
        return [f"aws.s3.{kind} is deprecated and escapes the bucket guardrails: use aws.s3.{kind[:-2]}"]
    return []


IDENTITY_POLICY_TYPES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)


def _identity_statements(resource_type: str, props: dict) -> list[dict]:
    """The statements of the identity policies a resource declares (an inline or customer managed policy)."""
    documents = [props.get("policy")] if resource_type in IDENTITY_POLICY_TYPES else []
    if resource_type == "aws:iam/role:Role":
        documents += [p.get("policy") for p in _list(props.get("inlinePolicies")) if isinstance(p, Mapping)]
    statements = [s for d in documents for s in _list((_json(d) or {}).get("Statement", []))]
    return [s for s in statements if isinstance(s, Mapping) and s.get("Effect") == "Allow"]  # a Deny may be wide


def no_wildcard_actions(resource_type: str, props: dict, urn: str) -> list[str]:
    found = []
    for statement in _identity_statements(resource_type, props):
        wild = [a for a in _list(statement.get("Action", [])) if isinstance(a, str) and "*" in a]
        if wild:
            found.append(f"statement {statement.get('Sid', '')!r} allows {wild}: list the exact actions instead")
        if "NotAction" in statement:
            found.append("an Allow with NotAction grants everything else: list the exact actions instead")
    return found


def pass_role_names_roles(resource_type: str, props: dict, urn: str) -> list[str]:
    found = []
    for statement in _identity_statements(resource_type, props):
        if not any(isinstance(a, str) and a.lower() == "iam:passrole" for a in _list(statement.get("Action", []))):
            continue
        wild = [r for r in _list(statement.get("Resource", [])) if isinstance(r, str) and "*" in r]
        if wild or "NotResource" in statement:
            found.append(
                f"iam:PassRole on {wild or 'NotResource'}: whoever holds it can hand any role to a service; "
                "list the exact role ARNs"
            )
    return found


MANAGED_POLICY_ATTACHMENTS = {  # type -> the prop that names the attached policies
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/role:Role": "managedPolicyArns",
}


def no_managed_policies(resource_type: str, props: dict, urn: str) -> list[str]:
    key = MANAGED_POLICY_ATTACHMENTS.get(resource_type)
    if key is None or props.get(key) == UNKNOWN and resource_type == "aws:iam/role:Role":
        return []  # a role's list not known until apply may well be empty: judged then
    attached = [a for a in _list(props.get(key)) if a]
    if not attached and resource_type != "aws:iam/role:Role":
        attached = [UNKNOWN]  # an attachment attaches something, whatever its ARN turns out to be
    return [
        f"{key} attaches {'a policy known after apply' if arn == UNKNOWN else repr(arn)}: a managed policy grants "
        "whatever its owner puts in it (AdministratorAccess grants everything); give the role an inline policy "
        "(aws.iam.RolePolicy) with the exact actions"
        for arn in attached
    ]


RESOURCE_POLICY_TYPES = (  # resources whose `policy` prop is a resource policy
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:sqs/queue:Queue",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topic:Topic",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:kms/key:Key",
)
LAMBDA_PERMISSION_LIMITS = ("sourceArn", "sourceAccount", "principalOrgId")


def _anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in _list(principal.get("AWS", []))


def no_public_resource_policies(resource_type: str, props: dict, urn: str) -> list[str]:
    if resource_type == "aws:lambda/permission:Permission":
        if props.get("principal") == "*" and not any(_known(props.get(k)) for k in LAMBDA_PERMISSION_LIMITS):
            return ["principal '*' may invoke the function from anywhere: name the service and set sourceArn"]
        return []
    if resource_type not in RESOURCE_POLICY_TYPES:
        return []
    return [
        f"statement {s.get('Sid', '')!r} allows {s.get('Action')} to Principal '*' with no condition: anyone on the "
        "internet may do it; name the principal (a service or account) or add a Condition (aws:SourceArn)"
        for s in _list((_json(props.get("policy")) or {}).get("Statement", []))
        if isinstance(s, Mapping)
        and s.get("Effect") == "Allow"
        and _anyone(s.get("Principal"))
        and not s.get("Condition")
    ]


def api_routes_authorized(resource_type: str, props: dict, urn: str) -> list[str]:
    if resource_type == "aws:apigatewayv2/route:Route":
        route, kind = props.get("routeKey"), props.get("authorizationType")
        if kind == UNKNOWN:
            return []
        if kind in (None, "", "NONE"):
            return [f"route {route!r} has no authorizer: set authorization_type (JWT, CUSTOM or AWS_IAM)"]
        if kind in ("JWT", "CUSTOM") and props.get("authorizerId") in (None, ""):
            return [f"route {route!r} is {kind} but names no authorizer_id"]
    if resource_type == "aws:apigatewayv2/api:Api" and _known(props.get("target")):
        return ["quick create (target) makes a $default route with no authorizer: declare the routes instead"]
    if resource_type == "aws:apigateway/method:Method" and props.get("authorization") in (None, "", "NONE"):
        return [f"method {props.get('httpMethod')!r} has no authorizer: set authorization (COGNITO_USER_POOLS, ...)"]
    return []


def log_retention_set(resource_type: str, props: dict, urn: str) -> list[str]:
    if resource_type == "aws:cloudwatch/logGroup:LogGroup" and not props.get("retentionInDays"):
        return ["set retention_in_days: logs kept forever cost forever (7 in dev, 30 in prod here)"]
    return []


def ecr_scanned_and_immutable_in_prod(resource_type: str, props: dict, urn: str) -> list[str]:
    if resource_type != "aws:ecr/repository:Repository":
        return []
    found = []
    scanning = props.get("imageScanningConfiguration")
    if scanning != UNKNOWN and not (scanning or {}).get("scanOnPush"):
        found.append("set image_scanning_configuration.scan_on_push = true")
    if is_prod(urn) and props.get("imageTagMutability") not in ("IMMUTABLE", UNKNOWN):
        found.append(f"image_tag_mutability is {props.get('imageTagMutability')!r}: prod tags must be IMMUTABLE")
    return found


# --- stack checks: resources -> [(violation, urn)] -------------------------------------------------------


class Resource(NamedTuple):
    """What the stack checks read of a PolicyResource, with plain props."""

    resource_type: str
    name: str
    urn: str
    props: dict
    dependencies: list[str]  # urns


def _by_type(resources, resource_type):
    return [r for r in resources if r.resource_type == resource_type]


def buckets_private_encrypted_tls_only(resources) -> list[tuple[str, str]]:
    found = []
    for bucket in _by_type(resources, "aws:s3/bucket:Bucket"):
        name = bucket.props.get("bucket")

        def attached(type_, bucket=bucket, name=name):
            return [
                r
                for r in _by_type(resources, type_)
                if _depends(r, bucket) or _known(r.props.get("bucket")) and r.props.get("bucket") in (name, bucket.name)
            ]

        if not attached("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
            found.append(
                (f"bucket {name!r} has no public access block: add one with all four settings true", bucket.urn)
            )
        if not attached("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
            found.append(
                (f"bucket {name!r} has no default encryption: add a server-side encryption configuration", bucket.urn)
            )
        policies = [p.props.get("policy") for p in attached("aws:s3/bucketPolicy:BucketPolicy")]
        tls = UNKNOWN in policies  # not known until apply: judge it then
        for document in policies:
            for statement in _list((_json(document) or {}).get("Statement", [])):
                if (
                    statement.get("Effect") == "Deny"
                    and (statement.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport") == "false"
                ):
                    tls = True
        if not tls:
            found.append(
                (
                    f"bucket {name!r} accepts plain HTTP: add a bucket policy denying aws:SecureTransport false",
                    bucket.urn,
                )
            )
    return found


def _function_name(reference: str) -> str:
    """A function's name from what an event source mapping accepts: a name, an ARN or a partial/qualified ARN."""
    parts = reference.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def lambda_queues_have_dlq_and_visibility(resources) -> list[tuple[str, str]]:
    found = []
    queues = _by_type(resources, "aws:sqs/queue:Queue")
    functions = _by_type(resources, "aws:lambda/function:Function")
    for mapping in _by_type(resources, "aws:lambda/eventSourceMapping:EventSourceMapping"):
        source = mapping.props.get("eventSourceArn")
        queue = next(
            (q for q in queues if _depends(mapping, q) or _known(source) and q.props.get("arn") == source), None
        )
        if queue is None:
            if _known(source) and source.startswith("arn:aws:sqs:"):
                found.append(
                    (
                        f"event source mapping {mapping.name!r} reads queue {source!r}, which is not in this stack: "
                        "its dead-letter queue and visibility timeout cannot be checked; declare the queue here",
                        mapping.urn,
                    )
                )
            continue  # not a queue (a stream, Kafka): the queue rules do not apply
        function = mapping.props.get("functionName")
        consumer = next(
            (
                f
                for f in functions
                if _depends(mapping, f) or _known(function) and _function_name(function) == f.props.get("name")
            ),
            None,
        )
        redrive = queue.props.get("redrivePolicy")
        if redrive != UNKNOWN and not (_json(redrive) or {}).get("deadLetterTargetArn"):
            found.append(
                (
                    f"queue {queue.props.get('name')!r} feeds a Lambda but has no dead-letter queue: "
                    "set redrive_policy with deadLetterTargetArn and maxReceiveCount",
                    queue.urn,
                )
            )
        if consumer is None:
            found.append(
                (
                    f"event source mapping {mapping.name!r} invokes {function!r}, which is not a function of this "
                    f"stack: the visibility timeout of queue {queue.props.get('name')!r} cannot be checked against "
                    "its timeout (it must be at least 6 x); pass the function itself (function.arn)",
                    mapping.urn,
                )
            )
            continue
        visibility = queue.props.get("visibilityTimeoutSeconds", 30)
        timeout = consumer.props.get("timeout", 3)
        if _known(visibility) and _known(timeout) and visibility < 6 * timeout:
            found.append(
                (
                    f"queue {queue.props.get('name')!r} visibility timeout {visibility:g}s is below 6 x its "
                    f"consumer's timeout ({timeout:g}s): raise it to at least {6 * timeout:g}s",
                    queue.urn,
                )
            )
    return found


def _depends(resource: Resource, other: Resource) -> bool:
    return other.urn in resource.dependencies


# --- policies --------------------------------------------------------------------------------------------


def _resource_policy(name: str, description: str, check: Callable) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in check(args.resource_type, plain(args.props), args.urn):
            report_violation(message, None)

    return ResourceValidationPolicy(name=name, description=description, validate=validate)


def _stack_policy(name: str, description: str, check: Callable) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [
            Resource(r.resource_type, r.name, r.urn, plain(r.props), [d.urn for d in r.dependencies])
            for r in args.resources
        ]
        for message, urn in check(resources):
            report_violation(message, urn)

    return StackValidationPolicy(name=name, description=description, validate=validate)


RESOURCE_CHECKS = {
    "images-by-digest": ("Lambda and Batch images by digest; prod pushes version tags", images_by_digest),
    "no-latest-in-prod": ("no 'latest', in any case, anywhere in prod", no_latest_in_prod),
    "bucket-public-access-blocked": ("all four S3 public-access blocks on", public_access_blocked),
    "s3-no-v2-types": ("aws.s3.Bucket, not the deprecated BucketV2 types", no_bucket_v2),
    "iam-no-wildcard-actions": ("no wildcard actions in IAM Allow statements", no_wildcard_actions),
    "iam-passrole-named-roles": ("iam:PassRole only on named roles", pass_role_names_roles),
    "iam-no-managed-policies": ("no managed policy attached to a role, user or group", no_managed_policies),
    "resource-policies-not-public": (
        "no resource policy allows Principal '*' without a condition",
        no_public_resource_policies,
    ),
    "api-routes-authorized": ("every API Gateway route has an authorizer", api_routes_authorized),
    "log-retention-set": ("every log group has a retention", log_retention_set),
    "ecr-scan-and-immutability": ("ECR scans on push; prod tags immutable", ecr_scanned_and_immutable_in_prod),
}
STACK_CHECKS = {
    "buckets-private-encrypted-tls-only": (
        "every bucket private, encrypted and TLS-only",
        buckets_private_encrypted_tls_only,
    ),
    "lambda-queues-dlq-and-visibility": (
        "every Lambda-consumed queue is in the stack, has a DLQ and visibility >= 6 x its consumer's timeout",
        lambda_queues_have_dlq_and_visibility,
    ),
}
DEFAULT_ENFORCEMENT = EnforcementLevel.MANDATORY  # the safe choice without a config; dev.json relaxes it


def policies() -> list:
    return [_resource_policy(name, description, check) for name, (description, check) in RESOURCE_CHECKS.items()] + [
        _stack_policy(name, description, check) for name, (description, check) in STACK_CHECKS.items()
    ]
