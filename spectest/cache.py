"""wat2wasm with an on-disk cache.

Text modules are converted with ``wasmtime.wat2wasm``; results (and rejections, so that a rerun
does not retry them) are stored under ``$WHISK_WAT_CACHE`` or ``<repo>/.cache/wat2wasm/``, keyed
by the SHA-256 of the text and the wasmtime version.  Writes are atomic, so parallel runs can
share the directory.  wasmtime is only imported on a cache miss.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Dict, Optional

__all__ = ["WatError", "wat2wasm", "cache_dir"]

REPO_ROOT = Path(__file__).resolve().parent.parent
_MEMO: Dict[str, bytes | str] = {}
_VERSION: Optional[str] = None


class WatError(Exception):
    """wat2wasm rejected the text; the message is wat2wasm's."""


def cache_dir() -> Path:
    env = os.environ.get("WHISK_WAT_CACHE")
    return Path(env) if env else REPO_ROOT / ".cache" / "wat2wasm"


def _tool_version() -> str:
    global _VERSION
    if _VERSION is None:
        try:
            from importlib.metadata import version

            _VERSION = version("wasmtime")
        except Exception:  # pragma: no cover - metadata missing
            _VERSION = "unknown"
    return _VERSION


def _convert(text: str) -> bytes | str:
    """bytes on success, the error message (str) on rejection."""
    import wasmtime

    try:
        return bytes(wasmtime.wat2wasm(text.encode("utf-8", "surrogateescape")))
    except wasmtime.WasmtimeError as e:
        return str(e) or "wat2wasm failed"


def wat2wasm(text: str, use_cache: bool = True) -> bytes:
    """The binary of the text module ``text``; raises :class:`WatError` if wat2wasm rejects it."""
    key = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    result = _MEMO.get(key)
    if result is None:
        result = _lookup(key) if use_cache else None
        if result is None:
            result = _convert(text)
            if use_cache:
                _store(key, result)
        _MEMO[key] = result
    if isinstance(result, str):
        raise WatError(result)
    return result


def _paths(key: str) -> tuple[Path, Path]:
    d = cache_dir() / _tool_version() / key[:2]
    return d / (key + ".wasm"), d / (key + ".err")


def _lookup(key: str) -> bytes | str | None:
    ok, err = _paths(key)
    try:
        return ok.read_bytes()
    except OSError:
        pass
    try:
        return err.read_text("utf-8")
    except OSError:
        return None


def _store(key: str, result: bytes | str) -> None:
    ok, err = _paths(key)
    path = ok if isinstance(result, bytes) else err
    data = result if isinstance(result, bytes) else result.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass  # a read-only or full disk only costs speed
