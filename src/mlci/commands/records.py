"""`mlci records image|push|pull|read|sample`: the records scripts and workflows read and write, so no script parses
JSON itself; most are the release records attached to the image digest in the registry."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlci.commands import Subparsers, github_output_flag


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "records",
        help="write the image record, attach the release records to the image digest in the registry, read them back",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    image = actions.add_parser(
        "image", help="write the image record (image.json: the pushed image's repository, digest and commit)"
    )
    image.add_argument("--repository", required=True, help="image repository, e.g. ghcr.io/owner/repo")
    image.add_argument("--digest", required=True, help="the pushed image's manifest digest, sha256:...")
    image.add_argument("--commit", required=True, help="the full 40-hex commit the image was built from")
    image.add_argument("--out", type=Path, required=True, help="folder to write image.json into")
    image.set_defaults(func=_image)

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

    read = actions.add_parser(
        "read",
        parents=[github_output_flag()],
        help="check pulled records are those of a commit's image; print it (step outputs image=, digest=)",
    )
    read.add_argument("folder", type=Path, metavar="DIR", help="the folder `mlci records pull` wrote")
    read.add_argument("--repository", required=True, help="image repository the records must name")
    read.add_argument("--commit", required=True, help="the full 40-hex commit being released")
    read.set_defaults(func=_read)

    sample = actions.add_parser(
        "sample",
        help="print the data.sample a run folder's model was trained on, as MLCI_SAMPLE spells it (ROWS:SEED), or off",
    )
    sample.add_argument("folder", type=Path, metavar="DIR", help="an artifacts folder of `mlci run`")
    sample.set_defaults(func=_sample)


def _image(args: argparse.Namespace) -> int:
    from mlci.release import records

    path = records.record_image(args.out, args.repository, args.digest, args.commit)
    print(f"{path}: {args.repository}@{args.digest} built from {args.commit}")
    return 0


def _push(args: argparse.Namespace) -> int:
    from mlci.release import records

    pushed = records.push(args.repository, args.digest, args.files)
    how = f"listed under the referrers tag {pushed.fallback_tag}" if pushed.fallback_tag else "referrers API"
    print(f"{pushed.repository}@{pushed.digest} -> {pushed.subject} ({how})")
    return 0


def _pull(args: argparse.Namespace) -> int:
    from mlci.release import records, refs

    reference = args.digest if args.digest is not None else args.tag
    if args.digest is not None:
        refs.check_digest(args.digest)
    pulled = records.pull(args.repository, reference, args.out)
    names = ", ".join(p.name for p in pulled.files)
    print(f"{pulled.repository}@{pulled.subject}: records {pulled.digest} ({names})")
    return 0


def _read(args: argparse.Namespace) -> int:
    from mlci.core.github_output import write_github_output
    from mlci.release import records

    record = records.read_release(args.folder, args.repository, args.commit)
    if args.github_output:
        write_github_output({"image": record.image, "digest": record.digest})
    print(f"{record.commit} -> {record.image}@{record.digest}")
    return 0


def _sample(args: argparse.Namespace) -> int:
    from mlci.data import sample

    print(sample.of_run_folder(args.folder))
    return 0
