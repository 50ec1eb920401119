"""`mlci image build|smoke|push|promote|name|ref`: the serving image from build to a promoted tag."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from mlci.commands import Subparsers, common_flags, github_output_flag
from mlci.config import load_params
from mlci.core import artifacts as files
from mlci.core.github_output import write_github_output

NO_RUN = "run `mlci run` before building the image"


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "image", help="build, smoke-test, push and promote the serving image; name it and its digest"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    build = actions.add_parser(
        "build", parents=common_flags(), help="docker build with BuildKit; prints the image reference"
    )
    build.add_argument("--tag", help="image reference (default: image.name:<commit>)")
    build.add_argument(
        "--ca-bundle",
        type=Path,
        default=os.environ.get("MLCI_CA_BUNDLE"),
        help="CA file passed as the `ca_bundle` secret",
    )
    build.set_defaults(func=_build)

    smoke = actions.add_parser(
        "smoke", parents=common_flags(), help="run the image and compare its answers with the offline predictions"
    )
    smoke.add_argument("image", help="local image reference")
    smoke.set_defaults(func=_smoke)

    push = actions.add_parser(
        "push",
        parents=[*common_flags(), github_output_flag()],
        help="push a governed local image to the registry, tagged by commit; the step output is digest=",
    )
    push.add_argument("image", help="local image reference")
    push.add_argument("--repository", help="registry repository (default: image.registry)")
    push.add_argument("--tag", help="tag to push (default: the image's revision label)")
    push.set_defaults(func=_push)

    promote = actions.add_parser(
        "promote", parents=common_flags(), help="move a tag onto an existing, governed digest (never rebuilds)"
    )
    promote.add_argument("--digest", required=True, help="sha256:... already in the repository")
    promote.add_argument("--to", required=True, dest="tag", help="tag to move, e.g. staging or production")
    promote.add_argument("--repository", help="registry repository (default: image.registry)")
    promote.set_defaults(func=_promote)

    name = actions.add_parser(
        "name",
        parents=[github_output_flag()],
        help="the image repository of a GitHub repository, REGISTRY/OWNER/REPO in lower case; the step output is image=",
    )
    name.add_argument("--registry", default="ghcr.io", help="registry host[:port] (default: ghcr.io)")
    name.add_argument(
        "--repository", required=True, metavar="OWNER/REPO", help="the GitHub repository ($GITHUB_REPOSITORY)"
    )
    name.set_defaults(func=_name)

    ref = actions.add_parser(
        "ref", help="print REPOSITORY@DIGEST once both are checked: what is signed and verified, never a tag"
    )
    ref.add_argument("--repository", required=True, help="image repository, e.g. ghcr.io/owner/repo")
    ref.add_argument("--digest", required=True, help="the image's manifest digest, sha256:...")
    ref.set_defaults(func=_ref)


def _build(args: argparse.Namespace) -> int:
    from mlci.core.progress import StageTimer
    from mlci.release import image

    params = load_params(args.params)
    run = files.read_run(args.artifacts, NO_RUN)
    revision = run.commit
    spec = image.BuildSpec(
        tag=args.tag or image.default_tag(params.image.name, revision),
        revision=revision,
        source=_source(),
        model_sha256=run.model.sha256,
        ca_bundle=args.ca_bundle,
    )
    with StageTimer().stage("image build", spec.tag):
        image_id = image.build(spec, params.root, args.artifacts)
    print(f"{spec.tag} {image_id}")
    return 0


def _source() -> str:
    server, repository = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    return f"{server}/{repository}" if server and repository else "unknown"


def _smoke(args: argparse.Namespace) -> int:
    from mlci.release.smoke import run_smoke

    report = run_smoke(args.image, load_params(args.params), args.artifacts)
    codes = ", ".join(f"{name} {status}" for name, status in report.bad_payloads.items())
    print(
        f"{report.image}: {report.size_mb:.0f} MB, user {report.user}, ready in {report.ready_seconds:.2f}s, "
        f"{report.rows} holdout rows identical to predictions.csv; bad payloads: {codes}"
    )
    return 0


def _push(args: argparse.Namespace) -> int:
    from mlci.release import image

    params = load_params(args.params)
    repository = args.repository or params.image.registry
    tag = args.tag or image.short_revision(files.read_run(args.artifacts, NO_RUN).commit)
    moved = image.push(args.image, f"{repository}:{tag}", args.artifacts / files.GOVERNANCE)
    if args.github_output:
        write_github_output({"digest": moved.digest})
    print(f"{moved.reference} {moved.digest}")
    return 0


def _promote(args: argparse.Namespace) -> int:
    from mlci.release import image

    params = load_params(args.params)
    registry = image.Registry(args.repository or params.image.registry)
    moved = image.promote(registry, args.digest, args.tag, args.artifacts / files.GOVERNANCE)
    before = f" (was {moved.previous})" if moved.previous and moved.previous != moved.digest else ""
    print(f"{moved.reference} -> {moved.digest}{before}")
    return 0


def _name(args: argparse.Namespace) -> int:
    from mlci.release import refs

    image = refs.image_name(args.registry, args.repository)
    if args.github_output:
        write_github_output({"image": image})
    print(image)
    return 0


def _ref(args: argparse.Namespace) -> int:
    from mlci.release import refs

    print(refs.reference(args.repository, args.digest))
    return 0
