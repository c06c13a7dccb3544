"""Container images: ECR repositories and a pulumi-docker build per service.

Every consumer gets `image_uris[service]`, the image by digest (`repository@sha256:...`), never a tag:
Lambda resolves a tag once, at deploy, so only a digest makes a new image deploy and an unchanged one not.

Two repository layouts (setting `images.layout`), with the same outputs:
- per-service: a repository per service (`creative-automation[-<env>]-<service>`), tag = `images.tag`;
- consolidated: one repository per environment (`creative-automation[-<env>]`), tag `<service>-<images.tag>`.

Two modes (setting `images.mode`):
- build: build with BuildKit and push `tag`, then deploy the pushed digest. pulumi-docker hashes the build
  context, so an unchanged re-run pushes nothing; with IMMUTABLE tags (prod) a changed build must get a
  new version tag, which is the point of pinning.
- resolve: build nothing; look the tag up in ECR (`aws.ecr.get_image`) and deploy its digest. For stacks
  whose images a release pipeline already pushed; the preview fails, naming repository and tag, if absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from components.settings import PROJECT, SERVICES, StackSettings

# Build paths relative to the project directory, Pulumi's working directory for the program and its
# providers. pulumi-docker keeps them in state: an absolute path would make `pulumi up` from another
# checkout folder a diff, a rebuild and a re-push of an immutable version tag, which ECR rejects.
BUILD_CONTEXT = "handlers"


@dataclass(frozen=True)
class ImageTarget:
    """Where a service's image lives: repository name and tag (pure, derived from settings)."""

    service: str
    repository_name: str
    tag: str
    tag_prefix: str  # "" per-service; "<service>-" consolidated (what the image-push rule filters on)


def image_targets(settings: StackSettings) -> dict[str, ImageTarget]:
    images = settings.images
    base = f"{PROJECT}-{settings.environment}" if images.environment_in_repository_name else PROJECT
    targets = {}
    for service in SERVICES:
        if images.layout == "consolidated":
            targets[service] = ImageTarget(service, base, f"{service}-{images.tag}", f"{service}-")
        else:
            targets[service] = ImageTarget(service, f"{base}-{service}", images.tag, "")
    return targets


def lifecycle_policy(keep_last: int | None, tag_prefixes: list[str]) -> str:
    """Untagged images expire after a day. With `keep_last` (a stack that tracks latest), only the newest
    `keep_last` tagged images stay (per service tag prefix when consolidated). Without it (a pinned stack), every
    tagged image stays: each is a released version, an ACTIVE job-definition revision runs it, and a re-render at
    that version pulls it (an expired one would fail the job at its image pull)."""
    rules: list[dict[str, object]] = [
        {
            "rulePriority": 1,
            "description": "expire untagged images (superseded layers of mutable tags) after a day",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        }
    ]
    if keep_last is None:
        return json.dumps({"rules": rules})
    if tag_prefixes and all(tag_prefixes):
        for priority, prefix in enumerate(tag_prefixes, start=2):
            rules.append(
                {
                    "rulePriority": priority,
                    "description": f"keep the last {keep_last} {prefix.rstrip('-')} images",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPrefixList": [prefix],
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_last,
                    },
                    "action": {"type": "expire"},
                }
            )
    else:
        rules.append(
            {
                "rulePriority": 2,
                "description": f"keep the last {keep_last} images",
                # AWS requires a rule with tagStatus "any" to have the lowest precedence (highest priority number).
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_last},
                "action": {"type": "expire"},
            }
        )
    return json.dumps({"rules": rules})


def dockerfile(service: str) -> str:
    """The service's Dockerfile, relative to the project directory (as pulumi-docker resolves it)."""
    return f"{BUILD_CONTEXT}/{service.replace('-', '_')}/Dockerfile"


@dataclass
class ContainerImagesArgs:
    settings: StackSettings


class ContainerImages(pulumi.ComponentResource):
    """Per service: `repositories[s]` (aws.ecr.Repository), `repository_urls[s]`, `targets[s]`
    (ImageTarget: repository name, tag, tag prefix) and `image_uris[s]` (`repo@sha256:...`)."""

    repositories: dict[str, aws.ecr.Repository]
    repository_urls: dict[str, pulumi.Output[str]]
    image_uris: dict[str, pulumi.Output[str]]
    targets: dict[str, ImageTarget]

    def __init__(self, name: str, args: ContainerImagesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("creative-automation:images:ContainerImages", name, None, opts)
        settings = args.settings
        images = settings.images
        self.targets = image_targets(settings)
        self.repositories, self.repository_urls, self.image_uris = {}, {}, {}

        by_repository: dict[str, list[ImageTarget]] = {}
        for target in self.targets.values():
            by_repository.setdefault(target.repository_name, []).append(target)

        repositories: dict[str, aws.ecr.Repository] = {}
        for repository_name, targets in by_repository.items():
            logical = "images" if images.layout == "consolidated" else targets[0].service
            repository = aws.ecr.Repository(
                f"{logical}-repository",
                name=repository_name,
                image_tag_mutability="IMMUTABLE" if images.immutable_tags else "MUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")],
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.ecr.LifecyclePolicy(
                f"{logical}-lifecycle",
                repository=repository.name,
                policy=lifecycle_policy(images.keep_last, [t.tag_prefix for t in targets]),
                opts=pulumi.ResourceOptions(parent=self),
            )
            repositories[repository_name] = repository

        if images.mode == "build":
            token = aws.ecr.get_authorization_token_output()
            # Output.secret's stub widens the type; the value is the token's password, a string.
            registry_password = cast(pulumi.Output[str], pulumi.Output.secret(token.password))

        for service, target in self.targets.items():
            repository = repositories[target.repository_name]
            self.repositories[service] = repository
            self.repository_urls[service] = repository.repository_url
            if images.mode == "resolve":
                pushed = aws.ecr.get_image_output(repository_name=repository.name, image_tag=target.tag)
                self.image_uris[service] = pulumi.Output.concat(repository.repository_url, "@", pushed.image_digest)
                continue
            tagged = pulumi.Output.concat(repository.repository_url, ":", target.tag)
            registry = docker.RegistryArgs(
                server=repository.repository_url, username=token.user_name, password=registry_password
            )
            image = docker.Image(
                f"{service}-image",
                image_name=tagged,
                build=docker.DockerBuildArgs(
                    context=BUILD_CONTEXT,
                    dockerfile=dockerfile(service),
                    platform=images.platform,
                    builder_version=docker.BuilderVersion.BUILDER_BUILD_KIT,
                    # Inline cache metadata in the pushed image, so the next build can reuse its layers
                    # (cache_from only works with images that carry it).
                    args={"BUILDKIT_INLINE_CACHE": "1"},
                    # The image last pushed under this tag: dev's previous `latest`. A new prod version
                    # tag does not exist yet, so a prod build gets no registry cache (only the local one).
                    cache_from=docker.CacheFromArgs(images=[tagged]),
                ),
                build_on_preview=False,
                registry=registry,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.image_uris[service] = image.repo_digest

        self.register_outputs({"repository_urls": self.repository_urls, "image_uris": self.image_uris})
