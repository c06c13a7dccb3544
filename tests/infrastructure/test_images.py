"""Container images under mocks: both stacks, both layouts, both prod modes."""

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests import ecr_lifecycle
from tests.ecr_lifecycle import Image
from tools.mock_stack import Recording, record, run_request

pytestmark = pytest.mark.slow  # the real program run under Pulumi's mocks

SERVICES = ["parser", "generator", "variants", "image-updater", "api", "settler", "batch-worker"]
DIGEST_URI = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$")
PROD_PUSHED = {f"creative-automation-prod-{s}:v1.0.0": "sha256:" + f"{i:02d}" * 32 for i, s in enumerate(SERVICES)}
PROD_PUSHED_CONSOLIDATED = {
    f"creative-automation-prod:{s}-v1.0.0": "sha256:" + f"{i + 10:02d}" * 32 for i, s in enumerate(SERVICES)
}

VARIANTS = {
    "dev": ("dev", {}, None),
    "dev-consolidated": ("dev", {"images.layout": "consolidated"}, None),
    "prod": ("prod", {}, None),
    "prod-consolidated": ("prod", {"images.layout": "consolidated"}, None),
    "prod-resolve": ("prod", {"images.mode": "resolve"}, PROD_PUSHED),
    "prod-consolidated-resolve": (
        "prod",
        {"images.layout": "consolidated", "images.mode": "resolve"},
        PROD_PUSHED_CONSOLIDATED,
    ),
}


@pytest.fixture(scope="module", params=list(VARIANTS))
def variant(request) -> tuple[str, Recording]:
    stack, overrides, pushed = VARIANTS[request.param]
    recording = record(stack, overrides, existing_image_tags=pushed)
    assert recording.error is None, recording.error
    return request.param, recording


def walk_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk_strings(item)


def test_outputs_map_every_service_to_a_digest_uri_in_both_layouts(variant):
    _, recording = variant
    assert set(recording.outputs["image_uris"]) == set(SERVICES)
    assert set(recording.outputs["repository_urls"]) == set(SERVICES)
    for service, uri in recording.outputs["image_uris"].items():
        assert DIGEST_URI.match(uri), uri
        repository_url = recording.outputs["repository_urls"][service]
        assert uri.startswith(repository_url + "@sha256:"), "the digest belongs to the service's repository"


def test_every_consumer_references_images_by_digest(variant):
    _, recording = variant
    for function in recording.of_type("aws:lambda/function:Function"):
        assert DIGEST_URI.match(function.inputs["imageUri"]), function.name
    for job in recording.of_type("aws:batch/jobDefinition:JobDefinition"):
        images = re.findall(r'"image":\s*"([^"]+)"', job.inputs.get("containerProperties", ""))
        assert images and all(DIGEST_URI.match(i) for i in images), job.name


@pytest.mark.parametrize("name", [n for n in VARIANTS if n.startswith("prod")])
def test_prod_has_no_latest_anywhere(name):
    stack, overrides, pushed = VARIANTS[name]
    recording = record(stack, overrides, existing_image_tags=pushed)
    offending = [(r.type, r.name, s) for r in recording.resources for s in walk_strings(r.inputs) if "latest" in s]
    assert offending == []


def test_tags_mutability_scanning_and_lifecycle(variant):
    name, recording = variant
    prod = name.startswith("prod")
    repositories = recording.of_type("aws:ecr/repository:Repository")
    assert len(repositories) == (1 if "consolidated" in name else len(SERVICES))
    for repository in repositories:
        assert repository.inputs["imageTagMutability"] == ("IMMUTABLE" if prod else "MUTABLE")
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.inputs["encryptionConfigurations"][0]["encryptionType"] in ("AES256", "KMS")
    policies = recording.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert len(policies) == len(repositories)
    for policy in policies:
        rules = json.loads(policy.inputs["policy"])["rules"]
        keeps = [r for r in rules if r["selection"]["countType"] == "imageCountMoreThan"]
        if prod:  # a pinned stack keeps every released image: no count (the lifecycle tests below)
            assert keeps == []
            continue
        assert keeps and all(r["selection"]["countNumber"] == 10 for r in keeps)
        if "consolidated" in name:  # one budget per service, not one for all five together
            assert sorted(p for r in keeps for p in r["selection"]["tagPrefixList"]) == sorted(
                f"{s}-" for s in SERVICES
            )
        any_rules = [r for r in rules if r["selection"]["tagStatus"] == "any"]
        for rule in any_rules:  # AWS: a tagStatus=any rule must have the highest rulePriority
            assert rule["rulePriority"] == max(r["rulePriority"] for r in rules)

    images = recording.of_type("docker:index/image:Image")
    if "resolve" in name:
        assert images == [], "resolve mode builds nothing"
        return
    assert len(images) == len(SERVICES)
    expected_tag = "v1.0.0" if prod else "latest"
    for image in images:
        tag = image.inputs["imageName"].rsplit(":", 1)[1]
        assert tag == (
            f"{image.name.removesuffix('-image')}-{expected_tag}" if "consolidated" in name else expected_tag
        )
        build = image.inputs["build"]
        assert build["platform"] == "linux/amd64" and build["builderVersion"] == "BuilderBuildKit"
        assert build["cacheFrom"]["images"] == [image.inputs["imageName"]]
        assert image.inputs["buildOnPreview"] is False
        assert {"registry", "registry.password"} & set(image.secret_paths), "registry credentials stay secret"


def test_platform_setting_reaches_the_build():
    recording = record("dev", {"images.platform": "linux/arm64"})
    assert {i.inputs["build"]["platform"] for i in recording.of_type("docker:index/image:Image")} == {"linux/arm64"}


def test_repository_names_follow_the_environment_setting():
    shared_account = record("dev")
    own_account = record("dev", {"images.environmentInRepositoryName": False})
    assert {r.inputs["name"] for r in shared_account.of_type("aws:ecr/repository:Repository")} == {
        f"creative-automation-dev-{s}" for s in SERVICES
    }
    assert {r.inputs["name"] for r in own_account.of_type("aws:ecr/repository:Repository")} == {
        f"creative-automation-{s}" for s in SERVICES
    }


def test_prod_resolve_uses_the_pushed_digest_and_fails_clearly_when_the_tag_is_missing():
    resolved = record("prod", {"images.mode": "resolve"}, existing_image_tags=PROD_PUSHED)
    for service in SERVICES:
        assert resolved.outputs["image_uris"][service].endswith(
            PROD_PUSHED[f"creative-automation-prod-{service}:v1.0.0"]
        )
    missing = record("prod", {"images.mode": "resolve", "images.tag": "v9.9.9"}, existing_image_tags=PROD_PUSHED)
    assert missing.error is not None
    assert "v9.9.9" in missing.error and "creative-automation-prod-" in missing.error


def image_builds(recording: Recording) -> dict[str, dict]:
    return {
        image.name.removesuffix("-image"): image.inputs["build"]
        for image in recording.of_type("docker:index/image:Image")
    }


def test_build_paths_are_relative_to_the_project_directory():
    # pulumi-docker keeps context and dockerfile in state: an absolute path would differ per checkout.
    root = Path(__file__).resolve().parents[2]
    builds = image_builds(record("prod"))
    assert set(builds) == set(SERVICES)
    for service, build in builds.items():
        assert build["context"] == "handlers"
        assert build["dockerfile"] == f"handlers/{service.replace('-', '_')}/Dockerfile"
        assert (root / build["dockerfile"]).is_file()


def test_build_inputs_are_the_same_from_another_checkout_folder(tmp_path, monkeypatch):
    root = Path(__file__).resolve().parents[2]
    checkout = tmp_path / "elsewhere" / "creative-automation"
    shutil.copytree(
        root,
        checkout,
        ignore=shutil.ignore_patterns(
            ".venv",
            "node_modules",
            ".git",
            "out",
            ".pytest_cache",
            ".test-artifacts",
            "__pycache__",
            "tests",
            "benchmarks",
            "samples",
        ),
    )
    monkeypatch.chdir(tmp_path)  # and a test cwd that is neither checkout
    request = {"stack": "prod", "overrides": {}, "preview": False, "existing_image_tags": {}}
    result = run_request(request, checkout)
    assert result.returncode == 0, result.stderr[-3000:]
    elsewhere = Recording.from_json(json.loads(result.stdout.strip().splitlines()[-1]))
    assert elsewhere.error is None, elsewhere.error
    here = image_builds(record("prod"))
    assert image_builds(elsewhere) == here
    assert not any(str(root) in s or str(checkout) in s for s in walk_strings(here))


def test_builds_push_inline_cache_metadata_for_the_next_build():
    for stack in ("dev", "prod"):
        for image in record(stack).of_type("docker:index/image:Image"):
            build = image.inputs["build"]
            assert build["args"] == {"BUILDKIT_INLINE_CACHE": "1"}, image.name
            assert build["cacheFrom"]["images"] == [image.inputs["imageName"]]


# --- the lifecycle and the released versions -------------------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RELEASES = [f"v1.{minor}.0" for minor in range(15)]  # more releases than any count would keep


def released_images(tag_prefix: str) -> list[Image]:
    """One repository's images after 15 releases a week apart, plus the untagged leftovers of failed pushes."""
    images = [
        Image(f"sha256:{index:064x}", T0 + timedelta(weeks=index), (f"{tag_prefix}{tag}",))
        for index, tag in enumerate(RELEASES)
    ]
    leftovers = [Image(f"sha256:{100 + i:064x}", T0 + timedelta(weeks=i, days=1)) for i in range(3)]
    return images + leftovers


def lifecycle_of(recording: Recording, repository: str) -> str:
    [policy] = [
        p for p in recording.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy") if p.inputs["repository"] == repository
    ]
    return str(policy.inputs["policy"])


@pytest.mark.parametrize("layout", ["per-service", "consolidated"])
def test_a_pinned_stack_never_expires_an_image_a_released_revision_runs(layout):
    """Prod keeps every released job-definition revision ACTIVE (a re-render may name any version); each runs the
    batch-worker image of its release, which must therefore outlive any count."""
    recording = record("prod", {"images.layout": layout})
    assert recording.error is None, recording.error
    prefix = "batch-worker-" if layout == "consolidated" else ""
    repository = "creative-automation-prod" + ("" if layout == "consolidated" else "-batch-worker")
    images = released_images(prefix)
    referenced = {image.digest for image in images if image.tags}  # every release's revision stays ACTIVE
    gone = ecr_lifecycle.expired(lifecycle_of(recording, repository), images, now=T0 + timedelta(days=400))
    assert gone & referenced == set()
    assert gone == {image.digest for image in images if not image.tags}, "untagged leftovers still go"


def test_a_count_rule_would_expire_the_oldest_releases():
    """The rule prod had (keep the last 10 of any image): the evaluator expires the five oldest releases, whose
    revisions a rollback could still name."""
    count_rule = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
                    "action": {"type": "expire"},
                }
            ]
        }
    )
    images = [image for image in released_images("") if image.tags]
    gone = ecr_lifecycle.expired(count_rule, images, now=T0 + timedelta(days=400))
    assert gone == {image.digest for image in images if image.tags[0] in RELEASES[:5]}


def test_a_stack_that_tracks_latest_keeps_its_newest_images_and_drops_superseded_ones(dev):
    repository = "creative-automation-dev-batch-worker"
    # `latest` moved 15 times: each earlier digest lost the tag (ECR untags it when the tag moves)
    images = [Image(f"sha256:{i:064x}", T0 + timedelta(days=i), ("latest",) if i == 14 else ()) for i in range(15)]
    images.append(Image(f"sha256:{98:064x}", T0 + timedelta(days=13, hours=12), ("hotfix-2",)))
    images.append(Image(f"sha256:{99:064x}", T0 - timedelta(days=1), ("hotfix-1",)))
    gone = ecr_lifecycle.expired(lifecycle_of(dev, repository), images, now=T0 + timedelta(days=20))
    # the superseded ones, and a tag older than the newest 10 images; latest and the recent tag stay (dev's
    # re-renders offer only the tags that exist: GET /versions lists the repository's tags)
    assert gone == {f"sha256:{i:064x}" for i in [*range(14), 99]}
    keep = [r for r in json.loads(lifecycle_of(dev, repository))["rules"] if r["selection"]["tagStatus"] != "untagged"]
    assert [r["selection"]["countNumber"] for r in keep] == [10]


# --- images Lambda accepts ---------------------------------------------------------------------------------

# Lambda takes a single-platform image manifest (Docker image manifest v2 schema 2, or OCI image manifest), not an
# image index: an index, which buildx writes for a multi-platform build or when it attaches provenance or SBOM
# attestations (its default since buildx 0.10), fails CreateFunction/UpdateFunctionCode with "The image manifest,
# config or layer media type for the source image ... is not supported" (aws/aws-lambda-roadmap#82). The stack
# builds with pulumi-docker's `docker.Image`: one `platform`, BuildKit through the Docker Engine API, which requests
# no attestations (pulumi-docker provider/image.go: ImageBuildOptions carries no attest option), then pushes the
# one image it built. These are the build options as the provider receives them.
ALLOWED_BUILD_OPTIONS = {"context", "dockerfile", "platform", "builderVersion", "args", "cacheFrom"}


@pytest.mark.parametrize("overrides", [{}, {"images.platform": "linux/arm64"}], ids=["amd64", "arm64"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_images_are_built_as_single_platform_manifests_lambda_accepts(stack, overrides):
    recording = record(stack, overrides)
    assert recording.error is None, recording.error
    platform = overrides.get("images.platform", "linux/amd64")
    assert recording.of_type("docker-build:index:Image") == [], "buildx's Image attaches attestations: an index"
    images = recording.of_type("docker:index/image:Image")
    assert len(images) == len(SERVICES)
    for image in images:
        build = image.inputs["build"]
        assert set(build) <= ALLOWED_BUILD_OPTIONS, set(build) - ALLOWED_BUILD_OPTIONS
        assert build["platform"] == platform, "exactly one platform: a list would make an index"
        assert build["builderVersion"] == "BuilderBuildKit"
    architecture = {"linux/amd64": "x86_64", "linux/arm64": "arm64"}[platform]
    for function in recording.of_type("aws:lambda/function:Function"):
        assert function.inputs["packageType"] == "Image"
        assert function.inputs.get("architectures", ["x86_64"]) == [architecture], function.name
