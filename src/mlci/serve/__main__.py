"""`python -m mlci.serve`: the container's entry point, same as `mlci serve`.

Only the serve command is registered, so starting a container does not import checks, reports and the rest.
"""

import sys

from mlci.cli import main
from mlci.commands import serve

sys.exit(main(["serve", *sys.argv[1:]], commands=(serve,)))
