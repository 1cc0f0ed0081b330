"""``python -m spectest FILES... [--engine whisk|wasmtime] [-v] [-j N] [--timeout S]``."""

import sys

from .runner import main

if __name__ == "__main__":
    sys.exit(main())
