"""The binary decoder (spec 5, binary format): ``decode_module(bytes) -> ModuleStruct``.

Function bodies are kept as bytes for the core; everything else, including constant
expressions, is decoded here. Malformed input raises :class:`whisk.errors.DecodeError`.
"""

from __future__ import annotations

from .reader import Reader
from .sections import decode_expr, decode_module

__all__ = ["decode_module", "decode_expr", "Reader"]
