"""Function bodies decoded in file order, as the spec's reference decoder reads them (spec 5.5.13).

whisk slices bodies while decoding and decodes them later, fused with validation, in the core.
When loading fails, the error to report is the first malformation in file order, and a body's
instructions may run past its declared size (then "section size mismatch"). This slow path,
run only after a failure, finds that first error with the generic instruction decoder.
"""

from __future__ import annotations

from ..errors import DecodeError
from ..features import Features
from ..structure import Code
from .reader import Reader
from .sections import decode_expr, decode_module

__all__ = ["first_decode_error"]


def first_decode_error(data: bytes, features: Features | None = None) -> DecodeError | None:
    """The first DecodeError in file order, decoding every function body as it is met, or None
    if the whole module, bodies included, decodes (with ``features``, default all)."""

    def _decode_body(data: bytes, code: Code) -> None:
        r = Reader(data, code.offset, features=features)
        decode_expr(r)
        if r.pos != code.offset + len(code.body):
            raise DecodeError("section size mismatch", r.pos)

    try:
        decode_module(data, on_body=_decode_body, features=features)
    except DecodeError as e:
        return e
    return None
