"""Policy pack entry point: `pulumi preview --policy-pack policy [--policy-pack-config policy/config/dev.json]`.

Mandatory unless a config relaxes it (dev.json: advisory), so forgetting the config is safe.
Building the PolicyPack starts the policy server, so it happens only here, never on import."""

from pulumi_policy import PolicyPack

from guardrails import DEFAULT_ENFORCEMENT, policies

PolicyPack(name="creative-automation-guardrails", enforcement_level=DEFAULT_ENFORCEMENT, policies=policies())
