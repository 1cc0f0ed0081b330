"""``python -m whisk``: the command line (see ``whisk.cli``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
