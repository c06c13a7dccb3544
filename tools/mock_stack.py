"""Run the real `__main__.py` for a stack under Pulumi's mocks and record what it registers.

No AWS account, Docker daemon or `pulumi` CLI is needed. Config comes from the committed
`Pulumi.<stack>.yaml` (plus optional overrides), exactly as the CLI would hand it to the program.
The mocks answer like AWS would (ARNs, queue URLs, image digests), so the wiring between
resources is exercised for real: an ARN that reaches a policy is an ARN a resource produced.

Pulumi's runtime is process-global, so one process records one stack. Tests call `record()`,
which runs each recording in a process of its own (`python -m tools.mock_stack --request ...`, then forks of a
server that preloaded the SDKs); `record_in_process()` is the engine of both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import multiprocessing
import os
import runpy
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.settings import PROJECT, ROOT
from components.settings.loading import stack_file_config

ACCOUNT_ID = "123456789012"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker for secret values on the wire


@dataclass
class Resource:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    urn: str
    parent: str | None  # urn of the parent, None for children of the stack
    custom: bool
    secret_paths: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)  # urns it depends on (explicit and through inputs)
    ignore_changes: list[str] = field(default_factory=list)  # input properties `pulumi up` leaves as they are
    id: str = ""  # the physical id the mocks gave it (what another resource's `<x>_id` input receives)

    @property
    def is_component(self) -> bool:
        return not self.custom


@dataclass
class Recording:
    stack: str
    resources: list[Resource]
    outputs: dict[str, Any]
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # what `pulumi preview` prints as warnings (pulumi.log.warn)
    invokes: list[str] = field(default_factory=list)  # tokens of the provider functions (data sources) it called

    def of_type(self, type_token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Resource:
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            raise AssertionError(f"expected one {type_token} {name or ''}, found {[r.name for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        return next(r for r in self.resources if r.urn == urn)

    def depends_on(self, resource: Resource, other: Resource) -> bool:
        return other.urn in resource.dependencies

    def children(self, parent: Resource | None) -> list[Resource]:
        urn = parent.urn if parent else None
        return [r for r in self.resources if r.parent == urn]

    def to_json(self) -> dict:
        return {
            "stack": self.stack,
            "error": self.error,
            "warnings": self.warnings,
            "invokes": self.invokes,
            "outputs": self.outputs,
            "resources": [r.__dict__ for r in self.resources],
        }

    @classmethod
    def from_json(cls, data: dict) -> Recording:
        return cls(
            stack=data["stack"],
            error=data["error"],
            warnings=data["warnings"],
            invokes=data["invokes"],
            outputs=data["outputs"],
            resources=[Resource(**r) for r in data["resources"]],
        )


# What the committed stack files leave for the deployer to fill in, and the mocks fill in for them: prod's alarm
# destination (prod refuses to deploy without one, and a documentation address is no destination). A topic of the
# mocks' own account stands in; an override (say `alarms.topicArn: ""`) replaces it.
DEPLOYER_STAND_INS: dict[str, dict[str, Any]] = {
    "prod": {"alarms.topicArn": f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:creative-automation-oncall"},
}


def stand_ins(stack: str) -> dict[str, Any]:
    """The stand-ins the mocks use for `stack`: those whose key the committed stack file leaves empty."""
    committed = stack_file_config(stack)
    left_empty = {}
    for key, value in DEPLOYER_STAND_INS.get(stack, {}).items():
        head, _, path = f"{PROJECT}:{key}".partition(".")
        given: Any = committed.get(head) or {}
        for part in path.split("."):
            given = given.get(part) if isinstance(given, dict) else None
        if not given:
            left_empty[key] = value
    return left_empty


def stack_config(stack: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Config of Pulumi.<stack>.yaml as the CLI hands it to the program: fully qualified keys; what the file leaves
    to the deployer filled in by `stand_ins`, then `overrides` applied."""
    config = stack_file_config(stack)
    for key, value in {**stand_ins(stack), **(overrides or {})}.items():
        key = key if ":" in key else f"{PROJECT}:{key}"
        head, _, rest = key.partition(".")
        if rest:  # a path into a structured value, like `pulumi config set --path images.tag v1`
            target = config.setdefault(head, {})
            parts = rest.split(".")
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            if value is _DELETE:
                target.pop(parts[-1], None)
            else:
                target[parts[-1]] = value
        elif value is _DELETE:
            config.pop(key, None)
        else:
            config[key] = value
    return config


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


_DELETE = _Delete()
DELETE = _DELETE  # an override value that removes the key


# ---------------------------------------------------------------------------------------------
# What AWS (and the Docker provider) would answer
# ---------------------------------------------------------------------------------------------


def _digest(*parts: str) -> str:
    return "sha256:" + hashlib.sha256("/".join(parts).encode()).hexdigest()


# Resources whose outputs are just their name and an ARN: the ARN after "arn:aws:", and which of the two is the id.
NAMED_ARNS = {
    "aws:iam/policy:Policy": ("iam::{acct}:policy/{name}", "arn"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs:{region}:{acct}:log-group:{name}", "name"),
    "aws:sns/topic:Topic": ("sns:{region}:{acct}:{name}", "arn"),
    "aws:batch/jobQueue:JobQueue": ("batch:{region}:{acct}:job-queue/{name}", "arn"),
    "aws:cloudwatch/eventRule:EventRule": ("events:{region}:{acct}:rule/{name}", "name"),
}


def fake_outputs(type_token: str, name: str, inputs: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    """Physical id and computed outputs for a resource, shaped as AWS returns them."""
    acct = ACCOUNT_ID
    out: dict[str, Any] = {}
    physical = inputs.get("name") or f"{name}-{hashlib.sha1(name.encode()).hexdigest()[:7]}"
    service = type_token.split(":")[1].split("/")[0] if type_token.count(":") == 2 else ""
    kind = type_token.split(":")[-1]
    resource_id = physical

    if type_token in NAMED_ARNS:
        arn_tail, id_is = NAMED_ARNS[type_token]
        out = {"name": physical, "arn": "arn:aws:" + arn_tail.format(region=region, acct=acct, name=physical)}
        resource_id = out[id_is]
    elif type_token == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{name}-{hashlib.sha1(name.encode()).hexdigest()[:7]}"
        out = {
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
            "region": region,
        }
        resource_id = bucket
    elif type_token == "aws:sqs/queue:Queue":
        queue = inputs.get("name") or physical
        url = f"https://sqs.{region}.amazonaws.com/{acct}/{queue}"
        out = {"name": queue, "arn": f"arn:aws:sqs:{region}:{acct}:{queue}", "url": url}
        resource_id = url
    elif type_token == "aws:lambda/function:Function":
        fn = inputs.get("name") or physical
        arn = f"arn:aws:lambda:{region}:{acct}:function:{fn}"
        out = {
            "name": fn,
            "arn": arn,
            "qualifiedArn": f"{arn}:$LATEST",
            "version": "$LATEST",
            "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
        }
        resource_id = fn
    elif type_token == "aws:iam/role:Role":
        role = inputs.get("name") or physical
        role_path = inputs.get("path", "/").strip("/") + "/" if inputs.get("path", "/") != "/" else ""
        out = {
            "name": role,
            "arn": f"arn:aws:iam::{acct}:role/{role_path}{role}",
            "uniqueId": "AROA" + hashlib.sha1(role.encode()).hexdigest()[:17].upper(),
        }
        resource_id = role
    elif type_token == "aws:ecr/repository:Repository":
        repo = inputs.get("name") or physical
        out = {
            "name": repo,
            "arn": f"arn:aws:ecr:{region}:{acct}:repository/{repo}",
            "registryId": acct,
            "repositoryUrl": f"{acct}.dkr.ecr.{region}.amazonaws.com/{repo}",
        }
        resource_id = repo
    elif type_token == "docker:index/image:Image":
        image_name = inputs.get("imageName", name)
        build_inputs = json.dumps(inputs.get("build", {}), sort_keys=True, default=str)
        repository = image_name.rsplit(":", 1)[0] if ":" in image_name.rsplit("/", 1)[-1] else image_name
        out = {
            "imageName": image_name,
            "repoDigest": f"{repository}@{_digest(image_name, build_inputs)}",
            "baseImageName": image_name,
            "registryServer": image_name.split("/")[0],
        }
        resource_id = out["repoDigest"]
    elif type_token == "aws:batch/jobDefinition:JobDefinition":
        jd = inputs.get("name") or physical
        out = {
            "name": jd,
            "revision": 1,
            "arn": f"arn:aws:batch:{region}:{acct}:job-definition/{jd}:1",
            "arnPrefix": f"arn:aws:batch:{region}:{acct}:job-definition/{jd}",
        }
        resource_id = out["arn"]
    elif type_token == "aws:batch/computeEnvironment:ComputeEnvironment":
        ce = inputs.get("name") or physical
        out = {
            "name": ce,
            "arn": f"arn:aws:batch:{region}:{acct}:compute-environment/{ce}",
            "ecsClusterArn": f"arn:aws:ecs:{region}:{acct}:cluster/{ce}-cluster",
        }
        resource_id = out["arn"]
    elif type_token == "aws:cloudwatch/dashboard:Dashboard":
        out = {"dashboardArn": f"arn:aws:cloudwatch::{acct}:dashboard/{inputs.get('dashboardName', physical)}"}
        resource_id = inputs.get("dashboardName", physical)
    elif type_token == "aws:cloudwatch/metricAlarm:MetricAlarm":
        out = {"arn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{physical}"}
    elif type_token == "aws:kms/key:Key":
        digest = hashlib.sha1(name.encode()).hexdigest()
        resource_id = f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
        out = {"keyId": resource_id, "arn": f"arn:aws:kms:{region}:{acct}:key/{resource_id}"}
    elif type_token == "aws:ec2/securityGroup:SecurityGroup":
        resource_id = "sg-" + hashlib.sha1(name.encode()).hexdigest()[:17]
        out = {"arn": f"arn:aws:ec2:{region}:{acct}:security-group/{resource_id}"}
    elif type_token == "aws:lambda/eventSourceMapping:EventSourceMapping":
        resource_id = hashlib.sha1(name.encode()).hexdigest()[:8] + "-0000-4000-8000-000000000000"
        out = {"uuid": resource_id, "functionArn": inputs.get("functionName")}
    elif type_token == "aws:apigatewayv2/api:Api":
        resource_id = hashlib.sha1(name.encode()).hexdigest()[:10]
        out = {
            "apiEndpoint": f"https://{resource_id}.execute-api.{region}.amazonaws.com",
            "executionArn": f"arn:aws:execute-api:{region}:{acct}:{resource_id}",
            "arn": f"arn:aws:apigateway:{region}::/apis/{resource_id}",
        }
    elif type_token.startswith("aws:apigatewayv2/"):  # authorizers, integrations, routes, stages: short ids
        resource_id = inputs.get("name") if kind == "Stage" else hashlib.sha1(name.encode()).hexdigest()[:7]
    elif type_token == "aws:cognito/userPool:UserPool":
        resource_id = f"{region}_" + hashlib.sha1(name.encode()).hexdigest()[:9]
        out = {
            "arn": f"arn:aws:cognito-idp:{region}:{acct}:userpool/{resource_id}",
            "endpoint": f"cognito-idp.{region}.amazonaws.com/{resource_id}",
        }
    elif type_token == "aws:cognito/userPoolClient:UserPoolClient":
        resource_id = hashlib.sha1(name.encode()).hexdigest()[:26]
        out = {"clientSecret": "mock-client-secret"}
    elif type_token == "aws:cognito/resourceServer:ResourceServer":
        identifier = inputs.get("identifier", "")
        out = {"scopeIdentifiers": [f"{identifier}/{scope['scopeName']}" for scope in inputs.get("scopes", [])]}
        resource_id = f"{inputs.get('userPoolId')}|{identifier}"
    elif type_token == "aws:cognito/userPoolDomain:UserPoolDomain":
        resource_id = inputs.get("domain", physical)
    elif service and "arn" not in inputs:
        out = {"arn": f"arn:aws:{service}:{region}:{acct}:{kind[0].lower() + kind[1:]}/{physical}"}
    return resource_id, {**inputs, **out}


def fake_call(token: str, args: dict[str, Any], region: str, existing_image_tags: dict[str, str]) -> dict[str, Any]:
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ACCOUNT_ID,
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci",
            "userId": "AIDAEXAMPLE",
            "id": ACCOUNT_ID,
        }
    if token == "aws:index/getRegion:getRegion":
        return {
            "name": region,
            "region": region,
            "id": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region,
        }
    if token == "aws:index/getPartition:getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}
    if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        return {
            "userName": "AWS",
            "password": "mock-ecr-password",
            "authorizationToken": "QVdTOm1vY2s=",
            "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com",
            "expiresAt": "2026-11-26T00:00:00Z",
            "id": region,
        }
    if token == "aws:ecr/getImage:getImage":
        repo, tag = args.get("repositoryName"), args.get("imageTag")
        key = f"{repo}:{tag}"
        if key not in existing_image_tags:
            raise Exception(
                f"ImageNotFoundException: The image with imageId {{imageTag:'{tag}'}} does not exist "
                f"within the repository with name '{repo}'"
            )
        return {
            "imageDigest": existing_image_tags[key],
            "imageTags": [tag],
            "repositoryName": repo,
            "registryId": ACCOUNT_ID,
            "id": key,
            "imageUri": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{repo}@{existing_image_tags[key]}",
        }
    if token == "aws:ec2/getVpc:getVpc":
        return {
            "id": "vpc-0a1b2c3d4e5f60718",
            "arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:vpc/vpc-0a1b2c3d4e5f60718",
            "cidrBlock": "172.31.0.0/16",
            "default": True,
        }
    if token == "aws:ec2/getSubnet:getSubnet":
        return {
            "id": args.get("id"),
            "vpcId": "vpc-0f1e2d3c4b5a69788",
            "availabilityZone": f"{region}a",
            "arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:subnet/{args.get('id')}",
        }
    if token == "aws:ec2/getSubnets:getSubnets":
        return {
            "ids": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722", "subnet-0a1b2c3d4e5f60733"],
            "id": region,
        }
    raise Exception(f"the mocks do not answer {token}: add it to tools/mock_stack.py:fake_call")


def _unwrap_secrets(value: Any, path: str, secret_paths: list[str]) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            secret_paths.append(path)
            return _unwrap_secrets(value.get("value"), path, secret_paths)
        return {k: _unwrap_secrets(v, f"{path}.{k}" if path else k, secret_paths) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v, f"{path}[{i}]", secret_paths) for i, v in enumerate(value)]
    return value


def _plain(value: Any) -> Any:
    """JSON-safe copy of a recorded value (resource references become their URN)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    urn = getattr(value, "urn", None)
    return f"<{type(value).__name__} {urn}>" if urn is not None else repr(value)


def record_in_process(request: dict[str, Any]) -> Recording:
    """Run __main__.py under mocks in this process, for a request as `record` encodes it (JSON: stack, overrides
    with DELETE spelled "__DELETE__", preview, existing_image_tags, lifecycle). Call once per process."""
    stack, preview, existing_image_tags = request["stack"], request["preview"], request["existing_image_tags"]
    overrides = {k: (_DELETE if v == "__DELETE__" else v) for k, v in request["overrides"].items()}
    _set_lifecycle(request.get("lifecycle") or {})
    import pulumi
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime.config import set_all_config

    config = stack_config(stack, overrides)
    region = config.get("aws:region", "us-east-1")
    existing = dict(existing_image_tags or {})
    recorded: list[Resource] = []
    invoked: set[str] = set()
    registering = threading.local()  # urn and parent of the registration in progress on this thread

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            secret_paths: list[str] = []
            inputs = _unwrap_secrets(args.inputs, "", secret_paths)
            resource_id, outputs = fake_outputs(args.typ, args.name, inputs, region)
            recorded.append(
                Resource(
                    type=args.typ,
                    name=args.name,
                    inputs=_plain(inputs),
                    outputs=_plain(outputs),
                    urn=registering.urn,
                    parent=registering.parent,
                    custom=bool(args.custom),
                    secret_paths=secret_paths,
                    dependencies=registering.dependencies,
                    ignore_changes=registering.ignore_changes,
                    id=resource_id,
                )
            )
            return resource_id, outputs

        def call(self, args: pulumi.runtime.MockCallArgs):
            invoked.add(args.token)
            return fake_call(args.token, _unwrap_secrets(args.args, "", []), region, existing), []

    class Monitor(pulumi_mocks.MockMonitor):
        def RegisterResource(self, request):
            registering.urn = self.make_urn(request.parent, request.type, request.name)
            registering.dependencies = sorted(set(request.dependencies))
            registering.ignore_changes = list(request.ignoreChanges)  # as the engine gets them: camelCase names
            parent = request.parent or None
            registering.parent = None if parent is None or "::pulumi:pulumi:Stack::" in parent else parent
            return super().RegisterResource(request)

    warnings: list[str] = []

    class Warnings(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno == logging.WARNING:
                warnings.append(record.getMessage())

    engine_log = logging.getLogger("creative-automation.mock-engine")
    engine_log.addHandler(Warnings())
    engine_log.propagate = False

    # Config exactly as the CLI passes it: strings, with structured values JSON-encoded.
    set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
    pulumi.runtime.set_mocks(
        Mocks(), project=PROJECT, stack=stack, preview=preview, monitor=Monitor(Mocks()), logger=engine_log
    )

    outputs: dict[str, Any] = {}
    error: str | None = None
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:

        @pulumi.runtime.test
        def program():
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
            root = pulumi.runtime.settings.get_root_resource()
            names = list(root.outputs)
            return pulumi.Output.all(*[root.outputs[n] for n in names]).apply(
                lambda values: outputs.update(zip(names, values, strict=False))
            )

        program()
    except Exception as exc:  # the program's own error, as `pulumi preview` would print it
        error = _program_error(exc)
    finally:
        os.chdir(cwd)

    return Recording(
        stack=stack,
        resources=recorded,
        outputs=_plain(outputs),
        error=error,
        warnings=warnings,
        invokes=sorted(invoked),
    )


def _set_lifecycle(dates: dict[str, dict[str, str]]) -> None:
    """Models of the table given Legacy and EOL dates (model id -> {legacy, eol}, ISO dates): how the program
    meets a model AWS has since moved to Legacy."""
    from dataclasses import replace
    from datetime import date

    from handlers.shared import image_models

    table = image_models.models()
    for model_id, given in dates.items():
        lifecycle = replace(
            table[model_id].lifecycle,
            state="Legacy",
            legacy=date.fromisoformat(given["legacy"]),
            eol=date.fromisoformat(given["eol"]),
        )
        table[model_id] = replace(table[model_id], lifecycle=lifecycle)


def _program_error(exc: BaseException) -> str:
    # Surface the innermost meaningful message (the settings error, not Pulumi's wrapping of it).
    seen = exc
    while seen.__cause__ or seen.__context__:
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            break
        seen = nxt
    message = f"{type(exc).__name__}: {exc}"
    if seen is not exc:
        message += f"\ncaused by {type(seen).__name__}: {seen}"
    return message + "\n" + "".join(traceback.format_exception(exc))[-4000:]


_CACHE: dict[str, Recording] = {}
# Recording a stack imports about a thousand modules of the Pulumi SDKs (pulumi_aws builds thousands of classes):
# most of a recording's CPU. So the first recording in a process runs in a plain subprocess, which names the modules
# it imported, and later ones run in processes forked from a fork server that imported those once (multiprocessing's
# forkserver: a fresh single-threaded process, so no caller's threads or Pulumi state are inherited). Each recording
# still gets a process of its own, as Pulumi's runtime requires, with the caller's environment at the time of the call.
_FORK_SERVER: Any = None
MODULES_MARKER = "modules imported:"


def record(
    stack: str,
    overrides: dict[str, Any] | None = None,
    preview: bool = False,
    existing_image_tags: dict[str, str] | None = None,
    lifecycle: dict[str, dict[str, str]] | None = None,
) -> Recording:
    """Record a stack in a process of its own (Pulumi's runtime state is global). Results are cached. `lifecycle`:
    models of the table given Legacy and EOL dates ({model id: {"legacy": ISO date, "eol": ISO date}})."""
    global _FORK_SERVER
    request = {
        "stack": stack,
        "overrides": {k: ("__DELETE__" if v is _DELETE else v) for k, v in (overrides or {}).items()},
        "preview": preview,
        "existing_image_tags": existing_image_tags or {},
        "lifecycle": lifecycle or {},
    }
    key = json.dumps(request, sort_keys=True)
    if key in _CACHE:
        return _CACHE[key]
    if _FORK_SERVER is None:
        result = run_request(request, ROOT, name_modules=True)
        if result.returncode != 0:
            raise RuntimeError(f"mock run of {stack} crashed:\n{result.stderr[-6000:]}")
        *_, modules_line, recording_line = result.stdout.strip().splitlines()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(json.loads(modules_line.removeprefix(MODULES_MARKER)))
        _FORK_SERVER = context
        _CACHE[key] = Recording.from_json(json.loads(recording_line))
    else:
        _CACHE[key] = Recording.from_json(json.loads(_record_in_fork(_FORK_SERVER, request)))
    return _CACHE[key]


def _record_in_fork(context: Any, request: dict[str, Any]) -> str:
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_record_and_send, args=(request, dict(os.environ), send), daemon=True)
    child.start()
    send.close()
    try:
        recording = receive.recv_bytes().decode()
    except EOFError:
        child.join(timeout=60)
        raise RuntimeError(f"mock run of {request['stack']} crashed (exit code {child.exitcode})") from None
    child.join(timeout=60)
    return recording


def _record_and_send(request: dict[str, Any], environment: dict[str, str], send: Any) -> None:
    os.environ.clear()
    os.environ.update(environment)
    recording = record_in_process(request)
    send.send_bytes(json.dumps(recording.to_json(), default=str).encode())
    send.close()
    os._exit(0)  # skip interpreter teardown: Pulumi's event loop complains noisily while closing


def run_request(
    request: dict[str, Any], checkout: Path, name_modules: bool = False
) -> subprocess.CompletedProcess[str]:
    """`python -m tools.mock_stack --request ...` in a fresh process, in `checkout` (the project directory, as
    Pulumi runs the program there); the last line of its stdout is the recording as JSON, and with `name_modules`
    the line before it names the modules the recording imported."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.mock_stack",
            "--request",
            json.dumps(request, sort_keys=True),
            *(["--name-modules"] if name_modules else []),
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=600,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--request", required=True, help="JSON: stack, overrides, preview, existing_image_tags, lifecycle"
    )
    parser.add_argument("--name-modules", action="store_true", help="print the modules imported, before the JSON")
    args = parser.parse_args(argv)
    recording = record_in_process(json.loads(args.request))
    sys.stdout.flush()
    if args.name_modules:
        # in the order they were imported: pulumi_aws loads its submodules lazily, and another order breaks that
        # In the order they were imported: pulumi_aws loads its submodules lazily, and another order breaks that.
        importable = [name for name, module in sys.modules.items() if getattr(module, "__spec__", None) is not None]
        print(MODULES_MARKER + json.dumps([name for name in importable if name != "__main__"]), flush=True)
    print(json.dumps(recording.to_json(), default=str), flush=True)
    os._exit(0)  # skip interpreter teardown: Pulumi's event loop complains noisily while closing


if __name__ == "__main__":
    sys.exit(main())
