"""Offline preview: the resource tree and stack outputs of a stack, without AWS, Docker or the CLI.

    .venv/bin/python -m tools.offline_preview dev [prod ...]

Runs the real `__main__.py` under Pulumi's mocks (tools/mock_stack.py) with the committed
Pulumi.<stack>.yaml, and prints what `pulumi preview` would create: each component with its
children and their types, then the stack outputs as they would be (ids and digests are mock values), then
the policy pack's verdict on those resources (tools/policy_check.py). A value the stack file leaves to the
deployer (prod's alarm destination) is previewed with the mocks' stand-in, and says so. Exits 1 when the program
fails or a policy is violated, as `pulumi preview --policy-pack policy` would.
"""

from __future__ import annotations

import argparse
import json
import sys

from tools.mock_stack import Recording, record, stand_ins
from tools.policy_check import check, policy_names


def render_tree(recording: Recording) -> str:
    lines = [f"stack {recording.stack}  (pulumi:pulumi:Stack creative-automation-{recording.stack})"]

    def walk(parent, depth: int) -> None:
        children = sorted(recording.children(parent), key=lambda r: (r.custom, r.type, r.name))
        for index, child in enumerate(children):
            last = index == len(children) - 1
            prefix = "    " * (depth - 1) + ("└── " if last else "├── ")
            lines.append(f"{prefix}{child.name}  ({child.type})")
            walk(child, depth + 1)

    walk(None, 1)
    return "\n".join(lines)


def render_outputs(recording: Recording) -> str:
    return "\n".join(f"{key}: {json.dumps(value, indent=2)}" for key, value in sorted(recording.outputs.items()))


def render_policies(violations: list[tuple[str, str, str | None]]) -> str:
    """The policy pack's verdict, one line per violation: policy, message, resource name."""
    head = f"Policy pack (policy/guardrails.py, {len(policy_names())} policies): "
    if not violations:
        return head + "passed"
    lines = [head + f"{len(violations)} violation(s)"]
    for policy, message, urn in violations:
        lines.append(f"  {policy}: {message}" + (f"  [{urn.rsplit('::', 1)[-1]}]" if urn else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a stack's resource tree and outputs, offline.")
    parser.add_argument("stacks", nargs="*", default=["dev", "prod"], help="stack names (default: dev prod)")
    args = parser.parse_args(argv)
    status = 0
    for stack in args.stacks:
        recording = record(stack)
        print(f"=== {stack} ===")
        for key, value in stand_ins(stack).items():
            print(f"(Pulumi.{stack}.yaml leaves {key} to the deployer: previewed with {value})")
        if recording.error:
            print(f"error: the program fails for stack {stack}:\n{recording.error}", file=sys.stderr)
            status = 1
            continue
        counts = {
            "components": sum(r.is_component for r in recording.resources),
            "resources": sum(r.custom for r in recording.resources),
        }
        print(render_tree(recording))
        print(f"\n{counts['resources']} resources in {counts['components']} components\n\nOutputs:")
        print(render_outputs(recording))
        violations = check(recording)
        print("\n" + render_policies(violations))
        status = status or int(bool(violations))
        print()
    return status


if __name__ == "__main__":
    sys.exit(main())
