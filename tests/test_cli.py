"""The command line (python -m whisk / whisk.cli.main): running WASI commands, --invoke,
--env, --dir, exit statuses and error messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import whisk
from whisk import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HELLO = str(EXAMPLES / "hello.wasm")
SHA256 = str(EXAMPLES / "sha256.wasm")
ARGS = str(EXAMPLES / "args.wasm")

# Small modules, assembled with wat2wasm from the text given with each.
# (module (func $boom unreachable) (func (export "_start") call $boom))
TRAP = bytes.fromhex(
    "0061736d010000000104016000000303020000070a01065f737461727400010a0a020300000b040010000b00"
    "0e046e616d650107010004626f6f6d")
# (module
#   (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
#   (memory (export "memory") 1)
#   (global (export "g") i32 (i32.const 1))
#   (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
#   (func (export "mul64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.mul)
#   (func (export "half") (param f64) (result f64) local.get 0 f64.const 0.5 f64.mul)
#   (func (export "third") (param f32) (result f32) local.get 0 f32.const 3 f32.div)
#   (func (export "nothing"))
#   (func (export "exit7") (call $exit (i32.const 7))))
CALC = bytes.fromhex(
    "0061736d01000000011e0660017f0060027f7f017f60027e7e017e60017c017c60017d017d6000000224011677"
    "6173695f736e617073686f745f70726576696577310970726f635f65786974000003070601020304050505030100"
    "010606017f0041010b073d08066d656d6f7279020001670300036164640001056d756c363400020468616c660003"
    "0574686972640004076e6f7468696e67000505657869743700060a35060700200020016a0b0700200020017e0b0e"
    "00200044000000000000e03fa20b0a0020004300004040950b02000b0600410710000b000e046e616d6501070100"
    "0465786974")
# (module (func (export "pair") (param i32) (result i32 i64)
#   local.get 0 local.get 0 i64.extend_i32_s))
MULTI = bytes.fromhex(
    "0061736d0100000001070160017f027f7e03020100070801047061697200000a0901070020002000ac0b")
# (module (import "env" "foo" (func)) (func (export "_start")))
BAD_IMPORT = bytes.fromhex(
    "0061736d01000000010401600000020b0103656e7603666f6f000003020100070a01065f737461727400010a04"
    "0102000b")
# (module (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))
#   (memory (export "memory") 1) (func (export "_start")))
BAD_WASI = bytes.fromhex(
    "0061736d0100000001080260017f0060000002230116776173695f736e617073686f745f70726576696577310866"
    "645f77726974650000030201010503010001071302066d656d6f72790200065f737461727400010a040102000b")
# (module (memory (export "memory") 1))
NO_START = bytes.fromhex("0061736d010000000503010001070a01066d656d6f72790200")


def whisk_cmd(*args, env=None, input=b"", cwd=None):
    """Run ``python -m whisk ARGS`` in a subprocess; returns (status, stdout, stderr) as text."""
    src = str(Path(whisk.__file__).resolve().parent.parent)
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [src] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    p = subprocess.run([sys.executable, "-m", "whisk", *args], input=input, capture_output=True,
                       env=full_env, cwd=cwd, timeout=300)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.fixture
def wasm(tmp_path):
    """``wasm(name, data)`` writes a module to tmp_path and returns its path as a string."""
    def write(name, data):
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)
    return write


# --- end to end in a subprocess -------------------------------------------------------------------

def test_hello():
    assert whisk_cmd(HELLO) == (0, "Hello, world!\n", "")
    assert whisk_cmd("run", HELLO) == (0, "Hello, world!\n", "")


def test_guest_args_follow_the_module_even_when_they_look_like_options():
    status, out, err = whisk_cmd("run", ARGS, "--env", "-x", "--", "last")
    assert status == 0
    assert out == ("argc=5\nargv[0]=args.wasm\nargv[1]=--env\nargv[2]=-x\nargv[3]=--\n"
                   "argv[4]=last\nGREETING=(unset)\n")


def test_exit_status_is_the_guests():
    status, out, err = whisk_cmd(SHA256, "1000", "--fail")
    assert status == 3
    assert out == "6da027a5d1c812f4c8fec3dd7076cb7b5cd9bb24d1d6ee8209aac2232c194262\n"
    assert whisk_cmd(SHA256, "bad") == (2, "", "usage: sha256 [SIZE] [--fail]\n")


def test_env_and_dir(tmp_path):
    (tmp_path / "input.txt").write_bytes(b"from the host\n")
    host_env = dict(os.environ, WHISK_CLI_TEST="copied")
    status, out, err = whisk_cmd(
        "run", "--env", "GREETING=hello there", "--env", "INPUT=/data/input.txt",
        "--dir", f"{tmp_path}::/data", ARGS, "x", env=host_env)
    assert (status, err) == (0, "")
    assert out == ("argc=2\nargv[0]=args.wasm\nargv[1]=x\nGREETING=hello there\n"
                   "--- /data/input.txt ---\nfrom the host\n--- end ---\n")
    # --env NAME copies the host's value
    status, out, _ = whisk_cmd("--env", "GREETING", ARGS, env=dict(os.environ, GREETING="copied"))
    assert status == 0 and "GREETING=copied\n" in out
    # --dir HOST without ::GUEST uses the same name inside
    status, out, _ = whisk_cmd("--dir", ".", "--env", "INPUT=input.txt", ARGS, cwd=tmp_path)
    assert status == 0 and "from the host\n" in out


def test_stdin_reaches_the_guest():
    status, out, _ = whisk_cmd("--env", "INPUT=-", ARGS, input=b"piped in\n")
    assert status == 0 and out.endswith("--- - ---\npiped in\n--- end ---\n")


def test_trap_prints_message_and_backtrace(wasm):
    status, out, err = whisk_cmd(wasm("trap.wasm", TRAP))
    assert status == 134
    assert out == ""
    assert err.startswith("unreachable")
    assert "boom" in err                                      # from the name section
    # the byte offsets of the instructions, as wasmtime prints them (wasm-tools: @24, @28)
    assert "0:    0x24 - func[0] boom\n" in err and "1:    0x28 - func[1] <func 1>" in err


def test_rust_hello():
    status, out, err = whisk_cmd(str(EXAMPLES / "hello_rs.wasm"), "a b")
    assert (status, err) == (0, "")
    assert out == "Hello, world!\narg[0] = hello_rs.wasm\narg[1] = a b\n"


# --- errors ----------------------------------------------------------------------------------------

def one_line_error(err):
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    return err


def test_missing_file(tmp_path):
    status, out, err = whisk_cmd(str(tmp_path / "nope.wasm"))
    assert status == 1 and out == ""
    assert "nope.wasm" in one_line_error(err)


def test_malformed_module(wasm):
    status, _, err = whisk_cmd(wasm("bad.wasm", b"\0asm\x02\0\0\0"))
    assert status == 1
    one_line_error(err)
    status, _, err = whisk_cmd(wasm("text.wasm", b"(module)"))
    assert status == 1
    one_line_error(err)


@pytest.mark.parametrize("data,text", [(BAD_IMPORT, "env"), (BAD_WASI, "fd_write"),
                                       (NO_START, "_start")])
def test_link_errors(wasm, capsys, data, text):
    assert cli.main([wasm("m.wasm", data)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert text in one_line_error(captured.err)


def test_missing_preopen(capsys, tmp_path):
    assert cli.main(["--dir", f"{tmp_path / 'none'}::/x", HELLO]) == 1
    assert "none" in one_line_error(capsys.readouterr().err)


@pytest.mark.parametrize("argv", [["--env", "=x", HELLO], ["--dir", "::/x", HELLO],
                                  ["--dir", "a::", HELLO]])
def test_bad_option_values(capsys, argv):
    assert cli.main(argv) == 1
    one_line_error(capsys.readouterr().err)


def test_usage(capsys):
    assert cli.main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert cli.main(["run"]) == 2
    assert cli.main(["--help"]) == 0
    assert "run" in capsys.readouterr().out
    assert cli.main(["run", "--help"]) == 0
    assert "--invoke" in capsys.readouterr().out


# --- --invoke (in process) ------------------------------------------------------------------------

@pytest.mark.parametrize("name,args,out", [
    ("add", ["2", "3"], "5\n"),
    ("add", ["-7", "3"], "-4\n"),
    ("add", ["0xffffffff", "1"], "0\n"),                    # unsigned spelling wraps
    ("add", ["2147483647", "1"], "-2147483648\n"),
    ("mul64", ["4000000000", "3"], "12000000000\n"),
    ("half", ["3"], "1.5\n"),
    ("half", ["inf"], "inf\n"),
    ("half", ["-inf"], "-inf\n"),
    ("third", ["1"], "0.33333334\n"),                       # shortest f32 spelling
    ("nothing", [], ""),
])
def test_invoke(wasm, capsys, name, args, out):
    assert cli.main(["run", "--invoke", name, wasm("calc.wasm", CALC), *args]) == 0
    assert capsys.readouterr().out == out


def test_invoke_nan(wasm, capsys):
    assert cli.main(["--invoke", "half", wasm("calc.wasm", CALC), "nan"]) == 0
    assert capsys.readouterr().out == "nan\n"


def test_invoke_multiple_results(wasm, capsys):
    assert cli.main(["--invoke", "pair", wasm("multi.wasm", MULTI), "-5"]) == 0
    assert capsys.readouterr().out == "-5\n-5\n"


def test_invoke_proc_exit(wasm):
    assert cli.main(["--invoke", "exit7", wasm("calc.wasm", CALC)]) == 7


@pytest.mark.parametrize("argv,text", [
    (["--invoke", "add", "{calc}", "1"], "takes 2 argument"),
    (["--invoke", "add", "{calc}", "1", "2", "3"], "takes 2 argument"),
    (["--invoke", "add", "{calc}", "x", "1"], "invalid i32"),
    (["--invoke", "add", "{calc}", "4294967296", "1"], "out of range"),
    (["--invoke", "half", "{calc}", "abc"], "invalid f64"),
    (["--invoke", "nope", "{calc}"], "no export named 'nope'"),
    (["--invoke", "g", "{calc}"], "not a function"),
    (["--invoke", "memory", "{calc}"], "not a function"),
])
def test_invoke_errors(wasm, capsys, argv, text):
    calc = wasm("calc.wasm", CALC)
    assert cli.main([a.format(calc=calc) for a in argv]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert text in one_line_error(captured.err)


# --- helpers ------------------------------------------------------------------------------------------

def test_parse_env():
    assert cli.parse_env(["A=1", "B=", "C=x=y", "HOST", "MISSING"], host={"HOST": "h"}) == {
        "A": "1", "B": "", "C": "x=y", "HOST": "h"}


def test_parse_dirs():
    assert cli.parse_dirs(["data::/data", "."]) == {"/data": "data", ".": "."}
    assert cli.parse_dirs([r"C:\x::/x"]) == {"/x": r"C:\x"}


@pytest.mark.parametrize("valtype,text,value", [
    ("i32", "10", 10), ("i32", "-1", -1), ("i32", "0x10", 16), ("i32", "010", 10),
    ("i32", "4294967295", -1), ("i64", "18446744073709551615", -1), ("i64", "-5", -5),
    ("f64", "1.5", 1.5), ("f64", "0x1p-2", 0.25), ("f32", "0.1", 0.10000000149011612),
])
def test_parse_value(valtype, text, value):
    assert cli.parse_value(valtype, text) == value


@pytest.mark.parametrize("valtype,value,text", [
    ("i32", -3, "-3"), ("f64", 0.1, "0.1"), ("f32", 0.10000000149011612, "0.1"),
    ("f32", 16777216.0, "16777216.0"), ("f64", float("nan"), "nan"), ("f32", float("-inf"), "-inf"),
])
def test_format_value(valtype, value, text):
    assert cli.format_value(valtype, value) == text


def test_run_is_optional_and_registry_is_extensible(monkeypatch, capsys):
    calls = []
    monkeypatch.setitem(cli.COMMANDS, "validate", cli.Command(
        "validate", "check a module", lambda p: p.add_argument("module"),
        lambda ns: calls.append(ns.module) or 0))
    assert cli.main(["validate", "x.wasm"]) == 0
    assert calls == ["x.wasm"]
    assert cli.main([HELLO]) == 0                                 # still 'run' by default
    assert capsys.readouterr().out == "Hello, world!\n"


def test_wast_subcommand_runs_a_spec_script(tmp_path):
    """`python -m whisk wast FILE` runs a script and reports the counts."""
    import subprocess
    import sys
    script = tmp_path / "mini.wast"
    script.write_text('(module (func (export "add") (param i32 i32) (result i32)'
                      ' (i32.add (local.get 0) (local.get 1))))\n'
                      '(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))\n'
                      '(assert_trap (module (func $f (unreachable)) (start $f)) "unreachable")\n')
    r = subprocess.run([sys.executable, "-m", "whisk", "wast", str(script)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 passed, 0 failed" in r.stdout
    bad = tmp_path / "bad.wast"
    bad.write_text('(module (func (export "f") (result i32) (i32.const 1)))\n'
                   '(assert_return (invoke "f") (i32.const 2))\n')
    r = subprocess.run([sys.executable, "-m", "whisk", "wast", str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "1 failed" in r.stdout


def test_fuel_and_timeout_stop_the_guest():
    code, _, err = whisk_cmd("--fuel", "1000", str(EXAMPLES / "hello.wasm"))
    assert code == 134 and "all fuel consumed" in err
    code, _, err = whisk_cmd("--timeout", "50ms", str(EXAMPLES / "sha256.wasm"), "100000000")
    assert code == 134 and "timeout" in err
    code, out, _ = whisk_cmd("--fuel", "100000000", "--timeout", "60s", str(EXAMPLES / "hello.wasm"))
    assert code == 0 and out == "Hello, world!\n"


@pytest.mark.parametrize("text, seconds", [("2", 2.0), ("1.5s", 1.5), ("500ms", 0.5), ("1m", 60.0)])
def test_parse_duration(text, seconds):
    assert cli.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "fast", "-1s", "0", "infs"])
def test_parse_duration_rejects(text):
    import argparse
    with pytest.raises(argparse.ArgumentTypeError):
        cli.parse_duration(text)


def test_parse_value_v128_and_references():
    assert cli.parse_value("v128", "0x1") == 1
    assert cli.parse_value("v128", "-1") == (1 << 128) - 1
    assert cli.parse_value("externref", "null") is None
    with pytest.raises(cli.CliError):
        cli.parse_value("v128", str(1 << 128))
    with pytest.raises(cli.CliError):
        cli.parse_value("funcref", "7")


def test_version_option_prints_the_package_version(capsys):
    from whisk.cli import main
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"whisk {whisk.__version__}"
