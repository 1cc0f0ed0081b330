"""Run WAST scripts against an engine adapter and report the outcome.

:func:`run_script` runs commands in this process; :func:`run_file` converts, reads and runs one
file (see :mod:`spectest.convert` and :mod:`spectest.script`); :func:`run_files` runs many
files, each in its own subprocess with an optional timeout (so a hang or crash in one script
cannot stop the run), up to ``jobs`` at a time, and yields the :class:`FileResult` of each in
input order.  :func:`main` is the command line (``python -m spectest``).

Counting: every command is one test, counted under its kind (see :mod:`spectest.script`) as
passed, failed or skipped.  Skips are only:

* ``assert_malformed`` of a text module (``module quote``): a text-format error, not the
  engine's job;
* ``assert_invalid`` (or another assertion) of a text module that the converter cannot encode
  (a text-format error);
* ``assert_malformed_custom``/``assert_invalid_custom``: custom-section annotations (the text
  format's ``@custom``/``@metadata`` syntax; custom section contents have no semantics);
* a module the converter cannot encode, forms this runner does not support, and commands that
  need such a module -- these are always listed with their reason.

Scripts follow the spec's ``interpreter/README.md`` ("Scripts"), with the reference
interpreter's meaning (``interpreter/script/runner.ml``): a module command defines a module and
an instance; ``module definition`` only a module, which ``module instance`` instantiates; a
name-less reference means the latest module or instance.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from . import script as S
from . import values as V
from .convert import ConvertError
from .engines import ENGINES, Failure, get_engine

__all__ = [
    "FileResult",
    "ScriptRunner",
    "run_script",
    "run_file",
    "run_files",
    "expand_paths",
    "report",
    "add_arguments",
    "run_from_args",
    "main",
    "KINDS",
]

KINDS = [
    "module", "module_definition", "module_instance", "register", "action", "assert_return",
    "assert_trap", "assert_exhaustion", "assert_exception", "assert_invalid", "assert_malformed",
    "assert_unlinkable", "assert_uninstantiable", "assert_malformed_custom",
    "assert_invalid_custom", "unsupported",
]

# skip categories; those in _LISTED are always printed one by one
SKIP_QUOTE = "assert_malformed on a text module (text-format error, not the engine's job)"
SKIP_TEXT_REJECTS = "text module the converter cannot encode (text-format error)"
SKIP_TEXT_CANNOT = "the converter cannot encode a module the test needs"
SKIP_DEPENDS = "needs a module that the converter could not encode"
SKIP_CUSTOM = "custom-section annotation (text format; custom sections have no semantics)"
SKIP_UNSUPPORTED = "unsupported script form"
_LISTED = {SKIP_TEXT_CANNOT, SKIP_UNSUPPORTED}

MAX_STORED_FAILURES = 500


@dataclass
class FileResult:
    path: str
    counts: Dict[str, List[int]] = field(default_factory=dict)  # kind -> [passed, failed, skipped]
    failures: List[Tuple[int, str, str]] = field(default_factory=list)  # (line, kind, reason)
    skips: List[Tuple[int, str, str, str]] = field(default_factory=list)  # (line, kind, category, detail)
    error: Optional[str] = None  # file-level problem: parse error, engine unavailable, timeout, crash
    elapsed: float = 0.0

    def _bump(self, kind: str, i: int) -> None:
        c = self.counts.get(kind)
        if c is None:
            c = self.counts[kind] = [0, 0, 0]
        c[i] += 1

    @property
    def passed(self) -> int:
        return sum(c[0] for c in self.counts.values())

    @property
    def failed(self) -> int:
        return sum(c[1] for c in self.counts.values()) + (1 if self.error else 0)

    @property
    def skipped(self) -> int:
        return sum(c[2] for c in self.counts.values())

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def to_dict(self) -> dict:
        return {"path": self.path, "counts": self.counts, "failures": self.failures,
                "skips": self.skips, "error": self.error, "elapsed": self.elapsed}

    @classmethod
    def from_dict(cls, d: dict) -> "FileResult":
        return cls(**d)

    def summary(self) -> str:
        name = os.path.basename(self.path)
        status = "ok  " if self.ok else "FAIL"
        s = f"{status} {name}: {self.passed} passed, {self.failed} failed, {self.skipped} skipped ({self.elapsed:.2f}s)"
        if self.error:
            s += f" -- {self.error}"
        return s


class _Missing:
    """Stands in for a module or instance that could not be made: ``skip`` (the converter could
    not encode it) or failed."""

    __slots__ = ("line", "skip", "reason")

    def __init__(self, line: int, skip: bool, reason: str):
        self.line = line
        self.skip = skip
        self.reason = reason


class _Outcome(Exception):
    """Internal: ends a command with a status."""

    def __init__(self, status: str, reason: str = "", category: str = ""):
        self.status = status
        self.reason = reason
        self.category = category


def _where(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    if not tb:
        return ""
    fr = tb[-1]
    return f" (at {os.path.basename(fr.filename)}:{fr.lineno} in {fr.name})"


def _short(text: str, n: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _kind_matches(want: str, got: str) -> bool:
    if want == got:
        return True
    if got == "compile" and want in ("malformed", "invalid"):
        return True
    if want == "uninstantiable" and got == "trap":
        return True
    return False


def _module_name(name: Optional[str]) -> str:
    return "" if name is None else name


class ScriptRunner:
    """Runs the commands of one script against one engine adapter, recording into ``result``.

    ``modules`` and ``instances`` map names to loaded modules and instances; the key ``""``
    is the latest one of each (the reference interpreter's ``bind``)."""

    def __init__(self, engine: Any, result: FileResult,
                 progress: Optional[Callable[[int, FileResult], None]] = None):
        self.engine = engine
        self.result = result
        self.progress = progress
        self.modules: Dict[str, Any] = {}
        self.instances: Dict[str, Any] = {}
        self.registry: Dict[str, Any] = {"spectest": engine.spectest()}

    # -- bookkeeping ------------------------------------------------------------------------

    def _record(self, cmd: Any, status: str, reason: str = "", category: str = "") -> None:
        r = self.result
        if status == "pass":
            r._bump(cmd.kind, 0)
        elif status == "fail":
            r._bump(cmd.kind, 1)
            if len(r.failures) < MAX_STORED_FAILURES:
                r.failures.append((cmd.line, cmd.kind, reason))
        else:
            r._bump(cmd.kind, 2)
            r.skips.append((cmd.line, cmd.kind, category, reason))

    def run(self, commands: Iterable[Any]) -> FileResult:
        for cmd in commands:
            if self.progress is not None:
                self.progress(cmd.line, self.result)
            handler = getattr(self, "_do_" + type(cmd).__name__)
            try:
                handler(cmd)
            except _Outcome as o:
                self._record(cmd, o.status, o.reason, o.category)
            except Failure as e:  # an unexpected failure escaping a handler
                self._record(cmd, "fail", f"unexpected {e.kind}: {_short(e.message)}")
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # engine bug (or runner bug): never stop the script
                self._record(cmd, "fail", f"engine error {type(e).__name__}: {_short(str(e))}{_where(e)}")
            else:
                self._record(cmd, "pass")
        return self.result

    # -- modules ----------------------------------------------------------------------------

    def _binary_or_skip(self, mod: S.ModuleDef, text_error_is_expected: bool) -> bytes:
        if mod.binary is not None:
            return mod.binary
        if text_error_is_expected:
            raise _Outcome("skip", "text module does not parse", SKIP_TEXT_REJECTS)
        raise _Outcome("skip", "text module does not parse", SKIP_TEXT_CANNOT)

    def _bind(self, table: Dict[str, Any], name: Optional[str], value: Any) -> None:
        table[""] = value
        if name is not None:
            table[name] = value

    def _load_module(self, cmd: S.ModuleDef) -> Any:
        """Load ``cmd`` and bind it as a module (also when it fails: as a :class:`_Missing`)."""
        if cmd.binary is None:
            reason = "the converter could not encode this text module"
            self._bind(self.modules, cmd.name, _Missing(cmd.line, True, reason))
            raise _Outcome("skip", reason, SKIP_TEXT_CANNOT)
        try:
            module = self.engine.load(cmd.binary)
        except Failure as e:
            reason = f"module failed: {e.kind}: {_short(e.message)}"
            self._bind(self.modules, cmd.name, _Missing(cmd.line, False, reason))
            raise _Outcome("fail", reason) from None
        except BaseException as e:
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            reason = f"module failed: engine error {type(e).__name__}: {_short(str(e))}{_where(e)}"
            self._bind(self.modules, cmd.name, _Missing(cmd.line, False, reason))
            raise _Outcome("fail", reason) from None
        self._bind(self.modules, cmd.name, module)
        return module

    def _instantiate(self, module: Any, name: Optional[str], line: int) -> None:
        """Instantiate ``module`` and bind the instance (a :class:`_Missing` if that fails)."""
        if isinstance(module, _Missing):
            self._bind(self.instances, name, module)
            if module.skip:
                raise _Outcome("skip", f"module at line {module.line}: {module.reason}", SKIP_DEPENDS)
            raise _Outcome("fail", f"module at line {module.line} is unavailable ({module.reason})")
        try:
            inst = self.engine.instantiate(module, self.registry)
        except Failure as e:
            reason = f"instantiation failed: {e.kind}: {_short(e.message)}"
            self._bind(self.instances, name, _Missing(line, False, reason))
            raise _Outcome("fail", reason) from None
        except BaseException as e:
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            reason = f"instantiation failed: engine error {type(e).__name__}: {_short(str(e))}{_where(e)}"
            self._bind(self.instances, name, _Missing(line, False, reason))
            raise _Outcome("fail", reason) from None
        self._bind(self.instances, name, inst)

    def _do_ModuleDef(self, cmd: S.ModuleDef) -> None:
        try:
            module = self._load_module(cmd)
        except _Outcome:
            self._bind(self.instances, cmd.name, self.modules[""])
            raise
        self._instantiate(module, cmd.name, cmd.line)

    def _do_ModuleDefinition(self, cmd: S.ModuleDefinition) -> None:
        self._load_module(cmd)

    def _do_ModuleInstance(self, cmd: S.ModuleInstance) -> None:
        key = _module_name(cmd.module)
        module = self.modules.get(key)
        if module is None:
            self._bind(self.instances, cmd.instance, _Missing(cmd.line, False, "no such module"))
            raise _Outcome("fail", f"unknown module {cmd.module}" if cmd.module else "no module defined")
        self._instantiate(module, cmd.instance, cmd.line)

    def _instance(self, name: Optional[str]) -> Any:
        inst = self.instances.get(_module_name(name))
        if inst is None:
            raise _Outcome("fail", f"unknown module {name}" if name else "no module defined before this command")
        if isinstance(inst, _Missing):
            if inst.skip:
                raise _Outcome("skip", f"module at line {inst.line}: {inst.reason}", SKIP_DEPENDS)
            raise _Outcome("fail", f"module at line {inst.line} is unavailable ({inst.reason})")
        return inst

    def _do_Register(self, cmd: S.Register) -> None:
        inst = self._instance(cmd.module)
        self.registry[cmd.as_name] = self.engine.exports(inst)

    # -- actions ----------------------------------------------------------------------------

    def _act(self, action: S.Action) -> List[V.Value]:
        inst = self._instance(action.module)
        if action.op == "invoke":
            return self.engine.invoke(inst, action.field, action.args)
        return [self.engine.get(inst, action.field)]

    def _do_ActionCommand(self, cmd: S.ActionCommand) -> None:
        try:
            self._act(cmd.action)
        except Failure as e:
            raise _Outcome("fail", f"{cmd.action}: {e.kind}: {_short(e.message)}") from None

    def _do_AssertReturn(self, cmd: S.AssertReturn) -> None:
        try:
            got = self._act(cmd.action)
        except Failure as e:
            raise _Outcome("fail", f"{cmd.action}: expected {_fmt_pats(cmd.expected)}, "
                                   f"got {e.kind}: {_short(e.message)}") from None
        exp = cmd.expected
        if len(got) != len(exp) or not all(p.matches(v) for p, v in zip(exp, got)):
            raise _Outcome("fail", f"{cmd.action}: expected {_fmt_pats(exp)}, "
                                   f"got [{', '.join(V.format_value(v) for v in got)}]")

    def _expect(self, cmd: Any, want: str, run: Callable[[], Any], what: str) -> None:
        message = getattr(cmd, "message", None)
        expected = f"{want} {message!r}" if message is not None else want
        try:
            out = run()
        except Failure as e:
            if not _kind_matches(want, e.kind):
                raise _Outcome("fail", f"{what}: expected {expected}, "
                                       f"got {e.kind}: {_short(e.message)}") from None
            if message is not None and self.engine.exact_messages and not e.message.startswith(message):
                raise _Outcome("fail", f"{what}: expected {expected}, "
                                       f"got {e.kind} message {_short(e.message)!r}") from None
            return
        got = ""
        if isinstance(out, list):
            got = f": [{', '.join(V.format_value(v) for v in out)}]"
        raise _Outcome("fail", f"{what}: expected {expected}, but it succeeded{got}")

    def _do_AssertTrap(self, cmd: S.AssertTrap) -> None:
        self._expect(cmd, "trap", lambda: self._act(cmd.action), str(cmd.action))

    def _do_AssertExhaustion(self, cmd: S.AssertExhaustion) -> None:
        self._expect(cmd, "exhaustion", lambda: self._act(cmd.action), str(cmd.action))

    def _do_AssertException(self, cmd: S.AssertException) -> None:
        self._expect(cmd, "exception", lambda: self._act(cmd.action), str(cmd.action))

    def _do_AssertMalformed(self, cmd: S.AssertMalformed) -> None:
        if cmd.module.form == "text":
            raise _Outcome("skip", cmd.message, SKIP_QUOTE)
        binary = self._binary_or_skip(cmd.module, text_error_is_expected=True)
        self._expect(cmd, "malformed", lambda: self.engine.load(binary), "module")

    def _do_AssertInvalid(self, cmd: S.AssertInvalid) -> None:
        binary = self._binary_or_skip(cmd.module, text_error_is_expected=True)
        self._expect(cmd, "invalid", lambda: self.engine.load(binary), "module")

    def _load_ok(self, binary: bytes) -> Any:
        try:
            return self.engine.load(binary)
        except Failure as e:
            raise _Outcome("fail", f"module failed to load: {e.kind}: {_short(e.message)}") from None

    def _do_AssertUnlinkable(self, cmd: S.AssertUnlinkable) -> None:
        binary = self._binary_or_skip(cmd.module, text_error_is_expected=False)
        module = self._load_ok(binary)
        self._expect(cmd, "unlinkable", lambda: self.engine.instantiate(module, self.registry), "module")

    def _do_AssertUninstantiable(self, cmd: S.AssertUninstantiable) -> None:
        binary = self._binary_or_skip(cmd.module, text_error_is_expected=False)
        module = self._load_ok(binary)
        self._expect(cmd, "uninstantiable", lambda: self.engine.instantiate(module, self.registry), "module")

    def _do_AssertMalformedCustom(self, cmd: S.AssertMalformedCustom) -> None:
        raise _Outcome("skip", cmd.message, SKIP_CUSTOM)

    def _do_AssertInvalidCustom(self, cmd: S.AssertInvalidCustom) -> None:
        raise _Outcome("skip", cmd.message, SKIP_CUSTOM)

    def _do_Unsupported(self, cmd: S.Unsupported) -> None:
        raise _Outcome("skip", cmd.reason, SKIP_UNSUPPORTED)


def _fmt_pats(pats: Sequence[Any]) -> str:
    return "[" + ", ".join(str(p) for p in pats) + "]"


def run_script(commands: Iterable[Any], engine: Any, path: str = "<script>",
               progress: Optional[Callable[[int, FileResult], None]] = None) -> FileResult:
    """Run already-read commands (:mod:`spectest.script`) against an engine adapter here."""
    result = FileResult(path)
    t0 = time.perf_counter()
    ScriptRunner(engine, result, progress).run(commands)
    result.elapsed = time.perf_counter() - t0
    return result


def run_file(path: str, engine_name: str = "whisk",
             progress: Optional[Callable[[int, FileResult], None]] = None) -> FileResult:
    """Convert, read and run one ``.wast`` file in this process."""
    t0 = time.perf_counter()
    result = FileResult(str(path))
    try:
        commands = S.load_script(path)
    except (OSError, ValueError, ConvertError) as e:
        result.error = f"cannot read script: {_short(str(e), 600)}"
        result.elapsed = time.perf_counter() - t0
        return result
    try:
        engine = get_engine(engine_name)
        if hasattr(engine, "configure_for"):
            engine.configure_for(str(path))
    except Exception as e:
        result.error = f"engine {engine_name!r} unavailable: {type(e).__name__}: {e}"
        result.elapsed = time.perf_counter() - t0
        return result
    try:
        ScriptRunner(engine, result, progress).run(commands)
    except Exception as e:  # e.g. the spectest host module could not be built
        result.error = f"runner stopped: {type(e).__name__}: {_short(str(e))}{_where(e)}"
    result.elapsed = time.perf_counter() - t0
    return result


# --------------------------------------------------------------------------------------------
# isolation: one subprocess per file


_STREAMED_FAILURES = 50  # failures a subprocess reports as they happen (kept if it hangs or dies)


def _child(path: str, engine_name: str, conn: Any, shared: Any) -> None:
    sent = 0

    def progress(line: int, r: FileResult) -> None:
        nonlocal sent
        shared[0] = line
        shared[1] = r.passed
        shared[2] = r.failed
        shared[3] = r.skipped
        if sent < len(r.failures) and sent < _STREAMED_FAILURES:
            for f in r.failures[sent:_STREAMED_FAILURES]:
                conn.send(("fail", f))
            sent = min(len(r.failures), _STREAMED_FAILURES)

    try:
        result = run_file(path, engine_name, progress)
        conn.send(("done", result.to_dict()))
    finally:
        conn.close()


def _mp_context():
    import multiprocessing as mp
    import threading

    if "fork" in mp.get_all_start_methods() and threading.active_count() == 1:
        return mp.get_context("fork")
    return mp.get_context("spawn")


def run_files(paths: Sequence[str], engine_name: str = "whisk", jobs: int = 1,
              timeout: Optional[float] = None, isolate: bool = True) -> Iterator[FileResult]:
    """Run files, yielding their results in input order.

    With ``isolate`` each file runs in its own subprocess (``jobs`` at a time); a file taking
    longer than ``timeout`` seconds is killed and reported (with the line it was at), and so is
    a subprocess that dies.  Without ``isolate`` files run here, one after the other.
    """
    if not isolate:
        for p in paths:
            yield run_file(p, engine_name)
        return
    from multiprocessing.connection import wait

    ctx = _mp_context()
    jobs = max(1, jobs)
    pending = list(enumerate(paths))
    pending.reverse()
    running: Dict[Any, Tuple[int, str, Any, Any, float]] = {}  # conn -> (index, path, proc, shared, start)
    streamed: Dict[Any, List[Tuple[int, str, str]]] = {}  # conn -> failures reported so far
    done: Dict[int, FileResult] = {}
    next_out = 0

    def finish(conn: Any, result: FileResult) -> None:
        idx, path, proc, shared, start = running.pop(conn)
        streamed.pop(conn, None)
        conn.close()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        done[idx] = result

    try:
        while pending or running:
            while pending and len(running) < jobs:
                idx, path = pending.pop()
                recv, send = ctx.Pipe(duplex=False)
                shared = ctx.RawArray("q", 4)
                proc = ctx.Process(target=_child, args=(str(path), engine_name, send, shared),
                                   name=f"spectest-{os.path.basename(str(path))}", daemon=True)
                proc.start()
                send.close()
                running[recv] = (idx, str(path), proc, shared, time.monotonic())
                streamed[recv] = []
            now = time.monotonic()
            wait_for = None
            if timeout:
                wait_for = max(0.0, min(s + timeout for (_, _, _, _, s) in running.values()) - now)
            ready = wait(list(running), timeout=wait_for)
            for conn in ready:
                idx, path, proc, shared, start = running[conn]
                try:
                    tag, payload = conn.recv()
                    if tag == "fail":
                        streamed[conn].append(payload)
                        continue
                    result = FileResult.from_dict(payload)
                except (EOFError, OSError):
                    proc.join(5)
                    result = FileResult(path, elapsed=time.monotonic() - start)
                    _partial(result, shared, streamed[conn])
                    result.error = (f"subprocess died (exit code {proc.exitcode}) "
                                    f"at line {shared[0]}")
                finish(conn, result)
            if timeout:
                now = time.monotonic()
                for conn, (idx, path, proc, shared, start) in list(running.items()):
                    if now - start >= timeout:
                        proc.kill()
                        proc.join()
                        result = FileResult(path, elapsed=now - start)
                        _partial(result, shared, streamed[conn])
                        result.error = f"timed out after {timeout:g}s at line {shared[0]}"
                        finish(conn, result)
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
    finally:
        for conn, (idx, path, proc, shared, start) in list(running.items()):
            proc.kill()
            proc.join()
            conn.close()


def _partial(result: FileResult, shared: Any, failures: List[Tuple[int, str, str]]) -> None:
    """What a lost subprocess had reached: its counts (under the pseudo-kind '(before the end)')
    and the failures it had reported."""
    result.counts["(before the end)"] = [int(shared[1]), int(shared[2]), int(shared[3])]
    result.failures = list(failures)


# --------------------------------------------------------------------------------------------
# command line


def expand_paths(items: Sequence[str]) -> List[str]:
    """Files as given; directories as their ``.wast`` files, subdirectories included, sorted."""
    out: List[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += sorted((str(x) for x in p.rglob("*.wast")),
                          key=lambda x: (os.path.dirname(x), x))
        else:
            out.append(item)
    return out


def _print_file(r: FileResult, verbose: bool, max_failures: int, out: Any) -> None:
    print(r.summary(), file=out)
    shown = r.failures if verbose else r.failures[:max_failures]
    for line, kind, reason in shown:
        print(f"    line {line}: {kind}: {reason}", file=out)
    nfail = sum(c[1] for c in r.counts.values())
    if nfail > len(shown):
        print(f"    ... {nfail - len(shown)} more failures" + ("" if verbose else " (use -v)"), file=out)
    for line, kind, category, detail in r.skips:
        if verbose or category in _LISTED:
            print(f"    skipped line {line}: {kind}: {category}: {detail}", file=out)
    if verbose and r.counts:
        for kind in sorted(r.counts, key=lambda k: KINDS.index(k) if k in KINDS else 99):
            p, f, s = r.counts[kind]
            print(f"      {kind:24} {p:6} passed {f:6} failed {s:6} skipped", file=out)


def _folder_table(folders: Dict[str, List[int]], out: Any) -> None:
    """Print passed/failed/skipped commands (and files) per folder, relative to their common root."""
    if not folders:
        return
    dirs = list(folders)
    root = os.path.commonpath(dirs) if len(dirs) > 1 else os.path.dirname(dirs[0])
    width = max(len("folder"), *(len(os.path.relpath(d, root)) for d in dirs)) + 2
    print("", file=out)
    print(f"folders under {root}:", file=out)
    print(f"{'folder':{width}} {'files':>6} {'failing':>7} {'passed':>8} "
          f"{'failed':>8} {'skipped':>8}", file=out)
    for d in sorted(dirs):
        files, bad, p, f, k = folders[d]
        print(f"{os.path.relpath(d, root):{width}} {files:6} {bad:7} {p:8} {f:8} {k:8}", file=out)


def report(results: Iterable[FileResult], verbose: bool = False, max_failures: int = 3,
           out: Any = None, by_folder: bool = False) -> Tuple[int, int, int]:
    """Print per-file lines as results arrive, then per-kind totals (and with ``by_folder``
    per-folder totals); return (passed, failed, skipped)."""
    out = out or sys.stdout
    t0 = time.perf_counter()
    folders: Dict[str, List[int]] = {}  # dir -> [files, files failing, passed, failed, skipped]
    totals: Dict[str, List[int]] = {}
    skip_cats: Counter = Counter()
    files = bad_files = 0
    for r in results:
        files += 1
        bad_files += not r.ok
        _print_file(r, verbose, max_failures, out)
        out.flush()
        fo = folders.setdefault(os.path.dirname(os.path.abspath(r.path)), [0, 0, 0, 0, 0])
        fo[0] += 1
        fo[1] += not r.ok
        fo[2] += r.passed
        fo[3] += r.failed
        fo[4] += r.skipped
        for kind, c in r.counts.items():
            t = totals.setdefault(kind, [0, 0, 0])
            for i in range(3):
                t[i] += c[i]
        if r.error:
            totals.setdefault("(file errors)", [0, 0, 0])[1] += 1
        for _, _, category, _ in r.skips:
            skip_cats[category] += 1
    print("", file=out)
    print(f"{'command kind':26} {'passed':>8} {'failed':>8} {'skipped':>8}", file=out)
    order = sorted(totals, key=lambda k: KINDS.index(k) if k in KINDS else 99)
    for kind in order:
        p, f, s = totals[kind]
        print(f"{kind:26} {p:8} {f:8} {s:8}", file=out)
    P = sum(t[0] for t in totals.values())
    F = sum(t[1] for t in totals.values())
    K = sum(t[2] for t in totals.values())
    if skip_cats:
        print("skipped:", file=out)
        for cat, n in skip_cats.most_common():
            print(f"  {n:6}  {cat}", file=out)
    if by_folder:
        _folder_table(folders, out)
    print(f"{files} files ({bad_files} with failures), {time.perf_counter() - t0:.1f}s", file=out)
    print(f"{P} passed, {F} failed, {K} skipped", file=out)
    return P, F, K


def add_arguments(ap: argparse.ArgumentParser, default_engine: str = "whisk") -> None:
    """Add the runner's options to ``ap`` (for embedding, e.g. as ``python -m whisk wast``)."""
    ap.add_argument("files", nargs="+", help=".wast files or directories of them")
    ap.add_argument("--engine", default=default_engine, choices=list(ENGINES))
    ap.add_argument("-v", "--verbose", action="store_true", help="list every failure and skip")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="files run in parallel (default: number of CPUs)")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds allowed per file (default 120; 0 = none)")
    ap.add_argument("--no-isolate", action="store_true",
                    help="run files in this process, one after another (no timeout)")
    ap.add_argument("--max-failures", type=int, default=3,
                    help="failures shown per file without -v (default 3)")
    ap.add_argument("--by-folder", action="store_true",
                    help="also print passed/failed/skipped commands per folder")


def run_from_args(args: argparse.Namespace) -> int:
    """Run with parsed :func:`add_arguments` options; exit status 0 if nothing failed, else 1."""
    paths = expand_paths(args.files)
    if not paths:
        print("no .wast files given", file=sys.stderr)
        return 2
    results = run_files(paths, args.engine, jobs=args.jobs, timeout=args.timeout or None,
                        isolate=not args.no_isolate)
    _, failed, _ = report(results, verbose=args.verbose, max_failures=args.max_failures,
                          by_folder=getattr(args, "by_folder", False))
    return 1 if failed else 0


def main(argv: Optional[Sequence[str]] = None, default_engine: str = "whisk",
         prog: str = "python -m spectest") -> int:
    """``python -m spectest FILES... [--engine whisk|wasmtime] [-v] [-j N] [--timeout S]``."""
    ap = argparse.ArgumentParser(prog=prog, description="Run WebAssembly spec test scripts (.wast).")
    add_arguments(ap, default_engine)
    return run_from_args(ap.parse_args(argv))
