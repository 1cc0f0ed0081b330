"""Puts tools/fuzz on sys.path so the tests can import the fuzzers (they are scripts, not part
of the whisk package)."""

from __future__ import annotations

import os
import sys

TOOLS_FUZZ = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "tools", "fuzz")
if TOOLS_FUZZ not in sys.path:
    sys.path.insert(0, TOOLS_FUZZ)
