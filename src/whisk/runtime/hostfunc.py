"""Python callables as function imports: ``host_func`` wraps one as a ``whisk.Func`` of the
declared type, checking its annotations (``whisk.i32`` ...) and giving it a ``Caller`` if its
first parameter asks for one (spec 4.5.2, import matching, for host functions).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._core.runtime import Func
from ..errors import LinkError
from ..types import FuncType
from .caller import Caller
from .valtypes import host_signature

__all__ = ["host_func"]


def host_func(fn: Callable[..., Any], want: FuncType, where: str) -> tuple[Func, Caller | None]:
    """Wrap a Python callable as the function import ``where`` of type ``want``: a Func, and
    the Caller to bind once the instance exists (None unless ``fn`` takes one). Raises
    LinkError if ``fn``'s annotations declare another type, TypeError if they are partial."""
    sig = host_signature(fn)
    if sig.type is not None and sig.type != want:
        raise LinkError(f"incompatible import type for {where}: expected {want!r}, "
                        f"given func {sig.type}")
    if not sig.wants_caller:
        return Func(want, fn), None
    caller = Caller()
    return Func(want, functools.partial(fn, caller)), caller
