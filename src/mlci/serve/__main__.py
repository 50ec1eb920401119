"""`python -m mlci.serve`: the container's entry point, same as `mlci serve`.

It builds only the serve command's parser, so starting a container imports neither the CLI nor the other
stages (checks, reports, governance).
"""

import argparse
import sys

from mlci.core.errors import exit_code_of
from mlci.serve import server

parser = argparse.ArgumentParser(prog="mlci serve", description=server.DESCRIPTION)
server.add_arguments(parser)
args = parser.parse_args()
sys.exit(exit_code_of(lambda: server.serve(args.artifacts)))
