"""The command line: ``python -m whisk [run] [OPTIONS] MODULE [ARGS...]``.

Spelled like ``wasmtime run``::

    python -m whisk examples/hello.wasm
    python -m whisk run --env NAME=value --env HOME --dir data::/data prog.wasm arg1 arg2
    python -m whisk run --invoke fib module.wasm 30

Exit status: the guest's ``proc_exit`` code (0 if ``_start`` returns); 134 after a trap (the
trap message and wasm backtrace go to stderr); 1 with a one-line ``error: ...`` when the
module cannot be read, decoded, validated or linked; 2 for a usage error.

Subcommands are registered in ``COMMANDS`` (``@command(...)``), so others (``wast``,
``validate``, ``inspect``) can be added next to ``run``; a first argument that is not a
subcommand name means ``run``.
"""

from __future__ import annotations

import argparse
import math
import os
import struct
import sys
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .errors import DecodeError, Exit, LinkError, Trap, ValidationError, WasmError

__all__ = ["main", "COMMANDS", "command", "CliError"]

#: Exit status after a trap (like a native process killed by SIGABRT, and like wasmtime).
TRAP_STATUS = 134
#: Exit status for errors about the module or the host (unreadable, malformed, unlinkable).
ERROR_STATUS = 1


class CliError(Exception):
    """A problem with the command line or module, reported as ``error: <message>``, status 1."""


@dataclass
class Command:
    """A subcommand: ``configure(parser)`` adds its arguments, ``handler(namespace)`` runs it
    and returns the exit status."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


#: Subcommands by name, in the order ``--help`` lists them.
COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Decorator registering ``handler(namespace) -> int`` as subcommand ``name``."""
    def register(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = Command(name, help, configure, handler)
        return handler
    return register


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per registered command."""
    parser = argparse.ArgumentParser(
        prog="whisk", description="whisk: a WebAssembly runtime for Python.",
        epilog="Without a COMMAND, 'run' is assumed: 'whisk prog.wasm' is 'whisk run prog.wasm'.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.configure(p)
        p.set_defaults(handler=cmd.handler)
    return parser


# --- run -------------------------------------------------------------------------------------------

def _configure_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--invoke", metavar="NAME",
                   help="call the export NAME with ARGS (parsed per its parameter types) and "
                        "print each result on its own line, instead of running _start")
    p.add_argument("--env", action="append", default=[], metavar="NAME[=VALUE]",
                   help="set an environment variable for the guest; NAME alone copies it from "
                        "the host environment (repeatable)")
    p.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                   help="preopen the host directory HOST as GUEST (default: the same path) "
                        "(repeatable)")
    p.add_argument("module", metavar="MODULE", help="the .wasm file")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="arguments for the guest (or for --invoke)")


def parse_env(items: Sequence[str], host: Any = None) -> dict[str, str]:
    """``--env`` values to a dict: ``NAME=VALUE`` sets, ``NAME`` copies the host's value (and is
    skipped if the host has none)."""
    host = os.environ if host is None else host
    env: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not name:
            raise CliError(f"invalid --env {item!r}: expected NAME[=VALUE]")
        if sep:
            env[name] = value
        elif name in host:
            env[name] = host[name]
    return env


def parse_dirs(items: Sequence[str]) -> dict[str, str]:
    """``--dir`` values to a ``{guest: host}`` preopen mapping: ``HOST::GUEST`` or ``HOST``
    (preopened under the same name)."""
    preopens: dict[str, str] = {}
    for item in items:
        host, sep, guest = item.partition("::")
        if not host or (sep and not guest):
            raise CliError(f"invalid --dir {item!r}: expected HOST[::GUEST]")
        preopens[guest if sep else host] = host
    return preopens


def parse_value(valtype: str, text: str) -> Any:
    """A command-line argument as a wasm value of ``valtype``: i32/i64 integers (decimal, or
    0x/0o/0b prefixed; unsigned spellings wrap to the signed value), f32/f64 floats (also
    ``nan``, ``inf``, hex floats)."""
    if valtype in ("i32", "i64"):
        bits = 32 if valtype == "i32" else 64
        try:
            value = int(text, 0)
        except ValueError:
            try:
                value = int(text, 10)       # leading zeros: "010"
            except ValueError:
                raise CliError(f"invalid {valtype} argument: {text!r}") from None
        if not -(1 << (bits - 1)) <= value < (1 << bits):
            raise CliError(f"{valtype} argument out of range: {text!r}")
        return value - (1 << bits) if value >= 1 << (bits - 1) else value
    if valtype in ("f32", "f64"):
        try:
            value = float.fromhex(text) if "0x" in text.lower() else float(text)
        except ValueError:
            raise CliError(f"invalid {valtype} argument: {text!r}") from None
        if valtype == "f32" and math.isfinite(value):
            try:
                value = struct.unpack("<f", struct.pack("<f", value))[0]
            except OverflowError:
                value = math.copysign(math.inf, value)
        return value
    raise CliError(f"cannot pass a {valtype} argument from the command line")


def format_value(valtype: str, value: Any) -> str:
    """A result for printing: integers in decimal, floats in the shortest form that reads back
    as the same f32/f64 (``nan``, ``inf``, ``-inf`` for the specials)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if valtype == "f32":
            for digits in range(1, 10):
                text = f"{value:.{digits}g}"
                if struct.unpack("<f", struct.pack("<f", float(text)))[0] == value:
                    return repr(float(text))
        return repr(value)
    return str(value)


def _exit_status(code: int) -> int:
    """A guest exit code as a host process status (POSIX keeps the low 8 bits)."""
    return code & 0xFFFFFFFF if os.name == "nt" else code & 0xFF


def _invoke(module_path: str, name: str, args: Sequence[str], env: dict[str, str],
            preopens: dict[str, str]) -> int:
    from .run import instantiate_wasi, load_module
    from .wasi import WasiConfig

    module, filename = load_module(module_path)
    instance, wasi = instantiate_wasi(
        module, WasiConfig(argv=(filename or module_path, *args), env=env, preopens=preopens))
    with wasi:
        exports = instance.exports
        try:
            func = exports[name]
        except (KeyError, LookupError):
            raise CliError(f"module has no export named {name!r}") from None
        functype = getattr(func, "type", None)
        if not callable(func) or not hasattr(functype, "params"):
            raise CliError(f"export {name!r} is not a function")
        params, results = tuple(functype.params), tuple(functype.results)
        if len(args) != len(params):
            raise CliError(f"export {name!r} takes {len(params)} argument(s) "
                           f"({' '.join(params) or 'none'}), got {len(args)}")
        values = [parse_value(t, a) for t, a in zip(params, args)]
        try:
            if name != "_initialize" and "_initialize" in exports:
                exports["_initialize"]()     # a WASI reactor's constructor
            out = func(*values)
        except Exit as exc:
            return exc.code
        if out is None:
            out = ()
        elif not isinstance(out, tuple):
            out = (out,)
        for valtype, value in zip(results, out):
            print(format_value(valtype, value))
        sys.stdout.flush()
    return 0


def _error_message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename is not None else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


@command("run", "Run a WASI command module (its _start), or call one export with --invoke.",
         _configure_run)
def cmd_run(ns: argparse.Namespace) -> int:
    """``whisk run``: the guest's exit status."""
    from .run import run

    env = parse_env(ns.env)
    preopens = parse_dirs(ns.dir)
    args = list(ns.args)
    if ns.invoke is not None:
        code = _invoke(ns.module, ns.invoke, args, env, preopens)
    else:
        code = run(ns.module, args, env=env, preopens=preopens)
    return _exit_status(code)


def _spectest():
    """The spec test runner (``spectest/`` at the repository root, next to ``src/``)."""
    try:
        import spectest.runner as runner
    except ImportError:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        if os.path.isdir(os.path.join(root, "spectest")):
            sys.path.insert(0, root)
        import spectest.runner as runner
    return runner


def _configure_wast(p: argparse.ArgumentParser) -> None:
    try:
        _spectest().add_arguments(p)
    except ImportError:
        p.add_argument("files", nargs="+")


@command("wast", "Run .wast spec test scripts and print passed/failed/skipped counts "
                 "(needs a source checkout and the test extras).", _configure_wast)
def cmd_wast(ns: argparse.Namespace) -> int:
    """``whisk wast FILE...``: 0 if every command passed, else 1."""
    try:
        runner = _spectest()
    except ImportError as exc:
        raise OSError(f"the spec test runner is not available: {exc}") from None
    return runner.run_from_args(ns)


# --- entry point ---------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        parser.print_usage(sys.stderr)
        print("whisk: error: a MODULE (or a COMMAND) is required", file=sys.stderr)
        return 2
    if argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        argv.insert(0, "run")
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exc:               # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return ns.handler(ns)
    except Trap as exc:
        sys.stdout.flush()
        print(str(exc), file=sys.stderr)
        sys.stderr.flush()
        return TRAP_STATUS
    except (CliError, DecodeError, ValidationError, LinkError, WasmError, OSError) as exc:
        sys.stdout.flush()
        print(f"error: {_error_message(exc)}", file=sys.stderr)
        return ERROR_STATUS
    except KeyboardInterrupt:
        return 130
