"""The local registry (127.0.0.1:5000, started by .ci/run) as the scenarios that push read it: a tag's digest, the
records attached to an image, and copies of an image to another commit's tag."""

from __future__ import annotations

import json
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from core import REPO, ROOT, ScenarioError, last_line, run_tool

REGISTRY = "127.0.0.1:5000"
IMAGE = f"{REGISTRY}/{REPO}"
RECORDS = ["governance.json", "image.json", "model_card.md", "sbom.spdx.json"]
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def digest(repository: str, reference: str) -> str | None:
    """The digest a tag of the local registry points at, or None when it has none (or the registry is down)."""
    host, name = repository.split("/", 1)
    request = urllib.request.Request(f"http://{host}/v2/{name}/manifests/{reference}", method="HEAD")
    request.add_header("Accept", MANIFEST_TYPES)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            found = response.headers.get("Docker-Content-Digest")
            return str(found) if found else None
    except (urllib.error.URLError, OSError):
        return None


def mlci(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "mlci"), *args], check=False, capture_output=True, text=True)


def pull_records(tag: str, out: Path) -> tuple[list[str], str]:
    """`mlci records pull` of IMAGE:tag into `out`: the file names it wrote, and its error line ('' on success)."""
    done = mlci("records", "pull", "--repository", IMAGE, "--tag", tag, "--out", str(out))
    names = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    return names, "" if done.returncode == 0 else last_line(done.stderr)


def has_records(tag: str) -> bool:
    with tempfile.TemporaryDirectory() as out:
        return not pull_records(tag, Path(out))[1]


def copy_image(source: str, target: str, other_format: bool) -> str:
    """Copy a registry image to another tag; `other_format`: converted between OCI and Docker v2 manifests, so the
    same image gets another digest (an older commit's build). The digest the target tag points at."""
    flags = ["--src-tls-verify=false", "--dest-tls-verify=false"]
    if other_format:
        raw = run_tool(
            f"reading {source}'s manifest", ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{source}"]
        ).stdout
        try:
            media = json.loads(raw).get("mediaType", "application/vnd.oci.image")
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ScenarioError(f"{source}'s manifest is not a JSON object") from exc
        flags += ["--format", "v2s2" if "application/vnd.oci.image" in str(media) else "oci"]
    else:
        flags.append("--preserve-digests")
    run_tool(
        f"copying {source} to {target}",
        ["skopeo", "copy", "--quiet", *flags, f"docker://{source}", f"docker://{target}"],
    )
    found = digest(*target.rsplit(":", 1))
    if found is None:
        raise ScenarioError(f"{target} was not copied")
    return found
