"""Build the Cython core (src/whisk/_core). Metadata lives in pyproject.toml."""

import os
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

# Compiler directives for the whole core, set in one place (see RATIONALE.md).
DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
    "nonecheck": False,
    "embedsignature": True,
    "freethreading_compatible": True,
}

# Wheels ship stripped extensions (issue 14: 2.4 MB of symbols and debug info in a 0.4 MB
# runtime); WHISK_DEBUG=1 keeps them for a debugger or a profiler.
extra_link_args: list[str] = []
if sys.platform == "win32":
    extra_compile_args = ["/O2"]
else:
    extra_compile_args = ["-O2", "-fno-strict-aliasing"]
    if os.environ.get("WHISK_WERROR"):
        extra_compile_args += ["-Wall", "-Wextra", "-Werror"]
    if not os.environ.get("WHISK_DEBUG"):
        extra_compile_args += ["-g0"]
        # GNU ld and lld: strip all symbols; Apple's ld: strip debug symbols (-s is obsolete)
        extra_link_args += ["-Wl,-S"] if sys.platform == "darwin" else ["-s"]

# WHISK_PROFILE=1: a profile build, whose dispatch loop counts the ops it dispatches (the
# dynamic instruction mix, read by whisk._core.runtime.op_counts; opprofile.h). The generated C
# is the same either way, so switching needs build_ext --force.
define_macros = [("WHISK_PROFILE", "1")] if os.environ.get("WHISK_PROFILE") == "1" else []

CORE = os.path.join("src", "whisk", "_core")
extensions = [
    Extension(f"whisk._core.{name}", [os.path.join(CORE, f"{name}.pyx")],
              include_dirs=[CORE], extra_compile_args=extra_compile_args,
              extra_link_args=extra_link_args, define_macros=define_macros)
    for name in ("lower", "runtime")
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=DIRECTIVES,
                          include_path=["src"], annotate=bool(os.environ.get("WHISK_ANNOTATE"))),
)
