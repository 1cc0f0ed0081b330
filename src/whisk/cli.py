"""The command line: ``python -m whisk [run] [OPTIONS] MODULE [ARGS...]``.

Spelled like ``wasmtime run``::

    python -m whisk examples/hello.wasm
    python -m whisk run --env NAME=value --env HOME --dir data::/data prog.wasm arg1 arg2
    python -m whisk run --invoke fib module.wasm 30

Other subcommands::

    python -m whisk validate module.wasm          # "module.wasm: valid", or a one-line error
    python -m whisk validate --wasm2 module.wasm  # ... accepting WebAssembly 2.0 only
    python -m whisk inspect [--json] module.wasm  # imports, exports, memories, tables, globals...
    python -m whisk inspect --lowered [--func NAME|INDEX] module.wasm  # the lowered code
    python -m whisk wast test.wast                # spec test scripts (source checkout only)

MODULE may be a binary or WebAssembly text (``prog.wat``; told apart by content), which needs
the ``wat`` extra (``pip install 'whisk-wasm[wat]'``).

Exit status: the guest's ``proc_exit`` code (0 if ``_start`` returns); 134 after a trap (the
trap message and wasm backtrace go to stderr); 1 with a one-line ``error: ...`` when the
module cannot be read, decoded, validated or linked, or on an unexpected internal error; 2 for
a usage error. ``-v``/``--verbose`` (before or after the subcommand) adds the Python traceback
to any error.

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
import traceback
from .record import record
from typing import Any, Callable, Sequence

from .errors import DecodeError, Exit, Trap, ValidationError, WasmError
from .text import WatUnavailableError

__all__ = ["main", "COMMANDS", "command", "CliError"]

#: Exit status after a trap (like a native process killed by SIGABRT, and like wasmtime).
TRAP_STATUS = 134
#: Exit status for errors about the module or the host (unreadable, malformed, unlinkable).
ERROR_STATUS = 1


class CliError(Exception):
    """A problem with the command line or module, reported as ``error: <message>``, status 1."""


@record(frozen=False)
class Command:
    """A subcommand: ``configure(parser)`` adds its arguments, ``handler(namespace)`` runs it
    and returns the exit status."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


#: Subcommands by name, in the order ``--help`` lists them.
COMMANDS: dict[str, Command] = {}


Handler = Callable[[argparse.Namespace], int]


def command(name: str, help: str,
            configure: Callable[[argparse.ArgumentParser], None]) -> Callable[[Handler], Handler]:
    """Decorator registering ``handler(namespace) -> int`` as subcommand ``name``."""
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, help, configure, handler)
        return handler
    return register


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser with one subparser per registered command. With ``selected``, only
    that command's arguments are configured (``wast`` imports the spec test runner, which
    ``python -m whisk prog.wasm`` should not pay for at startup)."""
    parser = argparse.ArgumentParser(
        prog="whisk", description="whisk: a WebAssembly runtime for Python.",
        epilog="Without a COMMAND, 'run' is assumed: 'whisk prog.wasm' is 'whisk run prog.wasm'.")
    _add_verbose(parser)
    from . import __version__
    parser.add_argument("--version", action="version", version=f"whisk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if selected is None or selected == cmd.name:
            cmd.configure(p)
        _add_verbose(p)
        p.set_defaults(handler=cmd.handler)
    return parser


def _add_verbose(p: argparse.ArgumentParser) -> None:
    """``-v``/``--verbose``, unless the command defines its own (``wast`` does, same meaning)."""
    try:
        p.add_argument("-v", "--verbose", action="store_true",
                       help="show the Python traceback of an error")
    except argparse.ArgumentError:
        pass


def _parse_features(text: str) -> Any:
    from .features import Features

    try:
        return Features.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_features(p: argparse.ArgumentParser) -> None:
    """``--wasm2`` / ``--features LIST``: the WebAssembly features the module may use."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--wasm2", action="store_true",
                   help="accept WebAssembly 2.0 modules only (no 3.0 features)")
    g.add_argument("--features", type=_parse_features, metavar="LIST",
                   help="the features the module may use: an optional preset (all, wasm2), "
                        "then +NAME/-NAME, comma-separated, e.g. wasm2,+tail_call or "
                        "--features=-relaxed_simd; names: simd, relaxed_simd, exceptions, "
                        "legacy_exceptions, tail_call, function_references, multi_memory, "
                        "memory64, extended_const (default: all)")


def _features(ns: argparse.Namespace) -> Any:
    """The ``whisk.Features`` the options ask for, or None (all)."""
    if getattr(ns, "wasm2", False):
        from .features import Features

        return Features.wasm2()
    return getattr(ns, "features", None)


# --- run -------------------------------------------------------------------------------------------

def _configure_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--invoke", metavar="NAME",
                   help="call the export NAME with ARGS (parsed per its parameter types) and "
                        "print each result on its own line, instead of running _start "
                        "(a WASI reactor's _initialize, if exported, runs first)")
    p.add_argument("--env", action="append", default=[], metavar="NAME[=VALUE]",
                   help="set an environment variable for the guest; NAME alone copies it from "
                        "the host environment (repeatable)")
    p.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST[::ro]]",
                   help="preopen the host directory HOST as GUEST (default: the same path); "
                        "with ::ro the guest cannot change anything under it (repeatable)")
    p.add_argument("--fuel", type=int, metavar="N",
                   help="stop the guest with a trap after about N wasm instructions")
    p.add_argument("--timeout", type=parse_duration, metavar="DURATION",
                   help="stop the guest after DURATION (e.g. 2s, 500ms, 1.5; seconds by default)")
    _add_features(p)
    p.add_argument("--op-mix", action="store_true",
                   help="after the run, print the most dispatched ops and op pairs to stderr "
                        "(needs a profile build: WHISK_PROFILE=1, see docs/internals.md)")
    p.add_argument("--op-mix-top", type=int, default=25, metavar="N",
                   help="with --op-mix: how many ops and pairs to print (default 25)")
    p.add_argument("module", metavar="MODULE", help="the .wasm file (or .wat: WebAssembly text)")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="arguments for the guest (or for --invoke)")


def parse_duration(text: str) -> float:
    """``--timeout`` values in seconds: ``2``, ``1.5s``, ``500ms``, ``1m``."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0}
    for suffix in ("ms", "s", "m"):
        if text.endswith(suffix):
            number, scale = text[:-len(suffix)], units[suffix]
            break
    else:
        number, scale = text, 1.0
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (e.g. 2s, 500ms)") from None
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be positive")
    return value


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


def parse_dirs(items: Sequence[str]) -> dict[str, Any]:
    """``--dir`` values to a ``{guest: host}`` preopen mapping: ``HOST::GUEST`` or ``HOST``
    (preopened under the same name); ``HOST::GUEST::ro`` preopens it read-only (the value is
    then a ``whisk.wasi.Preopen``)."""
    from .wasi import Preopen

    preopens: dict[str, Any] = {}
    for item in items:
        host, sep, guest = item.partition("::")
        guest, ro_sep, mode = guest.partition("::")
        if not host or (sep and not guest) or (ro_sep and mode != "ro"):
            raise CliError(f"invalid --dir {item!r}: expected HOST[::GUEST[::ro]]")
        preopens[guest if sep else host] = Preopen(host, read_only=True) if ro_sep else host
    return preopens


def parse_value(valtype: str, text: str) -> Any:
    """A command-line argument as a wasm value of ``valtype``: i32/i64 integers (decimal, or
    0x/0o/0b prefixed; unsigned spellings wrap to the signed value), f32/f64 floats (also
    ``nan``, ``inf``, hex floats), v128 as one integer (negative values wrap to 128 bits), and
    ``null`` for funcref/externref."""
    if valtype == "v128":
        try:
            number = int(text, 0)
        except ValueError:
            raise CliError(f"invalid v128 argument: {text!r}") from None
        if not -(1 << 127) <= number < (1 << 128):
            raise CliError(f"v128 argument out of range: {text!r}")
        return number & ((1 << 128) - 1)
    if valtype in ("funcref", "externref"):
        if text != "null":
            raise CliError(f"a {valtype} argument can only be null, got {text!r}")
        return None
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
            fvalue = float.fromhex(text) if "0x" in text.lower() else float(text)
        except ValueError:
            raise CliError(f"invalid {valtype} argument: {text!r}") from None
        if valtype == "f32" and math.isfinite(fvalue):
            try:
                fvalue = struct.unpack("<f", struct.pack("<f", fvalue))[0]
            except OverflowError:
                fvalue = math.copysign(math.inf, fvalue)
        return fvalue
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
            preopens: dict[str, str], fuel: int | None = None, timeout: float | None = None,
            features: Any = None) -> int:
    from ._core.runtime import Store
    from .run import Deadline, call_initialize, instantiate_wasi, load_module
    from .wasi import WasiConfig

    module, filename = load_module(module_path, features)
    instance, wasi = instantiate_wasi(
        module, WasiConfig(argv=(filename or module_path, *args), env=env, preopens=preopens),
        Store(fuel=fuel))
    with wasi:
        exports = instance.exports
        try:
            func = exports[name]
        except (KeyError, LookupError):
            raise CliError(f"module has no export named {name!r}") from None
        functype = getattr(func, "type", None)
        if not callable(func) or functype is None or not hasattr(functype, "params"):
            raise CliError(f"export {name!r} is not a function")
        params, results = tuple(functype.params), tuple(functype.results)
        if len(args) != len(params):
            raise CliError(f"export {name!r} takes {len(params)} argument(s) "
                           f"({' '.join(params) or 'none'}), got {len(args)}")
        values = [parse_value(t, a) for t, a in zip(params, args)]
        deadline = Deadline(timeout)
        try:
            if name != "_initialize":
                call_initialize(instance, deadline)   # a WASI reactor's constructor first
            out = func(*values, timeout=deadline.next())
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


#: What an error's one-line message starts with, by kind (spec: assert_malformed, assert_invalid).
_KIND_PREFIX = ((DecodeError, "malformed module: "), (ValidationError, "invalid module: "))


def _error_message(exc: BaseException) -> str:
    """An exception as one line: ``path: strerror`` for OSError, else its message, prefixed
    ``malformed module:`` or ``invalid module:`` for decode and validation errors."""
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename is not None else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    prefix = next((p for cls, p in _KIND_PREFIX if isinstance(exc, cls)), "")
    return prefix + " ".join(text.split())


@command("run", "Run a WASI command module (its _start; a reactor's _initialize first if "
                "exported), or call one export with --invoke.",
         _configure_run)
def cmd_run(ns: argparse.Namespace) -> int:
    """``whisk run``: the guest's exit status."""
    from .run import run

    env = parse_env(ns.env)
    preopens = parse_dirs(ns.dir)
    args = list(ns.args)
    if ns.fuel is not None and ns.fuel < 0:
        raise CliError("--fuel must be >= 0")
    if ns.op_mix:
        from . import opmix

        if not opmix.available():
            raise CliError("--op-mix needs a profile build of the core "
                           "(WHISK_PROFILE=1 python setup.py build_ext --inplace --force)")
        opmix.reset()
    try:
        if ns.invoke is not None:
            code = _invoke(ns.module, ns.invoke, args, env, preopens, ns.fuel, ns.timeout,
                           _features(ns))
        else:
            code = run(ns.module, args, env=env, preopens=preopens, fuel=ns.fuel,
                       timeout=ns.timeout, features=_features(ns))
    except Trap:
        if ns.op_mix:                       # the mix up to the trap
            sys.stderr.write(opmix.report(ns.op_mix_top))
        raise
    if ns.op_mix:
        sys.stderr.write(opmix.report(ns.op_mix_top))
    return _exit_status(code)


def _spectest() -> Any:
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
    return int(runner.run_from_args(ns))


# --- validate and inspect ---------------------------------------------------------------------------

def _configure_module(p: argparse.ArgumentParser) -> None:
    _add_features(p)
    p.add_argument("module", metavar="MODULE", help="the .wasm file (or .wat: WebAssembly text)")


def _load(path: str, features: Any = None) -> Any:
    """``whisk.Module.from_file(path, features=features)`` with errors that say which file and
    what kind."""
    from . import Module

    try:
        return Module.from_file(path, features=features)
    except (DecodeError, ValidationError) as exc:
        raise CliError(f"{path}: {_error_message(exc)}") from exc


@command("validate", "Decode and validate a module: exit 0 if it is valid, else 1 with the "
                     "error (malformed or invalid).", _configure_module)
def cmd_validate(ns: argparse.Namespace) -> int:
    """``whisk validate MODULE``: prints ``MODULE: valid``."""
    _load(ns.module, _features(ns))
    print(f"{ns.module}: valid")
    return 0


def _configure_inspect(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--lowered", action="store_true",
                   help="print the lowered code (the core's instructions, with frame slots, "
                        "immediates and branch targets) instead of the interface")
    p.add_argument("--func", metavar="NAME|INDEX",
                   help="with --lowered: only this function (index, export name or name-section "
                        "name)")
    _configure_module(p)


@command("inspect", "Show a module's imports, exports, memories, tables, globals and custom "
                    "sections, or (--lowered) its lowered code.", _configure_inspect)
def cmd_inspect(ns: argparse.Namespace) -> int:
    """``whisk inspect [--json] MODULE``: the module's interface (see ``whisk.describe``);
    ``whisk inspect --lowered [--func NAME|INDEX] MODULE``: its lowered code (see
    ``whisk.disasm.listing``)."""
    import json

    from .describe import describe, format_text

    if ns.func is not None and not ns.lowered:
        raise CliError("--func needs --lowered")
    if ns.lowered:
        if ns.json:
            raise CliError("--json and --lowered cannot be combined")
        from . import disasm

        module = _load(ns.module, _features(ns))
        index = None
        if ns.func is not None:
            try:
                index = disasm.find_func(module, ns.func)
            except (LookupError, ValueError) as exc:
                raise CliError(f"{ns.module}: {exc}") from exc
        print(disasm.listing(module, index), end="")
        return 0
    summary = describe(_load(ns.module, _features(ns)))
    print(json.dumps(summary, indent=2) if ns.json else format_text(summary))
    return 0


# --- entry point ---------------------------------------------------------------------------------------

def _report(exc: BaseException, verbose: bool, internal: bool = False) -> None:
    """Print an error: one ``error: ...`` line, or the traceback too when ``verbose``."""
    sys.stdout.flush()
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, Trap):
        print(str(exc), file=sys.stderr)       # the message and the wasm backtrace
    else:
        prefix = f"internal error: {type(exc).__name__}: " if internal else ""
        print(f"error: {prefix}{_error_message(exc)}", file=sys.stderr)
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lead = 0                                 # leading -v/--verbose go before the command name
    while lead < len(argv) and argv[lead] in ("-v", "--verbose"):
        lead += 1
    if lead == len(argv):
        build_parser("run").print_usage(sys.stderr)
        print("whisk: error: a MODULE (or a COMMAND) is required", file=sys.stderr)
        return 2
    if argv[lead] not in COMMANDS and argv[lead] not in ("-h", "--help", "--version"):
        argv.insert(lead, "run")
    parser = build_parser(argv[lead] if argv[lead] in COMMANDS else "run")    # built once
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exc:               # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    verbose = bool(lead) or getattr(ns, "verbose", False)
    try:
        return int(ns.handler(ns))
    except Trap as exc:
        _report(exc, verbose)
        return TRAP_STATUS
    except (CliError, WasmError, OSError, WatUnavailableError) as exc:
        _report(exc, verbose)            # WatUnavailableError: text without the wat extra
        return ERROR_STATUS
    except KeyboardInterrupt:
        return 130
    except Exception as exc:                # a bug in whisk or a host function: still one line
        _report(exc, verbose, internal=True)
        return ERROR_STATUS
