"""The tags every Batch job-definition revision carries: which worker image it runs, by tag and by digest.

The stack sets them on the revision `pulumi up` registers; the dev image-push updater on each revision it registers.
A pinned stack (prod) keeps every released revision ACTIVE, so its ACTIVE revisions are the versions it released,
and a re-render names one of them by its tag (rollback = naming an older version).
"""

IMAGE_TAG_TAG = "creative-automation:image-tag"
IMAGE_DIGEST_TAG = "creative-automation:image-digest"


def image_digest(image_uri: str) -> str:
    """The digest of an image referenced by digest (`<repository>@sha256:...`)."""
    repository, separator, digest = image_uri.partition("@")
    if not separator or not digest.startswith("sha256:"):
        raise ValueError(f"image {image_uri[:200]!r} is not referenced by digest (<repository>@sha256:...)")
    return digest
