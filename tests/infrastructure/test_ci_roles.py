"""The IAM documents docs/deploying.md gives for the CI roles: linted by parliament, and the preview policy
granting exactly what `pulumi preview` calls in AWS.

`pulumi preview` diffs the program against the stack's state; it calls AWS for the provider's start (the caller's
identity) and for each look-up (data source) the program makes. The look-ups are recorded under the mocks
(`Recording.invokes`); LOOKUP_CALLS says which AWS API each one calls, as the AWS provider's data sources do
(terraform-provider-aws: aws_caller_identity GetCallerIdentity, aws_vpc DescribeVpcs, aws_subnets and aws_subnet
DescribeSubnets, aws_ecr_authorization_token GetAuthorizationToken, aws_ecr_image DescribeImages; aws_partition
and aws_region answer from the provider's own configuration).
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import warnings

import pytest

from components.settings import SERVICES, read_stack_file, settings_from_values
from tests.infrastructure.test_workflows import DEPLOYING, aws_role, environment, load
from tools.deploy_policy import STATEMENTS_FOR, statements
from tools.mock_stack import ACCOUNT_ID, record, stand_ins

with warnings.catch_warnings():  # parliament loads its data through pkg_resources, which warns it is deprecated
    warnings.simplefilter("ignore", DeprecationWarning)
    import parliament

LOOKUP_CALLS = {
    "aws:index/getCallerIdentity:getCallerIdentity": {"sts:GetCallerIdentity"},
    "aws:index/getPartition:getPartition": set(),
    "aws:index/getRegion:getRegion": set(),
    "aws:ec2/getVpc:getVpc": {"ec2:DescribeVpcs"},
    "aws:ec2/getSubnets:getSubnets": {"ec2:DescribeSubnets"},
    "aws:ec2/getSubnet:getSubnet": {"ec2:DescribeSubnets"},
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": {"ecr:GetAuthorizationToken"},
    "aws:ecr/getImage:getImage": {"ecr:DescribeImages"},
}
PROVIDER_START = {"sts:GetCallerIdentity"}  # the AWS provider learns its account before anything else


def documented_policy(name: str) -> dict:
    """The JSON block under `<!-- iam: name -->` in docs/deploying.md."""
    text = DEPLOYING.read_text()
    match = re.search(rf"<!-- iam: {name} -->\n```json\n(.*?)\n```", text, re.S)
    assert match, f"docs/deploying.md has no policy block {name!r}"
    document: dict = json.loads(match.group(1))
    return document


def findings(document: dict) -> list[tuple[str, str]]:
    policy = parliament.analyze_policy_string(json.dumps(document), include_community_auditors=True)
    return [(f.issue, str(f.detail)) for f in policy.findings]


def allowed_actions(document: dict) -> set[str]:
    actions = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def pushed(stack: str, tag: str) -> dict[str, str]:
    """Every service's image pushed under `tag` (what resolve mode looks up)."""
    return {f"creative-automation-{stack}-{service}:{tag}": "sha256:" + "1" * 64 for service in SERVICES}


# Every way the stacks run their look-ups: dev (default VPC) and prod (given subnets), each building images and
# resolving pushed ones.
@pytest.fixture(scope="module")
def lookups() -> set[str]:
    tokens: set[str] = set()
    for stack, tag in (("dev", "latest"), ("prod", "v1.0.0")):
        for overrides in ({}, {"images.mode": "resolve"}):
            recording = record(stack, overrides, existing_image_tags=pushed(stack, tag) if overrides else None)
            assert recording.error is None, recording.error
            tokens.update(recording.invokes)
    return tokens


def test_the_preview_policy_grants_exactly_the_calls_of_the_programs_lookups(lookups):
    unknown = lookups - set(LOOKUP_CALLS)
    assert unknown == set(), f"a look-up whose AWS calls LOOKUP_CALLS does not know: {unknown}"
    called = PROVIDER_START.union(*(LOOKUP_CALLS[token] for token in lookups))
    assert allowed_actions(documented_policy("preview")) == called


def test_the_preview_policy_reads_no_data_and_writes_nothing():
    for action in allowed_actions(documented_policy("preview")):
        verb = action.split(":")[1]
        assert verb.startswith(("Get", "Describe")), action
        assert action not in ("cognito-idp:DescribeUserPoolClient", "s3:GetObject", "secretsmanager:GetSecretValue")


def test_the_preview_policy_passes_parliament():
    # The one finding: ecr:GetAuthorizationToken returns a registry password. Build mode's look-up asks for it (the
    # build's push credentials, unused in a preview), and it supports only Resource "*"; it opens no repository
    # by itself: pulling needs ecr:BatchGetImage, which the policy does not grant.
    assert findings(documented_policy("preview")) == [("CREDENTIALS_EXPOSURE", "")]


def test_parliament_catches_a_broken_copy_of_the_preview_policy():
    broken = documented_policy("preview")
    broken["Statement"][2]["Action"] = ["ecr:DescribeImage"]
    assert "UNKNOWN_ACTION" in {issue for issue, _ in findings(broken)}


def test_the_trust_policy_admits_one_subject_of_githubs_provider():
    trust = documented_policy("trust")
    [statement] = trust["Statement"]
    assert statement["Principal"] == {
        "Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    }
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    # StringEquals on both: no wildcard subject (StringLike "repo:o/r:*" would admit every branch and environment)
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:OWNER/REPO:pull_request",
        }
    }
    # A role's trust policy has no Resource (IAM refuses one); parliament reads every document as an identity
    # policy, so that is its only finding.
    # parliament also does not know GitHub's provider as a federation source (it knows Cognito, SAML and a few).
    assert sorted(issue for issue, _ in findings(trust)) == ["MALFORMED", "UNKNOWN_FEDERATION_SOURCE"]


def documented_subjects() -> dict[str, str]:
    """role -> trusted subject, from the roles table of docs/deploying.md."""
    text = DEPLOYING.read_text()
    section = text[text.index("### The AWS roles") :]
    subjects = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("`repo:"):
            subjects[cells[0]] = cells[1].strip("`").removeprefix("repo:<owner>/<repo>:")
    return subjects


def test_each_jobs_role_trusts_the_subject_github_gives_that_job():
    """GitHub's subject: `environment:<name>` for a job that names an environment, else `pull_request` for a pull
    request's job (GitHub docs, OpenID Connect reference, example subject claims)."""
    roles = {
        "${{ vars.AWS_DEV_PREVIEW_ROLE_ARN }}": "dev preview",
        "${{ vars.AWS_PROD_PREVIEW_ROLE_ARN }}": "prod preview",
        "${{ vars.AWS_DEV_DEPLOY_ROLE_ARN }}": "dev deploy",
        "${{ vars.AWS_PROD_DEPLOY_ROLE_ARN }}": "prod deploy",
    }
    subjects = documented_subjects()
    assert set(subjects) == set(roles.values())
    seen = set()
    for name, event in (("pull-request.yml", "pull_request"), ("deploy.yml", None)):
        for job in load(name)["jobs"].values():
            if not any("configure-aws-credentials" in str(step.get("uses", "")) for step in job["steps"]):
                continue
            role = roles[aws_role(job)]
            expected = f"environment:{environment(job)}" if environment(job) else event
            assert subjects[role] == expected, role
            seen.add(role)
    assert seen == set(roles.values()), "a documented role no job assumes"


# --- the deploy roles ------------------------------------------------------------------------------------

# What parliament reports of any role that may deploy the stack, and why each is the deploy role's job. Nothing
# else may appear (an unknown action, an action on a resource type it does not take, a malformed condition).
DEPLOY_ROLE_FINDINGS = {
    # it creates the stack's roles, their inline policies and the resource policies of its queues, topic, key,
    # bucket, repositories and functions: that is deploying this stack
    "PERMISSIONS_MANAGEMENT_ACTIONS",
    # passing the stack's roles to functions it creates and updating their code is what `pulumi up` does
    "PRIVILEGE_ESCALATION",
    # it writes the bucket's policy without reading objects: parliament's note that a policy could grant them
    "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
    # the provider reads the app client (its secret is in the state) and the build logs in to ECR
    "CREDENTIALS_EXPOSURE",
}


def deploy_document(stack: str, account: str = "111122223333") -> dict:
    """The deploy policy of the stack as the deployer would fill the stack file (mocks' stand-ins)."""
    values = read_stack_file(stack)
    for key, value in stand_ins(stack).items():
        head, _, leaf = key.partition(".")
        values[head] = {**values.get(head, {}), leaf: value}
    settings = settings_from_values(stack, values, deployed=False)
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": sid, "Effect": "Allow", **body} for sid, body in statements(settings, account).items()],
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deploy_policy_passes_parliament(stack):
    found = findings(deploy_document(stack))
    assert {issue for issue, _ in found} <= DEPLOY_ROLE_FINDINGS, found
    exposed = [detail for issue, detail in found if issue == "CREDENTIALS_EXPOSURE"]
    assert all("cognito" not in d and "ecr" not in d for d in exposed)  # parliament puts the actions in the location


def test_parliament_catches_a_broken_copy_of_the_deploy_policy():
    broken = deploy_document("dev")
    broken["Statement"][0]["Action"] = ["sts:GetCallerIdentities"]
    assert "UNKNOWN_ACTION" in {issue for issue, _ in findings(broken)}
    broken = deploy_document("dev")
    topic = next(s for s in broken["Statement"] if s["Sid"] == "Topic")
    topic["Action"].append("sns:Unsubscribe")  # takes no topic ARN
    assert "RESOURCE_MISMATCH" in {issue for issue, _ in findings(broken)}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_type_the_stack_declares_has_its_deploy_statements(stack):
    recording = record(stack)
    document = deploy_document(stack, ACCOUNT_ID)
    sids = {s["Sid"] for s in document["Statement"]}
    types = {r.type for r in recording.resources if r.custom}
    unknown = types - set(STATEMENTS_FOR)
    assert unknown == set(), f"resource types without deploy permissions in tools/deploy_policy.py: {unknown}"
    for type_token in types:
        assert set(STATEMENTS_FOR[type_token]) <= sids, type_token
    # what AWS checks of the caller beyond the provider's calls: Lambda's pull statement on the repository, Batch's
    # service-linked role on the account's first compute environment
    assert {"ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy", "iam:CreateServiceLinkedRole"} <= allowed_actions(
        document
    )


# The resource types whose ARN AWS defines and the mocks give in AWS's shape (the mocks make up ARNs for the rest:
# a bucket's policy or a lambda permission has none).
ARN_TYPES = {
    "aws:s3/bucket:Bucket",
    "aws:sqs/queue:Queue",
    "aws:lambda/function:Function",
    "aws:iam/role:Role",
    "aws:ecr/repository:Repository",
    "aws:batch/jobQueue:JobQueue",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:sns/topic:Topic",
    "aws:kms/key:Key",
    "aws:dynamodb/table:Table",
    "aws:cognito/userPool:UserPool",
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deploy_policy_reaches_each_resource_the_stack_makes_and_no_other_stacks(stack):
    recording = record(stack)
    document = {s["Sid"]: s for s in deploy_document(stack, ACCOUNT_ID)["Statement"]}
    other = "prod" if stack == "dev" else "dev"
    checked = set()
    for resource in recording.resources:
        arn = resource.outputs.get("arn")
        if resource.type not in ARN_TYPES:
            continue
        assert isinstance(arn, str), resource.name
        patterns = [
            pattern
            for sid in STATEMENTS_FOR[resource.type]
            for pattern in (
                [document[sid]["Resource"]] if isinstance(document[sid]["Resource"], str) else document[sid]["Resource"]
            )
        ]
        assert any(fnmatch.fnmatchcase(arn, pattern) for pattern in patterns), (resource.type, arn)
        checked.add(resource.type)
        if f"creative-automation-{stack}" in arn:  # a resource the stack names: the other stack's is out of reach
            elsewhere = arn.replace(f"creative-automation-{stack}", f"creative-automation-{other}")
            assert not any(fnmatch.fnmatchcase(elsewhere, p) for p in patterns if p != "*"), elsewhere
    assert checked == ARN_TYPES
    # what the mocks do not shape as AWS does, by name
    assert document["Batch"]["Resource"] == [
        f"arn:aws:batch:us-east-1:{ACCOUNT_ID}:{kind}/creative-automation-{stack}-*"
        for kind in ("compute-environment", "job-queue", "job-definition")
    ]


def test_the_deploy_policy_tool_prints_the_document():
    result = subprocess.run(
        [sys.executable, "-m", "tools.deploy_policy", "dev", "--account", "111122223333"],
        cwd=DEPLOYING.parents[1],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == deploy_document("dev")
