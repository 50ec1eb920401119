"""The recorders' client side: send argv to the fake GitHub (MLCI_FAKE_API), print its answer, copy any files it
names (gh run download), and exit with its status."""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.request
from pathlib import Path


def main(tool: str) -> None:
    data = json.dumps({"argv": sys.argv[1:]}).encode("utf-8")
    request = urllib.request.Request(
        f"{os.environ['MLCI_FAKE_API']}/_fake/{tool}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read().decode("utf-8"))
    if answer.get("copy"):
        source, dest = answer["copy"]
        Path(dest).mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, dest, dirs_exist_ok=True)
    sys.stdout.write(answer["stdout"])
    sys.stderr.write(answer["stderr"])
    sys.exit(answer["exit"])
