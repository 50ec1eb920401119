"""What the release steps pass between them, checked once: an image repository, a digest, a commit, and the
image repository a GitHub repository pushes to. The patterns are `mlci.core.artifacts`'s, which the image
record is validated with too. Bad values are one line, exit 2."""

from __future__ import annotations

from mlci.core.artifacts import COMMIT, DIGEST, REPOSITORY
from mlci.core.errors import MlciError


class BadReference(MlciError):
    """An image repository, digest or commit that is not one (exit 2)."""


def check_repository(value: str, name: str = "repository") -> str:
    if not REPOSITORY.fullmatch(value):
        raise BadReference(f"{name} must be a lower-case HOST/PATH image repository, got {value[:80]!r}")
    return value


def check_digest(value: str, name: str = "digest") -> str:
    if not DIGEST.fullmatch(value):
        raise BadReference(f"{name} must be sha256:<64 hex digits>, got {value[:80]!r}")
    return value


def check_commit(value: str, name: str = "commit") -> str:
    if not COMMIT.fullmatch(value):
        raise BadReference(f"{name} must be a full 40-hex commit SHA, got {value[:80]!r}")
    return value


def image_name(registry: str, github_repository: str) -> str:
    """REGISTRY/OWNER/REPO in lower case, as registries require (GitHub keeps the owner's and repository's case)."""
    image = f"{registry}/{github_repository}".lower()
    if not REPOSITORY.fullmatch(image):
        raise BadReference(
            f"{image[:120]!r} is not a valid image repository "
            f"(registry {registry[:80]!r}, repository {github_repository[:80]!r})"
        )
    return image


def reference(repository: str, digest: str) -> str:
    """REPOSITORY@DIGEST: an image by its content, never by a tag that can move."""
    return f"{check_repository(repository)}@{check_digest(digest)}"
