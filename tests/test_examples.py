"""The example programs (examples/*.wasm, built by examples/build.sh) run through whisk.run,
their output checked against values computed independently here."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

import whisk
from whisk.run import run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name, args=(), **kwargs):
    out, err = io.BytesIO(), io.BytesIO()
    kwargs.setdefault("stdin", b"")
    code = run(EXAMPLES / name, args, stdout=out, stderr=err, **kwargs)
    return code, out.getvalue().decode(), err.getvalue().decode()


def generated_data(size: int) -> bytes:
    """The bytes examples/sha256.c hashes: xorshift32 from 0x9E3779B9, 4 bytes per step,
    least significant first."""
    x, out = 0x9E3779B9, bytearray()
    while len(out) < size:
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out += x.to_bytes(4, "little")
    return bytes(out[:size])


def test_all_examples_present():
    for name in ("hello", "sha256", "args", "fs", "hello_rs"):
        data = (EXAMPLES / f"{name}.wasm").read_bytes()
        assert data[:8] == b"\0asm\x01\0\0\0", name
    assert (EXAMPLES / "build.sh").exists()


def test_hello():
    assert run_example("hello.wasm") == (0, "Hello, world!\n", "")


def test_hello_via_public_api_and_module_object():
    module = whisk.Module.from_file(EXAMPLES / "hello.wasm")
    out = io.BytesIO()
    assert whisk.run(module, stdout=out) == 0
    assert out.getvalue() == b"Hello, world!\n"


def test_hello_rust_prints_args():
    code, out, err = run_example("hello_rs.wasm", ["one", "two words", "ünïcode"])
    assert code == 0 and err == ""
    assert out == ("Hello, world!\n"
                   "arg[0] = hello_rs.wasm\n"
                   "arg[1] = one\n"
                   "arg[2] = two words\n"
                   "arg[3] = ünïcode\n")


def test_argv0_from_argument_and_default_for_module_objects():
    module = whisk.Module.from_file(EXAMPLES / "hello_rs.wasm")
    out = io.BytesIO()
    assert run(module, stdout=out) == 0
    assert b"arg[0] = main.wasm\n" in out.getvalue()
    out = io.BytesIO()
    assert run(module, ["x"], argv0="prog", stdout=out) == 0
    assert out.getvalue().endswith(b"arg[0] = prog\narg[1] = x\n")


def test_generator_matches_known_digest():
    # fixed values, computed once with hashlib over generated_data
    assert hashlib.sha256(generated_data(1000)).hexdigest() == \
        "6da027a5d1c812f4c8fec3dd7076cb7b5cd9bb24d1d6ee8209aac2232c194262"
    assert hashlib.sha256(generated_data(1 << 20)).hexdigest() == \
        "3e75ec671075e4115fc876c4c55d5abbac3bfe487a67ff4ca2db38386a014f27"


@pytest.mark.parametrize("size", [0, 1, 3, 55, 56, 64, 1000, 4097])
def test_sha256_sizes(size):
    code, out, err = run_example("sha256.wasm", [str(size)])
    assert (code, err) == (0, "")
    assert out == hashlib.sha256(generated_data(size)).hexdigest() + "\n"


def test_sha256_default_one_mebibyte():
    code, out, _ = run_example("sha256.wasm")
    assert code == 0
    assert out == "3e75ec671075e4115fc876c4c55d5abbac3bfe487a67ff4ca2db38386a014f27\n"


def test_sha256_fail_exit_code():
    code, out, err = run_example("sha256.wasm", ["1000", "--fail"])
    assert code == 3
    assert out == "6da027a5d1c812f4c8fec3dd7076cb7b5cd9bb24d1d6ee8209aac2232c194262\n"


def test_sha256_usage_error():
    assert run_example("sha256.wasm", ["lots"]) == (2, "", "usage: sha256 [SIZE] [--fail]\n")


def test_args_env_and_preopened_file(tmp_path):
    (tmp_path / "input.txt").write_bytes(b"line one\nline two\n")
    code, out, err = run_example(
        "args.wasm", ["one", "two words"], env={"GREETING": "hi there", "INPUT": "/data/input.txt"},
        preopens={"/data": tmp_path})
    assert (code, err) == (0, "")
    assert out == ("argc=3\n"
                   "argv[0]=args.wasm\n"
                   "argv[1]=one\n"
                   "argv[2]=two words\n"
                   "GREETING=hi there\n"
                   "--- /data/input.txt ---\n"
                   "line one\n"
                   "line two\n"
                   "--- end ---\n")


def test_args_without_env():
    assert run_example("args.wasm") == (0, "argc=1\nargv[0]=args.wasm\nGREETING=(unset)\n", "")


def test_args_reads_stdin():
    data = bytes(range(1, 256)) * 100                        # larger than stdio buffers
    out = io.BytesIO()
    code = run(EXAMPLES / "args.wasm", env={"INPUT": "-"}, stdin=data, stdout=out)
    assert code == 0
    assert out.getvalue() == (b"argc=1\nargv[0]=args.wasm\nGREETING=(unset)\n--- - ---\n"
                              + data + b"--- end ---\n")


def test_args_missing_file_and_escape(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "secret.txt").write_bytes(b"secret")
    code, out, err = run_example("args.wasm", env={"INPUT": "/data/nope.txt"},
                                 preopens={"/data": tmp_path / "data"})
    assert code == 1
    assert err == "args: cannot open /data/nope.txt: No such file or directory\n"
    code, out, err = run_example("args.wasm", env={"INPUT": "/data/../secret.txt"},
                                 preopens={"/data": tmp_path / "data"})
    assert code == 1
    assert err == "args: cannot open /data/../secret.txt: Capabilities insufficient\n"
    assert "secret" not in out


FS_OUTPUT = """\
mkdir sub: ok
mkdir sub again: EEXIST
write sub/a.txt: ok
open sub/a.txt: ok
seek end: 11
seek set 6: 6
read 4: 4
read text: file
tell: 10
seek negative: EINVAL
fstat: ok
fstat size: 11
fstat is regular: 1
close: ok
close again: EBADF
append sub/a.txt: ok
stat sub/a.txt: ok
stat size: 16
stat sub: ok
stat sub is dir: 1
stat missing: ENOENT
write sub/b.txt: ok
mkdir sub/c: ok
open excl existing: EEXIST
open missing: ENOENT
open dir for writing: EISDIR
open file as dir: ENOTDIR
opendir sub: ok
readdir sub: a.txt b.txt c/
open ../outside: ENOTCAPABLE
open sub/../../outside: ENOTCAPABLE
open sub/../sub/a.txt: ok
{escape}rmdir non-empty sub: ENOTEMPTY
unlink dir sub/c: EISDIR
rmdir file sub/b.txt: ENOTDIR
unlink sub/a.txt: ok
unlink sub/b.txt: ok
unlink missing: ENOENT
rmdir sub/c: ok
rmdir sub: ok
all ok
"""


def test_fs(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    (tmp_path / "outside.txt").write_bytes(b"outside")
    escape = ""
    try:
        os.symlink(os.path.join("..", "outside-dir"), box / "escape")
        (tmp_path / "outside-dir").mkdir()
        (tmp_path / "outside-dir" / "secret.txt").write_bytes(b"secret")
        escape = "open escape/secret.txt: ENOTCAPABLE\n"
    except (OSError, NotImplementedError):
        pass                                                # no symlinks for this user
    code, out, err = run_example("fs.wasm", ["/sandbox"], preopens={"/sandbox": box})
    assert out == FS_OUTPUT.format(escape=escape)
    assert (code, err) == (0, "")
    assert sorted(p.name for p in box.iterdir()) == (["escape"] if escape else [])
    assert (tmp_path / "outside.txt").read_bytes() == b"outside"


def test_fs_usage():
    assert run_example("fs.wasm") == (2, "", "usage: fs DIR\n")


def simd_image_expected(w: int, h: int) -> str:
    """examples/simd_image.c's output, computed here (f32 arithmetic emulated with struct)."""
    import struct

    def f32(x: float) -> float:
        return struct.unpack("<f", struct.pack("<f", x))[0]

    img = generated_data(4 * w * h)[::4]              # xorshift32, the low byte of each step
    bright = [min(p + 40, 255) for p in img]
    avgr = lambda a, b: (a + b + 1) >> 1              # noqa: E731
    out = bytearray()
    for y in range(h):
        row = bright[y * w:(y + 1) * w]
        padded = [row[0]] + row + [row[-1]]
        out += bytes(avgr(avgr(padded[i], padded[i + 2]), padded[i + 1]) for i in range(w))
    hsh = 2166136261
    for p in out:
        hsh = ((hsh ^ p) * 16777619) & 0xFFFFFFFF
    e = [0.0] * 4
    scale = f32(1.0 / 255.0)
    for i, p in enumerate(out):
        f = f32(p * scale)
        e[i % 4] = f32(e[i % 4] + f32(f * f))
    energy = f32(f32(e[0] + e[1]) + f32(e[2] + e[3]))
    return (f"image {w}x{h}\nfnv1a {hsh:08x}\nsum {sum(out) & 0xFFFFFFFF}\n"
            f"min {min(out)} max {max(out)}\nenergy {energy:.3f}\n")


def test_simd_example_uses_simd_and_matches_its_scalar_build():
    # the -msimd128 build really holds SIMD instructions (v128 locals and 0xFD opcodes)
    from whisk.binary import decode_expr
    from whisk.binary.reader import Reader
    from whisk.opcodes import BY_NAME, PREFIX_FD

    def simd_ops(name):
        codes = whisk.Module.from_file(EXAMPLES / name)._struct.codes
        return {ins.name for code in codes for ins in decode_expr(Reader(code.body + b"\x0b"))
                if ins.name in BY_NAME and BY_NAME[ins.name].prefix == PREFIX_FD}

    assert {"i8x16.avgr_u", "i8x16.add_sat_u", "v128.load", "f32x4.mul"} <= simd_ops("simd_image.wasm")
    assert simd_ops("simd_image_scalar.wasm") == set()
    expected = simd_image_expected(48, 5)
    for name in ("simd_image.wasm", "simd_image_scalar.wasm"):
        assert run_example(name, ["40", "5"]) == (0, expected, "")     # width rounds up to 48
    assert run_example("simd_image.wasm") == run_example("simd_image_scalar.wasm")
