"""Feature switches (whisk.Features): limiting a Module to WebAssembly 2.0 or any subset."""

import pickle

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402
from whisk.cli import main  # noqa: E402
from whisk.features import (BASE_FEATURES, FEATURE_NAMES, FEATURE_WORDS,  # noqa: E402
                            disabled_message, feature_bit)
from whisk.opcodes import OPS  # noqa: E402

RELAXED = wasmtime.wat2wasm("""(module (func (export "f") (param v128 v128) (result v128)
  (i8x16.relaxed_swizzle (local.get 0) (local.get 1))))""")
EXTENDED = wasmtime.wat2wasm("(module (global i32 (i32.mul (i32.const 6) (i32.const 7))))")
SIMD = wasmtime.wat2wasm("""(module (func (result i32)
  (i32x4.extract_lane 0 (i32x4.splat (i32.const 1)))))""")


def test_presets_and_queries():
    all_ = whisk.Features.all()
    assert all_ == whisk.Features() and all_.enabled == frozenset(FEATURE_NAMES)
    assert all_.mask == (1 << len(FEATURE_NAMES)) - 1
    w2 = whisk.Features.wasm2()
    assert w2.enabled == {"simd"} and w2.mask == 1
    assert "simd" in w2 and "relaxed_simd" not in w2 and "mvp" in w2 and "nonsense" not in w2
    assert w2.replace(tail_call=True).enabled == {"simd", "tail_call"}
    assert whisk.Features(tail_call=False).enabled == frozenset(FEATURE_NAMES) - {"tail_call"}
    assert hash(w2) == hash(whisk.Features.only(["simd"])) and w2 != all_
    assert pickle.loads(pickle.dumps(w2)) == w2
    assert eval(repr(w2), {"Features": whisk.Features}) == w2
    assert eval(repr(whisk.Features(memory64=False)), {"Features": whisk.Features}) == \
        whisk.Features(memory64=False)
    with pytest.raises(AttributeError):
        w2._mask = 0


def test_bad_feature_sets():
    with pytest.raises(TypeError, match="unknown feature 'threads'"):
        whisk.Features(threads=True)
    with pytest.raises(ValueError, match="needs 'simd'"):
        whisk.Features(simd=False)                   # relaxed_simd would be left without simd
    whisk.Features(simd=False, relaxed_simd=False)
    with pytest.raises(ValueError, match="unknown WebAssembly feature"):
        whisk.Features.only(["simd", "threads"])


def test_parse():
    P = whisk.Features.parse
    assert P("") == whisk.Features.all()
    assert P("wasm2") == whisk.Features.wasm2()
    assert P("wasm2,+tail-call,extended_const").enabled == {"simd", "tail_call", "extended_const"}
    assert P("-relaxed_simd") == whisk.Features(relaxed_simd=False)
    with pytest.raises(ValueError, match=r"'\+bogus'"):
        P("+bogus")


def test_words_table_and_bits():
    assert disabled_message("tail_call") == "tail calls are not enabled"
    assert disabled_message("relaxed_simd") == "relaxed SIMD is not enabled"
    assert set(FEATURE_WORDS) == set(FEATURE_NAMES)
    assert [feature_bit(n) for n in FEATURE_NAMES] == [1 << i for i in range(len(FEATURE_NAMES))]
    assert feature_bit("bulk-memory") == 0
    # every row of the opcode table names a known feature (the generator relies on it)
    assert {op.feature for op in OPS} <= BASE_FEATURES | set(FEATURE_NAMES)


def test_require():
    w2 = whisk.Features.wasm2()
    w2.require("simd")
    with pytest.raises(whisk.DecodeError) as info:
        w2.require("memory64", "i64 address type", malformed=True, offset=12)
    assert info.value.message == "64-bit memories are not enabled (i64 address type)"
    assert info.value.offset == 12
    with pytest.raises(whisk.ValidationError, match="^multiple memories are not enabled$"):
        w2.require("multi_memory")
    with pytest.raises(ValueError):
        w2.require("bogus")


def test_default_accepts_3_0_features():
    whisk.Module(RELAXED)
    whisk.Module(EXTENDED)
    assert whisk.Module(RELAXED).features == whisk.Features.all()


def test_wasm2_module_rejects_relaxed_simd_naming_it():
    with pytest.raises(whisk.DecodeError) as info:
        whisk.Module(RELAXED, features=whisk.Features.wasm2())
    assert info.value.message.startswith("relaxed SIMD is not enabled (i8x16.relaxed_swizzle)")
    with pytest.raises(whisk.DecodeError, match="relaxed SIMD is not enabled"):
        whisk.Module(RELAXED, features=whisk.Features(relaxed_simd=False))
    whisk.Module(SIMD, features=whisk.Features.wasm2())


def test_wasm2_module_rejects_extended_const_naming_it():
    with pytest.raises(whisk.ValidationError, match="extended constant expressions are not enabled"):
        whisk.Module(EXTENDED, features=whisk.Features.wasm2())


def test_simd_can_be_switched_off():
    no_simd = whisk.Features(simd=False, relaxed_simd=False)
    with pytest.raises(whisk.DecodeError, match=r"SIMD is not enabled \(i32x4.splat\)"):
        whisk.Module(SIMD, features=no_simd)
    with pytest.raises(whisk.ValidationError, match="SIMD is not enabled"):
        whisk.Module(wasmtime.wat2wasm("(module (func (param v128)))"), features=no_simd)
    with pytest.raises(whisk.ValidationError, match="SIMD is not enabled"):
        whisk.Module(wasmtime.wat2wasm("(module (func (local v128)))"), features=no_simd)
    whisk.Module(wasmtime.wat2wasm("(module (func (param i32)))"), features=no_simd)


def test_lowerer_receives_the_mask():
    """The core's lowerer rejects the op itself (not only the Python decoder's slow path)."""
    from whisk._core.lower import lower_module

    body = bytes.fromhex("00 20 00 20 01 fd 80 02 0b")          # relaxed_swizzle of 2 params
    args = ([(("v128", "v128"), ("v128",))], [0], 0, [([], body, 0)], [], [], [], [], None, set())
    lower_module(*args)
    with pytest.raises(whisk.DecodeError, match=r"relaxed SIMD is not enabled .*\(function 0\)"):
        lower_module(*args, whisk.Features.wasm2().mask)


def test_module_rejects_a_non_features_argument():
    with pytest.raises(TypeError, match="whisk.Features"):
        whisk.Module(EXTENDED, features={"simd"})


def test_cli_wasm2_and_features(tmp_path, capsys):
    path = tmp_path / "relaxed.wasm"
    path.write_bytes(RELAXED)
    assert main(["validate", str(path)]) == 0
    assert main(["validate", "--wasm2", str(path)]) == 1
    assert "relaxed SIMD is not enabled" in capsys.readouterr().err
    assert main(["validate", "--features=-relaxed_simd", str(path)]) == 1
    assert "relaxed SIMD is not enabled" in capsys.readouterr().err
    assert main(["validate", "--features", "wasm2,+relaxed_simd", str(path)]) == 0
