"""creative-automation: the stack in one page. Settings in, components wired, outputs exported."""

import pulumi

from components import settings as stack_settings
from components.images import ContainerImages, ContainerImagesArgs

# Settings first: every config value is validated before any resource is declared.
settings = stack_settings.load()

images = ContainerImages("images", ContainerImagesArgs(settings=settings))

pulumi.export("environment", settings.environment)
pulumi.export("repository_urls", images.repository_urls)
pulumi.export("image_uris", images.image_uris)
