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
VERSION_TAG = re.compile(r"(^|-)v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
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
    if isinstance(value, str):
        if value != UNKNOWN:
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
        container = _json(props.get("containerProperties")) or {}
        image = container.get("image")
        if _known(image) and not DIGEST_IMAGE.match(image):
            found.append(f"containerProperties.image {image!r} must be repository@sha256:<digest>")
    if resource_type == "docker:index/image:Image" and is_prod(urn):
        name = props.get("imageName")
        if _known(name) and not VERSION_TAG.search(name.rsplit(":", 1)[-1] if ":" in name else ""):
            found.append(f"imageName {name!r}: prod pushes a version tag vMAJOR.MINOR.PATCH; set images.tag")
    return found


def no_latest_in_prod(resource_type: str, props: dict, urn: str) -> list[str]:
    if not is_prod(urn):
        return []
    return [
        f"{path} is {value!r}: 'latest' is mutable and has no place in prod; pin a version and a digest"
        for path, value in _strings(props)
        if "latest" in value
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


def no_wildcard_actions(resource_type: str, props: dict, urn: str) -> list[str]:
    documents = []
    if resource_type in (
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/policy:Policy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    ):
        documents.append(props.get("policy"))
    if resource_type == "aws:iam/role:Role":
        documents += [p.get("policy") for p in _list(props.get("inlinePolicies")) if isinstance(p, Mapping)]
    found = []
    for document in documents:
        for statement in _list((_json(document) or {}).get("Statement", [])):
            if statement.get("Effect") != "Allow":
                continue  # a Deny should cover everything it can
            wild = [a for a in _list(statement.get("Action", [])) if isinstance(a, str) and "*" in a]
            if wild:
                found.append(f"statement {statement.get('Sid', '')!r} allows {wild}: list the exact actions instead")
            if "NotAction" in statement:
                found.append("an Allow with NotAction grants everything else: list the exact actions instead")
    return found


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
            continue
        function = mapping.props.get("functionName")
        consumer = next(
            (
                f
                for f in functions
                if _depends(mapping, f) or _known(function) and function in (f.props.get("arn"), f.props.get("name"))
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
        if consumer is not None:
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
    "no-latest-in-prod": ("no 'latest' anywhere in prod", no_latest_in_prod),
    "bucket-public-access-blocked": ("all four S3 public-access blocks on", public_access_blocked),
    "iam-no-wildcard-actions": ("no wildcard actions in IAM Allow statements", no_wildcard_actions),
    "log-retention-set": ("every log group has a retention", log_retention_set),
    "ecr-scan-and-immutability": ("ECR scans on push; prod tags immutable", ecr_scanned_and_immutable_in_prod),
}
STACK_CHECKS = {
    "buckets-private-encrypted-tls-only": (
        "every bucket private, encrypted and TLS-only",
        buckets_private_encrypted_tls_only,
    ),
    "lambda-queues-dlq-and-visibility": (
        "every Lambda-consumed queue has a DLQ and visibility >= 6 x timeout",
        lambda_queues_have_dlq_and_visibility,
    ),
}
DEFAULT_ENFORCEMENT = EnforcementLevel.MANDATORY  # the safe choice without a config; dev.json relaxes it


def policies() -> list:
    return [_resource_policy(name, description, check) for name, (description, check) in RESOURCE_CHECKS.items()] + [
        _stack_policy(name, description, check) for name, (description, check) in STACK_CHECKS.items()
    ]
