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

if sys.platform == "win32":
    extra_compile_args = ["/O2"]
else:
    extra_compile_args = ["-O2", "-fno-strict-aliasing"]
    if os.environ.get("WHISK_WERROR"):
        extra_compile_args += ["-Wall", "-Wextra", "-Werror"]

CORE = os.path.join("src", "whisk", "_core")
extensions = [
    Extension(f"whisk._core.{name}", [os.path.join(CORE, f"{name}.pyx")],
              include_dirs=[CORE], extra_compile_args=extra_compile_args)
    for name in ("lower", "runtime")
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=DIRECTIVES,
                          include_path=["src"], annotate=bool(os.environ.get("WHISK_ANNOTATE"))),
)
