"""The whole program for dev and prod under mocks: it runs, fails early on bad config, exports outputs."""

from datetime import date, timedelta

import pytest

from tests.documented import NOVA_CANVAS, NOVA_CANVAS_EOL
from tools import offline_preview
from tools.mock_stack import record
from tools.offline_preview import render_tree
from tools.policy_check import as_analyzer_props, as_policy_resources, evaluate

pytestmark = pytest.mark.slow  # the real program run under Pulumi's mocks


def test_dev_and_prod_run_and_export_the_environment(dev, prod):
    assert dev.outputs["environment"] == "dev"
    assert prod.outputs["environment"] == "prod"


def test_every_resource_sits_in_a_component(stack):
    components = {r.urn for r in stack.resources if r.is_component}
    assert components, "the stack declares its resources in ComponentResources"
    orphans = [r.name for r in stack.resources if r.custom and r.parent not in components]
    assert orphans == []


@pytest.mark.parametrize("tag", ["latest", "v1", ""])
def test_prod_with_a_mutable_or_malformed_tag_fails_naming_the_key(tag):
    recording = record("prod", {"images.tag": tag})
    assert recording.error is not None
    assert "creative-automation:images.tag" in recording.error
    assert repr(tag) in recording.error
    # config is validated before anything is declared
    assert recording.resources == []


def test_preview_refuses_an_ended_model_naming_its_end_of_life_and_what_to_use():
    recording = record("prod", {"bedrockModelId": NOVA_CANVAS})
    assert recording.error is not None and recording.resources == []  # refused before any resource
    assert f"creative-automation:bedrockModelId is '{NOVA_CANVAS}'" in recording.error
    assert f"end of life on Amazon Bedrock on {NOVA_CANVAS_EOL}" in recording.error
    assert "stability.stable-image-core-v1:1" in recording.error  # an Active model to move to


def test_preview_warns_about_a_legacy_model_with_its_dates_and_deploys():
    """A model AWS has moved to Legacy since the table was read: the stack still deploys, with a warning."""
    today = date.today()
    legacy, eol = (today - timedelta(days=30)).isoformat(), (today + timedelta(days=150)).isoformat()
    recording = record("dev", lifecycle={"stability.stable-image-core-v1:1": {"legacy": legacy, "eol": eol}})
    assert recording.error is None and recording.resources
    [warning] = [w for w in recording.warnings if "Legacy" in w]
    assert warning.startswith("creative-automation:bedrockModelId is 'stability.stable-image-core-v1:1': ")
    assert f"since {legacy}" in warning and f"requests fail from {eol}" in warning


def test_the_committed_stacks_preview_without_a_model_warning(dev, prod):
    for stack in (dev, prod):
        assert not any("bedrock" in w.lower() for w in stack.warnings), stack.warnings


def test_offline_preview_prints_components_with_their_children(dev):
    tree = render_tree(dev)
    assert tree.splitlines()[0].startswith("stack dev")
    assert "images  (creative-automation:images:ContainerImages)" in tree
    assert (
        "    ├── parser-repository  (aws:ecr/repository:Repository)" in tree
        or "    └── parser-repository  (aws:ecr/repository:Repository)" in tree
    )


def test_offline_preview_runs_the_policy_pack_over_both_stacks(capsys):
    assert offline_preview.main(["dev", "prod"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("Policy pack (policy/guardrails.py, 13 policies): passed") == 2


def test_offline_preview_lists_each_violation_with_its_policy_and_resource(dev):
    resources = as_policy_resources(dev)
    parser = next(r for r in resources if r["type"] == "aws:lambda/function:Function" and r["name"] == "parser")
    parser["props"]["imageUri"] = parser["props"]["imageUri"].split("@")[0] + ":latest"
    verdict = offline_preview.render_policies(evaluate(resources, as_analyzer_props))
    first, *rest = verdict.splitlines()
    assert first == "Policy pack (policy/guardrails.py, 13 policies): 1 violation(s)"
    [line] = rest
    assert line.startswith("  images-by-digest: ") and "must reference the image by digest" in line
    assert line.endswith("  [parser]")
