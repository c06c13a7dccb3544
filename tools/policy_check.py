"""The policy pack's policies over a stack recorded under Pulumi's mocks, offline (no CLI, no analyzer server).

Each policy of `policy/guardrails.py` sees the resources as Pulumi's Python analyzer hands them over; `make preview`
prints the outcome for both stacks, and tests/infrastructure/test_policies.py uses the same evaluation.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from components.settings import ROOT
from tools.mock_stack import Recording

POLICY = ROOT / "policy"


def _load_guardrails() -> Any:
    """The pack's importable module (building its PolicyPack would start a server), loaded from policy/ as
    Pulumi's analyzer imports it beside __main__.py: under the name `guardrails`, once per process."""
    if "guardrails" not in sys.modules:
        spec = importlib.util.spec_from_file_location("guardrails", POLICY / "guardrails.py")
        assert spec is not None and spec.loader is not None
        sys.modules["guardrails"] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules["guardrails"]


guardrails = _load_guardrails()

OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def as_analyzer_props(props: dict):
    """Props as pulumi_policy's analyzer hands them to a policy (policy.py, Analyze and AnalyzeStack): off the
    wire as a protobuf Struct (numbers become floats), deserialized, wrapped in its unknown-checking proxy."""
    struct = struct_pb2.Struct()
    struct.update(props)
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def evaluate(resources: list[dict], wrap=lambda props: props) -> list[tuple[str, str, str | None]]:
    """(policy, message, urn) for every violation the pack reports on these resources.

    Each resource is {type, name, urn, props, dependencies (urns)}; `wrap` presents the props (as_analyzer_props:
    as the real analyzer does). A policy the analyzer would skip for an unknown value is reported as a violation
    too, since it checked nothing."""
    violations = []
    by_urn = {}
    for spec in resources:
        by_urn[spec["urn"]] = PolicyResource(
            spec["type"], wrap(spec["props"]), spec["urn"], spec["name"], OPTIONS, None, None, [], {}
        )
    for spec in resources:
        by_urn[spec["urn"]].dependencies = [by_urn[d] for d in spec.get("dependencies", []) if d in by_urn]
    for policy in guardrails.policies():

        def report(message, urn=None, name=policy.name):
            violations.append((name, message, urn))

        try:
            if isinstance(policy, ResourceValidationPolicy):
                for spec in resources:
                    policy.validate(
                        ResourceValidationArgs(
                            spec["type"], wrap(spec["props"]), spec["urn"], spec["name"], OPTIONS, None
                        ),
                        # As the analyzer does, a resource policy's violation is attributed to the resource checked.
                        lambda message, urn=None, checked=spec["urn"], report=report: report(message, urn or checked),
                    )
            else:
                policy.validate(StackValidationArgs(list(by_urn.values())), report)
        except UnknownValueError as error:
            violations.append((policy.name, f"skipped during preview: {error.message}", None))
    return violations


def as_policy_resources(recording: Recording) -> list[dict]:
    # In a real preview, props hold inputs and whatever outputs are known; the mocks know them all.
    return [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "props": copy.deepcopy(r.outputs),
            "dependencies": r.dependencies,
        }
        for r in recording.resources
        if r.custom
    ]


def check(recording: Recording) -> list[tuple[str, str, str | None]]:
    """(policy, message, urn) of every violation in the recorded stack, its props presented as the analyzer does."""
    return evaluate(as_policy_resources(recording), as_analyzer_props)


def policy_names() -> list[str]:
    return [policy.name for policy in guardrails.policies()]
