"""Every IAM policy document both stacks declare, run through parliament (an IAM linter with AWS's action,
resource and condition-key data bundled, offline).

Documents: role inline policies and customer managed policies, role trust policies, resource policies (queue,
topic, bucket, repository, key) and each Lambda permission as the statement Lambda adds to the function's
policy. Unknown actions, actions on resources they do not apply to and malformed conditions fail; the only
findings let through are in ACCEPTED, each with the AWS reason.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.documented import OUTPAINT_PROFILE_DESTINATIONS
from tools.mock_stack import Recording, record

with warnings.catch_warnings():  # parliament loads its data through pkg_resources, which warns it is deprecated
    warnings.simplefilter("ignore", DeprecationWarning)
    import parliament

IDENTITY = {  # type -> the prop holding an identity policy
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
RESOURCE = {  # type -> the prop holding a resource policy
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:s3/bucket:Bucket": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:kms/key:Key": "policy",
}


@dataclass(frozen=True)
class Document:
    resource_type: str
    resource: str  # the resource's name in the stack
    kind: str  # identity, trust, resource
    text: str


def lambda_permission_statement(permission: dict, recording: Recording) -> str:
    """The statement Lambda's AddPermission writes into the function's resource policy for this permission."""
    functions = {f.outputs["name"]: f.outputs["arn"] for f in recording.of_type("aws:lambda/function:Function")}
    principal = permission["principal"]
    statement = {
        "Sid": "LambdaPermission",
        "Effect": "Allow",
        "Principal": {"Service": principal} if principal.endswith(".amazonaws.com") else {"AWS": principal},
        "Action": permission["action"],
        "Resource": functions.get(permission["function"], permission["function"]),
    }
    condition = {}
    if permission.get("sourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": permission["sourceArn"]}
    if permission.get("sourceAccount"):
        condition["StringEquals"] = {"AWS:SourceAccount": permission["sourceAccount"]}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": [statement]})


def policy_documents(recording: Recording) -> list[Document]:
    documents = []
    for r in recording.resources:
        props = r.outputs
        if r.type in IDENTITY and props.get(IDENTITY[r.type]):
            documents.append(Document(r.type, r.name, "identity", props[IDENTITY[r.type]]))
        if r.type in RESOURCE and props.get(RESOURCE[r.type]):
            documents.append(Document(r.type, r.name, "resource", props[RESOURCE[r.type]]))
        if r.type == "aws:iam/role:Role":
            documents.append(Document(r.type, r.name, "trust", props["assumeRolePolicy"]))
            for inline in props.get("inlinePolicies") or []:
                documents.append(Document(r.type, r.name, "identity", inline["policy"]))
        if r.type == "aws:lambda/permission:Permission":
            documents.append(Document(r.type, r.name, "resource", lambda_permission_statement(props, recording)))
    return documents


@dataclass(frozen=True)
class Finding:
    document: Document
    issue: str
    detail: str


POSITION = ("filepath", "line", "lineno", "column", "string")  # where in the text, not what


def lint(document: Document) -> list[Finding]:
    """parliament's findings; the detail is {detail, location} as JSON (community auditors put the actions they
    object to in the location)."""
    policy = parliament.analyze_policy_string(document.text, include_community_auditors=True)
    return [
        Finding(
            document,
            f.issue,
            json.dumps(
                {"detail": f.detail, "location": {k: v for k, v in f.location.items() if k not in POSITION}},
                sort_keys=True,
                default=str,
            ),
        )
        for f in policy.findings
    ]


@dataclass(frozen=True)
class Accepted:
    resource_type: str
    resource: str | None  # the resource's name in the stack; None: every resource of the type
    kind: str
    issue: str
    detail: re.Pattern  # the finding's detail (JSON) must match this
    reason: str  # why AWS needs it as it is
    holds: Callable[[dict], bool] = lambda document: True  # and this must hold of the document

    def covers(self, finding: Finding) -> bool:
        return (
            finding.document.resource_type == self.resource_type
            and self.resource in (None, finding.document.resource)
            and finding.document.kind == self.kind
            and finding.issue == self.issue
            and self.detail.search(finding.detail) is not None
            and self.holds(json.loads(finding.document.text))
        )


FOUNDATION_MODEL = re.compile(r"^arn:aws:bedrock:[a-z0-9-]*::foundation-model/[a-z0-9.-]+(:\d+)?$")
INFERENCE_PROFILE = re.compile(
    r"^arn:aws:bedrock:[a-z0-9-]+:\d{12}:inference-profile/(us|us-gov|eu|apac|jp|au|ca|global)\.[a-z0-9.-]+(:\d+)?$"
)


def invokes_models_only(document: dict) -> bool:
    """Every InvokeModel statement names foundation models or system-defined inference profiles, nothing else; a
    statement on foundation models next to a profile is usable only through that profile."""
    statements = [s for s in document["Statement"] if "bedrock:InvokeModel" in s["Action"]]
    resources = [r for s in statements for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
    profiles = [r for r in resources if INFERENCE_PROFILE.match(r)]
    if not resources or not all(FOUNDATION_MODEL.match(r) or INFERENCE_PROFILE.match(r) for r in resources):
        return False
    for statement in statements:
        named = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        models = [r for r in named if FOUNDATION_MODEL.match(r)]
        condition = statement.get("Condition", {}).get("ArnEquals", {}).get("bedrock:InferenceProfileArn")
        if profiles and models and condition not in profiles:
            return False
    return True


ACCEPTED = [
    Accepted(
        "aws:iam/role:Role",
        None,
        "trust",
        "MALFORMED",
        re.compile(r"^\{\"detail\": \"Statement contains neither Resource nor NotResource\""),
        "A role trust policy is the role's own resource policy: the role is the resource, and IAM rejects a "
        "Resource element in it (MalformedPolicyDocument: Has prohibited field Resource). parliament lints "
        "every document as an identity policy.",
    ),
    Accepted(
        "aws:kms/key:Key",
        "alarm-topic-key",
        "resource",
        "RESOURCE_STAR",
        re.compile(r"^\{\"detail\": \[(\"kms:\w+\"(, )?)+\]"),
        'In a key policy, Resource "*" means "this KMS key": the policy is attached to one key and AWS KMS '
        'documents "*" as the only value (AWS KMS Developer Guide, Key policies).',
    ),
    Accepted(
        "aws:kms/key:Key",
        "alarm-topic-key",
        "resource",
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        re.compile(r"\"location\": \{\"actions\": \[(\"kms:(creategrant|revokegrant|putkeypolicy)\"(, )?)+\]\}"),
        "The account (arn:aws:iam::<account>:root) must keep administering its key, PutKeyPolicy and grants "
        "included, or the key becomes unmanageable (AWS KMS default key policy, 'Allows access to the AWS "
        "account and enables IAM policies').",
    ),
    Accepted(
        "aws:iam/rolePolicy:RolePolicy",
        "worker-execution-policy",
        "identity",
        "CREDENTIALS_EXPOSURE",
        re.compile(r"\"location\": \{\"actions\": \[\"ecr:getauthorizationtoken\"\]\}"),
        "The Batch execution role pulls the worker image from ECR: ecr:GetAuthorizationToken is required and "
        'supports only Resource "*" (AmazonECSTaskExecutionRolePolicy grants the same); the pull itself is '
        "limited to the worker repository by BatchGetImage/GetDownloadUrlForLayer.",
    ),
    *(
        Accepted(
            "aws:iam/rolePolicy:RolePolicy",
            policy,
            "identity",
            "PERMISSIONS_MANAGEMENT_ACTIONS",
            re.compile(r"\"location\": \{\"actions\": \[\"iam:passrole\"\]\}"),
            "RegisterJobDefinition with jobRoleArn and executionRoleArn requires iam:PassRole on those roles (AWS "
            "Batch User Guide, IAM roles for jobs); the statement names exactly the two Batch roles (the policy "
            "pack's iam-passrole-named-roles keeps it so).",
        )
        # the dev updater, and the dev campaign API registering a revision for a pushed tag it has none for
        for policy in ("updater-policy", "api-policy")
    ),
    Accepted(
        "aws:iam/rolePolicy:RolePolicy",
        "updater-policy",
        "identity",
        "PRIVILEGE_ESCALATION",
        re.compile(r"\"actions\": \[\"lambda:updatefunctioncode\"\], \"type\": \"EditExistingLambdaFunctionWithRole\""),
        "The dev image updater deploys each pushed image to the stack's dev functions: that is "
        "lambda:UpdateFunctionCode, scoped to those function ARNs; it cannot pass another role to them.",
    ),
    *(
        Accepted(
            "aws:iam/rolePolicy:RolePolicy",
            policy,
            "identity",
            "RESOURCE_MISMATCH",
            # InvokeModel is the only action mismatched, and (holds) its statement names foundation models only
            re.compile(
                r"^\{\"detail\": \[(\{\"action\": \"bedrock:InvokeModel\", \"required_format\": \"[^\"]+\"\}(, )?)+\]"
            ),
            "bedrock:InvokeModel lists eight resource types (foundation model, inference profiles, provisioned and "
            "imported models, ...) as alternatives: one call invokes one model. parliament requires each of them; "
            "the statement names the model the function invokes: the foundation model in its Region, or a "
            "cross-Region inference profile with the foundation model in each of its destination Regions, usable "
            "only through that profile (Service Authorization Reference, Amazon Bedrock; Bedrock user guide, "
            "prerequisites for inference profiles). parliament also rejects the colon of a model id "
            "(stability.stable-image-core-v1:1), which AWS defines so.",
            invokes_models_only,
        )
        for policy in ("generator-policy", "variants-policy")  # variants: outpainting for generative expand
    ),
]


def unaccepted(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if not any(a.covers(f) for a in ACCEPTED)]


def describe(findings: list[Finding]) -> str:
    return "\n".join(
        f"{f.document.resource} ({f.document.kind}): {f.issue} {f.detail[:300]}\n  {f.document.text[:400]}"
        for f in findings
    )


# --- the stacks ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["dev", "prod"])
def documents(request) -> list[Document]:
    return policy_documents(record(request.param))


def test_every_kind_of_policy_the_stacks_declare_is_linted(documents):
    kinds = {(d.resource_type, d.kind) for d in documents}
    assert {
        ("aws:iam/rolePolicy:RolePolicy", "identity"),
        ("aws:iam/role:Role", "trust"),
        ("aws:sqs/queuePolicy:QueuePolicy", "resource"),
        ("aws:sns/topicPolicy:TopicPolicy", "resource"),
        ("aws:s3/bucketPolicy:BucketPolicy", "resource"),
        ("aws:kms/key:Key", "resource"),
    } <= kinds
    dev = any(d.resource == "updater-policy" for d in documents)  # only dev (tracking `latest`) has the updater
    # API Gateway may invoke the API function, EventBridge the settler (its sweep, failed Batch jobs) and in dev
    # the updater
    permissions = {d.resource for d in documents if d.resource_type == "aws:lambda/permission:Permission"}
    assert permissions == {"api-invoke", "sweep-invoke", "failed-jobs-invoke", *(["updater-invoke"] if dev else [])}
    # parser, generator, variants, api, settler, the Batch execution and job roles; and the updater in dev
    assert len([d for d in documents if d.kind == "identity"]) == (8 if dev else 7)


def test_every_policy_document_passes_the_iam_linter(documents):
    findings = [f for d in documents for f in lint(d)]
    assert unaccepted(findings) == [], describe(unaccepted(findings))


def test_each_accepted_finding_is_still_needed():
    """An accepted finding the stacks no longer produce is dropped from the list, so it cannot hide a new one."""
    findings = [f for stack in ("dev", "prod") for d in policy_documents(record(stack)) for f in lint(d)]
    unused = [a for a in ACCEPTED if not any(a.covers(f) for f in findings)]
    assert unused == [], [f"{a.resource_type} {a.kind} {a.issue}" for a in unused]


ARN = re.compile(r"^arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+")


def _arns(statement: dict) -> list[str]:
    resources = statement.get("Resource", [])
    conditions = [v for operator in (statement.get("Condition") or {}).values() for v in operator.values()]
    values = [resources] if isinstance(resources, str) else list(resources)
    for value in conditions:
        values += [value] if isinstance(value, str) else list(value)
    return [v for v in values if v.startswith("arn:")]


def test_the_mocks_put_real_arn_shapes_in_the_documents(documents):
    """The mocks resolve each Pulumi output to an ARN: the linter only means something if those ARNs have the
    shape AWS gives them, in the stack's account and region, each matching a resource type AWS defines."""
    arns = {a for d in documents for s in json.loads(d.text)["Statement"] for a in _arns(s)}
    assert len(arns) >= 15
    for arn in arns:
        match = ARN.match(arn)
        assert match, arn
        assert match.group(1) in (None, "123456789012"), arn
        # the stack's Region; Bedrock's where the model is called (us-west-2) and where a profile routes to
        bedrock = arn.startswith("arn:aws:bedrock:")
        assert arn.split(":")[3] in (("", "us-east-1") + (OUTPAINT_PROFILE_DESTINATIONS if bedrock else ())), arn
        assert parliament.get_resource_type_matches_from_arn(arn), f"{arn} matches no AWS resource type"


# --- the linter catches what it must --------------------------------------------------------------------


def _policy_with(statement: dict, resource: str = "parser-policy") -> list[Finding]:
    original = next(d for d in policy_documents(record("dev")) if d.resource == resource)
    document = json.loads(original.text)
    document["Statement"].append(statement)
    return unaccepted(lint(Document(original.resource_type, original.resource, original.kind, json.dumps(document))))


BUCKET = "arn:aws:s3:::creative-automation-dev-123456789012-us-east-1"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:creative-automation-dev-briefs"


@pytest.mark.parametrize(
    "statement,issue",
    [
        ({"Effect": "Allow", "Action": "s3:GetObjects", "Resource": f"{BUCKET}/input/*"}, "UNKNOWN_ACTION"),
        ({"Effect": "Allow", "Action": "s4:GetObject", "Resource": f"{BUCKET}/input/*"}, "UNKNOWN_PREFIX"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET}, "RESOURCE_MISMATCH"),
        ({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": f"{BUCKET}/*"}, "RESOURCE_MISMATCH"),
        (
            {
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": QUEUE,
                "Condition": {"StringEqualz": {"aws:SourceAccount": "123456789012"}},
            },
            "UNKNOWN_OPERATOR",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": QUEUE,
                "Condition": {"StringLike": {"s3:prefix": ["input/*"]}},
            },
            "UNKNOWN_CONDITION_FOR_ACTION",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": BUCKET,
                "Condition": {"NumericLessThan": {"s3:prefix": "5"}},
            },
            "MISMATCHED_TYPE",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": BUCKET,
                "Condition": {"Bool": {"aws:SecureTransport": "maybe"}},
            },
            "MISMATCHED_TYPE_OPERATION_TO_NULL",
        ),
        ({"Effect": "Allow", "Action": "s3:GetObject"}, "MALFORMED"),
    ],
    ids=[
        "made-up action",
        "made-up service",
        "object action on the bucket",
        "queue action on a bucket",
        "unknown operator",
        "condition key of another service",
        "number operator on a string key",
        "bool that is no bool",
        "no resource",
    ],
)
def test_the_linter_fails_a_broken_copy_of_a_stack_policy(statement, issue):
    assert issue in {f.issue for f in _policy_with(statement)}


def test_an_accepted_finding_covers_only_its_own_resource_and_reason():
    """PassRole is accepted for the updater's two roles, not in another policy; InvokeModel's alternatives are
    accepted for the generator's foundation model, not for a statement that names no model at all."""
    pass_role = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/x"}
    assert "PERMISSIONS_MANAGEMENT_ACTIONS" in {f.issue for f in _policy_with(pass_role)}
    wrong_model = {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": f"{BUCKET}/x"}
    assert "RESOURCE_MISMATCH" in {f.issue for f in _policy_with(wrong_model, "generator-policy")}
