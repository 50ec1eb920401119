"""`mlci records push|pull`: the release records attached to the image digest in the registry."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlci.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "records", help="attach the release records to the image digest in the registry, or read them back"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    push = actions.add_parser("push", help="attach records (image.json, governance.json, card, SBOM) to a digest")
    push.add_argument("--repository", required=True, help="image repository, e.g. ghcr.io/owner/repo")
    push.add_argument("--digest", required=True, help="the image's manifest digest, sha256:...")
    push.add_argument("files", nargs="+", type=Path, metavar="FILE", help="record files to attach")
    push.set_defaults(func=_push)

    pull = actions.add_parser("pull", help="write the records attached to an image into a folder")
    pull.add_argument("--repository", required=True, help="image repository, e.g. ghcr.io/owner/repo")
    which = pull.add_mutually_exclusive_group(required=True)
    which.add_argument("--digest", help="the image's manifest digest, sha256:...")
    which.add_argument("--tag", help="a tag of the image (e.g. the first 12 characters of its commit)")
    pull.add_argument("--out", type=Path, required=True, help="folder to write the records into")
    pull.set_defaults(func=_pull)


def _push(args: argparse.Namespace) -> int:
    from mlci.release import records

    pushed = records.push(args.repository, args.digest, args.files)
    how = f"listed under the referrers tag {pushed.fallback_tag}" if pushed.fallback_tag else "referrers API"
    print(f"{pushed.repository}@{pushed.digest} -> {pushed.subject} ({how})")
    return 0


def _pull(args: argparse.Namespace) -> int:
    from mlci.release import records

    reference = args.digest if args.digest is not None else args.tag
    if args.digest is not None:
        records.check_digest(args.digest)
    pulled = records.pull(args.repository, reference, args.out)
    names = ", ".join(p.name for p in pulled.files)
    print(f"{pulled.repository}@{pulled.subject}: records {pulled.digest} ({names})")
    return 0
