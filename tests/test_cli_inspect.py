"""``python -m whisk validate`` and ``inspect``, and the CLI's uniform error reporting
(one ``error:`` line, the Python traceback only with -v/--verbose)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import whisk
from whisk import cli
from whisk.describe import describe, type_text

from test_cli import HELLO, one_line_error, whisk_cmd

# Assembled with wasmtime.wat2wasm from:
# (module
#   (import "env" "log" (func (param i32 i32)))
#   (import "env" "table" (table 1 funcref))
#   (import "env" "g" (global (mut i64)))
#   (memory (export "memory") 1 2)
#   (global (export "answer") i32 (i32.const 42))
#   (func (export "f") (param i32) (result i32) local.get 0)
#   (@custom "meta" "hello"))
KINDS = bytes.fromhex(
    "0061736d01000000010b0260027f7f0060017f017f02220303656e76036c6f67000003656e76057461626c650170"
    "000103656e760167037e01030201010504010101020606017f00412a0b071703066d656d6f7279020006616e7377"
    "65720301016600010a0601040020000b000a046d65746168656c6c6f")
# (module (func (result i32) i64.const 1))  -- well-formed, but a type mismatch
INVALID = bytes.fromhex("0061736d010000000105016000017f030201000a0601040042010b")
MALFORMED = b"\0asm\x02\0\0\0"                                   # unknown binary version


@pytest.fixture
def path(tmp_path):
    """``path(data)`` writes a module to tmp_path and returns its path as a string."""
    def write(data, name="m.wasm"):
        p = tmp_path / name
        p.write_bytes(data)
        return str(p)
    return write


def test_kinds_module_is_valid():
    whisk.Module(KINDS)


# --- validate --------------------------------------------------------------------------------------

def test_validate_valid(capsys):
    assert cli.main(["validate", HELLO]) == 0
    assert capsys.readouterr() == (f"{HELLO}: valid\n", "")


@pytest.mark.parametrize("data,kind,message", [
    (MALFORMED, "malformed module", "unknown binary version"),
    (INVALID, "invalid module", "type mismatch"),
])
def test_validate_errors_name_the_kind(path, capsys, data, kind, message):
    p = path(data)
    assert cli.main(["validate", p]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert one_line_error(err).startswith(f"error: {p}: {kind}: {message}")


def test_validate_missing_file(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nope.wasm")]) == 1
    assert "nope.wasm" in one_line_error(capsys.readouterr().err)


def test_validate_in_a_subprocess(path):
    assert whisk_cmd("validate", HELLO) == (0, f"{HELLO}: valid\n", "")
    status, out, err = whisk_cmd("validate", path(INVALID))
    assert (status, out) == (1, "")
    assert "invalid module: type mismatch" in one_line_error(err)


# --- inspect ---------------------------------------------------------------------------------------

def test_describe():
    d = describe(whisk.Module(KINDS))
    assert d["imports"] == [
        {"module": "env", "name": "log", "type": {"kind": "func", "params": ["i32", "i32"],
                                                  "results": []}},
        {"module": "env", "name": "table",
         "type": {"kind": "table", "elem": "funcref", "min": 1, "max": None}},
        {"module": "env", "name": "g", "type": {"kind": "global", "valtype": "i64",
                                                "mutable": True}},
    ]
    assert [(e["name"], e["type"]["kind"]) for e in d["exports"]] == [
        ("memory", "memory"), ("answer", "global"), ("f", "func")]
    assert d["functions"] == {"imported": 1, "defined": 1}
    assert d["memories"] == [{"index": 0, "imported": False, "kind": "memory", "min": 1, "max": 2}]
    assert d["tables"] == [{"index": 0, "imported": True, "kind": "table", "elem": "funcref",
                            "min": 1, "max": None}]
    assert d["globals"] == [
        {"index": 0, "imported": True, "kind": "global", "valtype": "i64", "mutable": True},
        {"index": 1, "imported": False, "kind": "global", "valtype": "i32", "mutable": False,
         "init": "i32.const 42"}]
    assert d["start"] is None
    assert d["custom_sections"] == [{"name": "meta", "size": 5}]


def test_inspect_text(path, capsys):
    assert cli.main(["inspect", path(KINDS)]) == 0
    out = capsys.readouterr().out
    for line in ("imports (3):", "  env.log: func [i32 i32] -> []",
                 "  env.table: table funcref 1..", "  env.g: global mut i64",
                 "exports (3):", "  memory: memory 1..2", "  answer: global i32",
                 "  f: func [i32] -> [i32]", "functions: 1 imported, 1 defined",
                 "  0: memory 1..2", "  0: table funcref 1.. (imported)",
                 "  1: global i32 = i32.const 42", "custom sections (1):", "  'meta': 5 bytes"):
        assert line in out.splitlines(), line


def test_inspect_empty_sections_say_none(path, capsys):
    assert cli.main(["inspect", path(b"\0asm\x01\0\0\0")]) == 0
    out = capsys.readouterr().out
    assert "imports: none" in out and "custom sections: none" in out


def test_inspect_json_subprocess(path):
    status, out, err = whisk_cmd("inspect", "--json", path(KINDS))
    assert (status, err) == (0, "")
    assert json.loads(out) == describe(whisk.Module(KINDS))


def test_inspect_json_of_an_example(capsys):
    assert cli.main(["inspect", HELLO, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"module": "wasi_snapshot_preview1", "name": "proc_exit",
            "type": {"kind": "func", "params": ["i32"], "results": []}} in d["imports"]
    assert "_start" in [e["name"] for e in d["exports"]]


def test_inspect_malformed(path, capsys):
    assert cli.main(["inspect", path(MALFORMED)]) == 1
    assert "malformed module" in one_line_error(capsys.readouterr().err)


COLLATZ = str(Path(__file__).resolve().parent.parent / "examples" / "collatz.wasm")


def test_inspect_lowered(capsys):
    """--lowered lists the core's instructions of each function (whisk.disasm.listing)."""
    assert cli.main(["inspect", "--lowered", COLLATZ]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith("func[0] steps: params=1 results=1 locals=2 slots=")
    # n <= 1 ends the loop: a fused compare-and-branch with an immediate, to the return of
    # the count (return1: copy it to the result slot and return)
    m = re.match(r" +0: br_i64_le_u_ri +a=0 imm=1 -> (\d+)$", lines[1])
    assert m and any(re.match(rf" +{m.group(1)}: return1 +a=1$", line) for line in lines)
    assert re.search(r": br_back +-> 0 cost=\d+$", out, re.M)
    assert lines[-1].split()[1:] == ["return1", "a=1"]


@pytest.mark.parametrize("spec", ["steps", "0"])
def test_inspect_lowered_one_function(capsys, spec):
    assert cli.main(["inspect", "--lowered", "--func", spec, COLLATZ]) == 0
    assert capsys.readouterr().out.startswith("func[0] steps:")


@pytest.mark.parametrize("argv,message", [
    (["--lowered", "--func", "nope"], "no function named 'nope'"),
    (["--lowered", "--func", "1"], "function index 1 out of range (1 functions)"),
    (["--func", "0"], "--func needs --lowered"),
    (["--lowered", "--json"], "--json and --lowered cannot be combined"),
])
def test_inspect_lowered_errors(capsys, argv, message):
    assert cli.main(["inspect", *argv, COLLATZ]) == 1
    assert message in one_line_error(capsys.readouterr().err)


def test_inspect_lowered_imported_function(path, capsys):
    p = path(KINDS)                                     # function 0 is the import env.log
    assert cli.main(["inspect", "--lowered", "--func", "0", p]) == 1
    assert "function 0 is imported: it has no lowered code" in one_line_error(capsys.readouterr().err)
    assert cli.main(["inspect", "--lowered", "--func", "f", p]) == 0
    assert capsys.readouterr().out.startswith("func[1] f: params=1 results=1")


def test_type_text_rejects_non_types():
    with pytest.raises(TypeError):
        type_text("i32")


def test_import_and_export_types_have_readable_reprs():
    imports = whisk.Module(KINDS).imports
    assert repr(imports[0].type) == "FuncType([i32 i32] -> [])"
    assert "TableType(funcref, 1)" in repr(imports[1])
    assert "GlobalType(mut i64)" in repr(imports[2])


# --- errors: one line, traceback only with -v -------------------------------------------------------

@pytest.mark.parametrize("argv", [["validate", "{p}"], ["{p}"], ["run", "{p}"], ["inspect", "{p}"]])
def test_errors_are_one_line_without_verbose(path, argv):
    p = path(MALFORMED)
    status, out, err = whisk_cmd(*[a.format(p=p) for a in argv])
    assert (status, out) == (1, "")
    assert "malformed module" in one_line_error(err)
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["-v", "validate", "{p}"], ["validate", "-v", "{p}"],
                                  ["--verbose", "{p}"], ["run", "--verbose", "{p}"]])
def test_verbose_adds_the_traceback(path, argv):
    p = path(MALFORMED)
    status, out, err = whisk_cmd(*[a.format(p=p) for a in argv])
    assert status == 1
    assert "Traceback (most recent call last)" in err
    assert err.splitlines()[-1].startswith("error: ") and "malformed module" in err


def test_unexpected_exceptions_are_one_line_too(monkeypatch, capsys):
    def boom(ns):
        raise RuntimeError("bug\nsecond line")
    monkeypatch.setitem(cli.COMMANDS, "boom", cli.Command("boom", "x", lambda p: None, boom))
    assert cli.main(["boom"]) == 1
    assert one_line_error(capsys.readouterr().err) == "error: internal error: RuntimeError: bug second line\n"
    assert cli.main(["-v", "boom"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_guest_arguments_named_verbose_go_to_the_guest(capsys):
    assert cli.main([HELLO, "-v"]) == 0                 # after MODULE: the guest's argv
    assert capsys.readouterr().out == "Hello, world!\n"


def test_only_verbose_is_a_usage_error(capsys):
    assert cli.main(["-v"]) == 2
    assert "usage" in capsys.readouterr().err


def test_help_lists_the_new_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "validate" in out and "inspect" in out and "wast" in out

