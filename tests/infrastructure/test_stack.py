"""The whole program for dev and prod under mocks: it runs, fails early on bad config, exports outputs."""

import pytest

from tools.mock_stack import record
from tools.offline_preview import render_tree

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


def test_offline_preview_prints_components_with_their_children(dev):
    tree = render_tree(dev)
    assert tree.splitlines()[0].startswith("stack dev")
    assert "images  (creative-automation:images:ContainerImages)" in tree
    assert (
        "    ├── parser-repository  (aws:ecr/repository:Repository)" in tree
        or "    └── parser-repository  (aws:ecr/repository:Repository)" in tree
    )
