"""`python -m mlci.serve`: the container's entry point, same as `mlci serve`."""

import sys

from mlci.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
