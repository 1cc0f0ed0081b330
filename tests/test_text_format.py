"""WebAssembly text input (issue 14): ``Module(text)``, text bytes, ``.wat`` files and the
CLI, assembled by the ``wat`` extra (wasmtime's wat2wasm); a clear error without it."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

import whisk
from whisk.text import WatUnavailableError, is_text

pytest.importorskip("wasmtime")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_cli import whisk_cmd  # noqa: E402

ANSWER = '(module (func (export "answer") (result i32) i32.const 42))'
ROOT = Path(__file__).resolve().parent.parent


def answer(module):
    return whisk.Instance(module).exports["answer"]()


def test_module_from_str():
    assert answer(whisk.Module(ANSWER)) == 42


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_module_from_text_bytes(wrap):
    assert answer(whisk.Module(wrap(ANSWER.encode()))) == 42


@pytest.mark.parametrize("lead", [
    "", "  \n\t\r ", ";; a line comment\n", ";; first\n;; second\n  ",
    "(; a block comment ;)", "(; nested (; block ;) comment ;)\n", "(;;)", ";;\n(; ;; ;)"])
def test_white_space_and_comments_before_the_module(lead):
    text = lead + ANSWER
    assert is_text(text.encode())
    assert answer(whisk.Module(text.encode())) == 42
    assert answer(whisk.Module(text)) == 42


@pytest.mark.parametrize("data", [
    b"\0asm\x01\0\0\0", b"", b"  ", b";; only a comment", b"(; unclosed", b"module", b"\0asm(",
    b" \0asm", b"x(module)"])
def test_not_text(data):
    assert not is_text(data)


def test_not_text_is_decoded_as_a_binary():
    with pytest.raises(whisk.DecodeError, match="magic header not detected"):
        whisk.Module(b"  ;; just a comment\n")


def test_text_and_binary_give_the_same_module():
    wat = (ROOT / "examples" / "collatz.wat").read_text()
    from_text = whisk.Module(wat)
    assert from_text._binary == (ROOT / "examples" / "collatz.wasm").read_bytes()
    assert whisk.Instance(from_text).exports["steps"](27) == 111


def test_malformed_text_is_a_decode_error_with_the_position():
    with pytest.raises(whisk.DecodeError, match=r"^expected a i32 \(at line 2, column 11\)$"):
        whisk.Module("(module (func (result i32)\n i32.const))")
    with pytest.raises(whisk.DecodeError, match="unknown operator|unexpected token|expected"):
        whisk.Module(b"(module (func i32.frobnicate))")


def test_invalid_text_module_is_a_validation_error():
    with pytest.raises(whisk.ValidationError, match="type mismatch"):
        whisk.Module("(module (func (result i32) i64.const 1))")


def test_features_apply_to_text():
    with pytest.raises(whisk.DecodeError, match="tail calls are not enabled"):
        whisk.Module("(module (func return_call 0))", features=whisk.Features.wasm2())


def test_text_module_pickles_as_its_binary():
    m = whisk.Module(ANSWER)
    data = pickle.dumps(m)
    assert ANSWER.encode() not in data and m._binary in data
    assert answer(pickle.loads(data)) == 42


def test_from_file_sniffs_the_content(tmp_path):
    for name in ("x.wat", "x.wasm", "noext"):            # by content, not by the name
        path = tmp_path / name
        path.write_text(";; answer\n" + ANSWER)
        assert answer(whisk.Module.from_file(path)) == 42


def test_other_types_are_refused():
    with pytest.raises(TypeError, match="module binary .* or WebAssembly text .str., not int"):
        whisk.Module(42)


def test_without_the_wat_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "wasmtime", None)      # import wasmtime -> ImportError
    with pytest.raises(WatUnavailableError,
                       match=r"WebAssembly text needs the wat extra: "
                             r"pip install 'whisk-wasm\[wat\]'") as info:
        whisk.Module(ANSWER)
    assert isinstance(info.value, ModuleNotFoundError) and info.value.name == "wasmtime"
    with pytest.raises(WatUnavailableError):
        whisk.Module(b"\n;; text bytes too\n(module)")


def test_binary_needs_no_wat_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "wasmtime", None)
    m = whisk.Module((ROOT / "examples" / "collatz.wasm").read_bytes())
    assert whisk.Instance(m).exports["steps"](27) == 111


def test_cli_without_the_wat_extra(tmp_path, monkeypatch, capsys):
    from whisk.cli import main

    path = tmp_path / "a.wat"
    path.write_text(ANSWER)
    monkeypatch.setitem(sys.modules, "wasmtime", None)
    for argv in (["validate", str(path)], ["--invoke", "answer", str(path)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err == ("error: WebAssembly text needs the wat extra: pip install "
                       "'whisk-wasm[wat]' (it installs wasmtime, whose wat2wasm parses the "
                       "text)\n")


def test_cli_text(tmp_path):
    path = tmp_path / "a.wat"
    path.write_text(";; the answer\n" + ANSWER)
    assert whisk_cmd("validate", str(path)) == (0, f"{path}: valid\n", "")
    assert whisk_cmd("--invoke", "answer", str(path)) == (0, "42\n", "")
    status, out, err = whisk_cmd("inspect", str(path))
    assert status == 0 and "answer" in out and err == ""
    bad = tmp_path / "bad.wat"
    bad.write_text("(module (func (result i32) i32.const))")
    assert whisk_cmd("validate", str(bad)) == (
        1, "", f"error: {bad}: malformed module: expected a i32 (at line 1, column 37)\n")


def test_cli_runs_a_wasi_command_in_text(tmp_path):
    path = tmp_path / "hello.wat"
    path.write_text('''(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hi\\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))''')
    assert whisk_cmd(str(path)) == (0, "hi\n", "")
