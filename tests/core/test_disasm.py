"""whisk.disasm: the lowered code decodes with the generated layout table (oplayout.py)."""

import re
from pathlib import Path

import pytest

import whisk
from whisk import disasm
from whisk._core import oplayout

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = sorted((ROOT / "benchmarks" / "kernels").glob("*.wasm")) + sorted(
    (ROOT / "examples").glob("*.wasm"))

WAT = """
(module
  (memory 1)
  (func $callee (param i32) (result i32) (i32.add (local.get 0) (i32.const 7)))
  (func (export "main") (param $x i32) (param $y f64) (result i32)
    (local $i i32)
    (i64.store offset=16 (i32.const 8) (i64.const -5))
    (drop (f64.mul (local.get $y) (f64.const 2.5)))
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $i) (i32.const 10))))
    (block $a (block $b (block $c
      (br_table $a $b $c (local.get $x)))
      (return (i32.const 1)))
      (return (i32.const 2)))
    (call $callee (local.get $x))))
"""


def test_layout_table_matches_the_op_enum():
    ops = dict((int(n), name) for name, n in re.findall(
        r"OP_(\w+) = (\d+)", (ROOT / "src" / "whisk" / "_core" / "ops.pxd").read_text())
        if name not in ("COUNT", "SIMD_FIRST", "GC_FIRST"))
    assert [name for name, _ in oplayout.OPS] == [ops[i] for i in range(len(ops))]
    assert oplayout.OPS[oplayout.SIMD_FIRST][0] == "v128_load"


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.name)
def test_every_function_decodes_exactly(path):
    """Each function's words decode into whole instructions of known ops, and every branch
    target is the start of an instruction of the same function."""
    lowered = whisk.Module.from_file(path)._lowered
    words = lowered.words()
    extents = disasm.func_extents(lowered)
    assert extents and extents[-1][1] == len(words)
    for start, end in extents:
        code = disasm.decode(words, start, end)
        assert sum(i.size for i in code) == end - start
        starts = {i.pc for i in code}
        for ins in code:
            for t in ins.targets():
                assert t in starts, (path.name, ins.text())
        assert code[-1].name in ("return", "return1", "br", "br_back", "unreachable", "br_table",
                                 "throw", "throw_ref") or code[-1].name.startswith("return_call")


def test_listing_of_a_small_module():
    pytest.importorskip("wasmtime")
    text = disasm.listing(whisk.Module(WAT))
    lines = text.splitlines()
    assert "func[0] callee: params=1 results=1 locals=1 slots=3 cost=4 code=0..5" in lines
    assert re.search(r"^func\[1\] main: params=2 results=1 locals=3 ", text, re.M)
    assert re.search(r"^ +0: i32_add_ri +d=0 a=0 imm=7$", text, re.M)  # writes the result slot
    assert re.search(r": const64 +d=\d+ imm=-5$", text, re.M)
    assert re.search(r": i64_store_abs +addr=8 b=\d+ off=16$", text, re.M)  # constant address
    assert re.search(r": f64_mul_ri +d=\d+ a=1 imm=2\.5$", text, re.M)
    assert re.search(r": call +f=0 <callee> base=\d+$", text, re.M)
    # the loop's back edge: a fused compare-and-branch to the loop's first instruction
    add = re.search(r"^ +(\d+): i32_add_ri +d=2 a=2 imm=1$", text, re.M)
    assert add and re.search(rf": br_i32_lt_s_ri_back a=2 imm=10 -> {add.group(1)} cost=\d+$",
                             text, re.M)
    # br_table $a $b $c: the default ($c) falls to `return 1`, $b to `return 2`, $a to the call
    m = re.search(r": br_table +a=0 -> \[(\d+), (\d+)\] default -> (\d+)$", text, re.M)
    assert m
    at = {int(pc): rest for pc, rest in re.findall(r"^ +(\d+): (.*)$", text, re.M)}
    assert at[int(m.group(3))].split() == ["const32", "d=0", "imm=1"]
    assert at[int(m.group(2))].split() == ["const32", "d=0", "imm=2"]
    assert at[int(m.group(1))].startswith("copy")
    only = disasm.listing(whisk.Module(WAT), disasm.find_func(whisk.Module(WAT), "main"))
    assert only.startswith("func[1] main:") and "callee:" not in only


def test_find_func():
    pytest.importorskip("wasmtime")
    m = whisk.Module('(module (import "m" "f" (func)) (func $g) (func (export "h")))')
    assert disasm.find_func(m, "g") == 1 and disasm.find_func(m, "h") == 2
    assert disasm.find_func(m, "2") == 2
    with pytest.raises(ValueError, match="imported"):
        disasm.find_func(m, "0")
    with pytest.raises(LookupError, match="out of range"):
        disasm.find_func(m, "3")
    with pytest.raises(LookupError, match="no function named 'nope'"):
        disasm.find_func(m, "nope")


def test_bad_code_is_a_typed_error():
    copy = next(i for i, (n, _) in enumerate(oplayout.OPS) if n == "copy")
    with pytest.raises(disasm.LoweredCodeError, match="unknown op 9999 at 0"):
        disasm.decode([9999], 0, 1)
    with pytest.raises(disasm.LoweredCodeError, match="copy at 0 runs past"):
        disasm.decode([copy, 1], 0, 2)
    assert [i.text() for i in disasm.decode([copy, 1, 2], 0, 3)] == ["      0: copy            d=1 a=2"]
