"""Container images: an ECR repository and a pulumi-docker build per service.

Every consumer gets `image_uris[service]`, the image by digest (`repository@sha256:...`): Lambda
resolves a tag once, at deploy, so only a digest makes a new image deploy and an unchanged one not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from components.settings import ROOT, SERVICES, StackSettings

HANDLERS_DIR = ROOT / "handlers"


@dataclass
class ContainerImagesArgs:
    settings: StackSettings


class ContainerImages(pulumi.ComponentResource):
    repositories: dict[str, aws.ecr.Repository]
    repository_urls: dict[str, pulumi.Output[str]]
    image_uris: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ContainerImagesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("creative-automation:images:ContainerImages", name, None, opts)
        settings = args.settings
        images = settings.images
        self.repositories, self.repository_urls, self.image_uris = {}, {}, {}

        token = aws.ecr.get_authorization_token_output()
        for service in SERVICES:
            repository = aws.ecr.Repository(
                f"{service}-repository",
                name=f"creative-automation-{settings.environment}-{service}",
                image_tag_mutability="IMMUTABLE" if images.immutable_tags else "MUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")],
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.ecr.LifecyclePolicy(
                f"{service}-lifecycle",
                repository=repository.name,
                policy=json.dumps({"rules": [{
                    "rulePriority": 1,
                    "description": f"keep the last {images.keep_last} images",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": images.keep_last},
                    "action": {"type": "expire"},
                }]}),
                opts=pulumi.ResourceOptions(parent=self),
            )
            image = docker.Image(
                f"{service}-image",
                image_name=repository.repository_url.apply(lambda url: f"{url}:{images.tag}"),
                build=docker.DockerBuildArgs(
                    context=str(HANDLERS_DIR),
                    dockerfile=str(HANDLERS_DIR / service.replace("-", "_") / "Dockerfile"),
                    platform=images.platform,
                    builder_version=docker.BuilderVersion.BUILDER_BUILD_KIT,
                    cache_from=docker.CacheFromArgs(images=[repository.repository_url.apply(lambda url: f"{url}:{images.tag}")]),
                ),
                build_on_preview=False,
                registry=docker.RegistryArgs(
                    server=repository.repository_url,
                    username=token.user_name,
                    password=pulumi.Output.secret(token.password),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.repositories[service] = repository
            self.repository_urls[service] = repository.repository_url
            self.image_uris[service] = image.repo_digest

        self.register_outputs({"repository_urls": self.repository_urls, "image_uris": self.image_uris})
