"""The C test programs (tests/wasi/programs/*.c, built by programs/build.sh) run on whisk with
tmp_path preopens. Each program checks its own results step by step ("label: result" lines,
exit status 0 or 7 when all were as expected); these tests check the exit status, key lines,
and the host tree afterwards. Every WASI call the programs make is recorded, and one test
checks that together they call all 46 functions."""

from __future__ import annotations

import io
import os
import socket
import threading
from pathlib import Path
from typing import NamedTuple

import pytest

import whisk
from whisk import cli
from whisk.errors import Exit
from whisk.wasi import FUNCTIONS, MODULE, Preopen, WasiConfig, WasiEnv

PROGRAMS = Path(__file__).resolve().parent / "programs"
ALL_FUNCTIONS = {name for name, _, _ in FUNCTIONS}
SECOND = 1_000_000_000


class Run(NamedTuple):
    code: int
    out: str
    err: str
    calls: frozenset
    lines: dict


def run_program(name: str, args=(), **config) -> Run:
    """Run programs/<name>.wasm through the public API (``WasiEnv`` + ``whisk.Instance``) with
    every WASI import wrapped to record that it was called."""
    out, err = config.setdefault("stdout", io.BytesIO()), config.setdefault("stderr", io.BytesIO())
    config.setdefault("stdin", b"")
    env = WasiEnv(WasiConfig(argv=(f"{name}.wasm", *args), **config))
    calls: set[str] = set()

    def recording(fname, func):
        def call(*a):
            calls.add(fname)
            return func(*a)
        call.__wasm_type__ = func.__wasm_type__
        return call

    imports = {fname: recording(fname, f) for fname, f in env.imports().items()}
    instance = whisk.Instance(whisk.Module.from_file(PROGRAMS / f"{name}.wasm"),
                              imports={MODULE: imports})
    env.bind(instance.exports["memory"])
    try:
        instance.exports["_start"]()
        code = 0
    except Exit as exc:
        code = exc.code
    finally:
        env.close()
    text = out.getvalue().decode()
    lines = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    return Run(code, text, err.getvalue().decode(), frozenset(calls), lines)


def assert_passed(run: Run, status: int = 0) -> None:
    assert "UNEXPECTED" not in run.out, run.out
    assert run.lines.get("failures") == "0", run.out
    assert run.code == status, run.out


def tree(root: Path) -> dict[str, object]:
    """Every path below ``root`` (with ``/``) -> file bytes, link target, or "dir"."""
    found: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path).replace("\\", "/"))
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = path.read_bytes()
    return found


# --- fileio ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fileio(tmp_path_factory):
    work = tmp_path_factory.mktemp("fileio")
    both = io.BytesIO()                          # stdout and stderr into one stream
    return run_program("fileio", preopens={"/work": work}, stdin=b"twelve bytes",
                       stdout=both, stderr=both), work


def test_fileio_passes(fileio):
    run, _ = fileio
    assert_passed(run)
    assert run.lines["stdin bytes"] == "12"
    assert run.lines["pread gave"] == "world"
    assert run.lines["read past end gave"] == "0"
    assert run.lines["size after pwrite"] == "102"
    assert run.lines["seek stdout"] == "spipe"
    assert run.lines["read bad fd"] == "badf"
    assert run.lines["write without right"] == "notcapable"
    assert run.lines["renumbered reads data.bin"] == "hello"


def test_fileio_stdout_and_stderr_in_order(fileio):
    run, _ = fileio
    assert "out1\nerr1\nout2\n" in run.out             # fd_write to 1, 2, 1: in that order


def test_fileio_host_tree(fileio):
    _, work = fileio
    assert sorted(tree(work)) == ["data.bin", "other.txt"]
    # "hello world", cut to 5, grown to 4096 by fd_allocate, set to 11, then "END" appended
    assert (work / "data.bin").read_bytes() == b"hello" + bytes(6) + b"END"
    assert os.stat(work / "data.bin").st_mtime_ns > 1_600_000_000 * SECOND      # MTIM_NOW


# --- paths -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def paths(tmp_path_factory, symlinks_ok):
    work = tmp_path_factory.mktemp("paths")
    args = () if symlinks_ok else ("nosymlink",)
    return run_program("paths", args, preopens={"/work": work}), work


def test_paths_passes(paths):
    run, _ = paths
    assert_passed(run)
    assert run.lines["entries listed"] == "42"
    assert run.lines["open missing"] == "noent"
    assert run.lines["rename dir over non-empty dir"] == "notempty"
    assert run.lines["link a directory"] == "perm"


def test_paths_host_tree(paths, symlinks_ok):
    _, work = paths
    found = tree(work)
    expected = {"d": "dir", "d/f": b"new", "renamed": b"new", "many": "dir", "moved": "dir"}
    expected.update({f"many/entry-{i:02d}": b"x" for i in range(40)})
    if symlinks_ok:
        expected["d/link"] = ("link", "f")
    assert found == expected
    assert os.stat(work / "d" / "f").st_mtime_ns == 1_200_000_000 * SECOND  # reads move atime
    assert os.path.samefile(work / "d" / "f", work / "renamed")     # path_link, then renamed


def test_paths_symlink_steps_ran(paths, symlinks_ok):
    run, _ = paths
    if not symlinks_ok:
        pytest.skip("the host does not let this user create symbolic links")
    assert run.lines["link target"] == "f"
    assert run.lines["cut target"] == "a-ra"
    assert run.lines["open link nofollow"] == "loop"
    assert {"path_symlink", "path_readlink"} <= run.calls


# --- sandbox -----------------------------------------------------------------------------------

def sandbox_tree(base: Path, symlinks_ok: bool) -> tuple[Path, Path]:
    """base/outside.txt, base/work (inside.txt, sub/, host-made links) and base/ro."""
    work, ro = base / "work", base / "ro"
    (work / "sub").mkdir(parents=True)
    (work / "inside.txt").write_bytes(b"inside")
    (base / "outside.txt").write_bytes(b"secret")
    (ro / "rodir").mkdir(parents=True)
    (ro / "ro.txt").write_bytes(b"read only")
    if symlinks_ok:
        os.symlink("../outside.txt", work / "escape")
        os.symlink(str(base / "outside.txt"), work / "abs")
        os.symlink("../../outside.txt", work / "sub" / "up")
        os.symlink("../created-outside.txt", work / "dangle")
    return work, ro


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, symlinks_ok):
    base = tmp_path_factory.mktemp("sandbox")
    work, ro = sandbox_tree(base, symlinks_ok)
    before = tree(base)
    ro_times = {p: os.stat(ro / p).st_mtime_ns for p in ("ro.txt", "rodir")}
    args = () if symlinks_ok else ("nosymlink",)
    run = run_program("sandbox", args,
                      preopens={"/work": work, "/ro": Preopen(ro, read_only=True)})
    return run, base, before, ro_times


def test_sandbox_passes(sandbox):
    run, *_ = sandbox
    assert_passed(run)
    for label in ("open ../outside.txt", "open absolute", "rename out", "link out",
                  "unlink ../outside.txt", "rmdir .."):
        assert run.lines[label] == "notcapable", label
    for label in ("write ro.txt", "create in /ro", "unlink in /ro", "rename /ro -> /work",
                  "link /ro -> /work", "create in /ro/rodir"):
        assert run.lines[label] == "perm", label


def test_sandbox_host_tree_untouched(sandbox, symlinks_ok):
    run, base, before, ro_times = sandbox
    after = tree(base)
    guest_links = {"work/sub/hop": ("link", ".."), "work/loop1": ("link", "loop2"),
                   "work/loop2": ("link", "loop1"), "work/self": ("link", "self")}
    expected = dict(before, **guest_links) if symlinks_ok else before
    assert after == expected
    assert (base / "outside.txt").read_bytes() == b"secret"
    assert not (base / "created-outside.txt").exists()
    assert {p: os.stat(base / "ro" / p).st_mtime_ns for p in ro_times} == ro_times


def test_sandbox_symlink_steps_ran(sandbox, symlinks_ok):
    run, *_ = sandbox
    if not symlinks_ok:
        pytest.skip("the host does not let this user create symbolic links")
    for label in ("open host link escape", "open host link abs", "symlink to ..",
                  "symlink to absolute", "open sub/hop/../outside.txt",
                  "create through dangling link"):
        assert run.lines[label] == "notcapable", label
    assert run.lines["open loop1"] == "loop"


def test_sandbox_through_whisk_run(tmp_path, symlinks_ok):
    """The same program through ``whisk.run`` with a read-only ``Preopen``."""
    work, ro = sandbox_tree(tmp_path, symlinks_ok)
    out = io.BytesIO()
    code = whisk.run(PROGRAMS / "sandbox.wasm", () if symlinks_ok else ("nosymlink",),
                     preopens={"/work": work, "/ro": Preopen(ro, read_only=True)},
                     stdin=b"", stdout=out, stderr=io.BytesIO())
    assert code == 0, out.getvalue().decode()


def test_sandbox_through_cli_dir_ro(tmp_path, capsys):
    """``--dir HOST::GUEST::ro`` on the command line."""
    work, ro = sandbox_tree(tmp_path, symlinks_ok=False)
    code = cli.main(["run", "--dir", f"{work}::/work", "--dir", f"{ro}::/ro::ro",
                     str(PROGRAMS / "sandbox.wasm"), "nosymlink"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "create in /ro: perm" in out


# --- escape (issue 11) -------------------------------------------------------------------------

def test_escape_program_stays_inside(tmp_path, symlinks_ok):
    """programs/escape.c: a real guest makes p/l -> .., keeps a descriptor of a directory,
    removes it and renames (then hard-links) the link over it; nothing above /work is read,
    created or listed through the old descriptor."""
    if not symlinks_ok:
        pytest.skip("the host does not let this user create symbolic links")
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_bytes(b"secret")
    before = tree(tmp_path / "outside")
    run = run_program("escape", preopens={"/work": work})
    assert_passed(run)
    for how in ("rename", "link"):
        assert run.lines[f"[{how}] listing shows no outside"] == "yes"
        assert run.lines[f"[{how}] read outside/secret.txt"] != "success"
        if os.name != "nt":
            assert run.lines[f"[{how}] move p/l to a"] == "success"
            assert run.lines[f"[{how}] read a/outside/secret.txt from /work"] == "notcapable"
    assert tree(tmp_path / "outside") == before
    assert sorted(os.listdir(tmp_path)) == ["outside", "work"]


# --- misc --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def misc(tmp_path_factory):
    work = tmp_path_factory.mktemp("misc")
    return run_program("misc", ["alpha", "béta"], env={"WHISK_GREETING": "hello"},
                       stdin=b"some input", preopens={"/work": work})


def test_misc_passes_and_exits_7(misc):
    assert_passed(misc, status=7)
    assert misc.lines["argv[2]"] == "béta"
    assert misc.lines["proc_raise"] == "nosys"
    assert misc.lines["poll nothing"] == "inval"
    assert misc.lines["sock_accept stdout"] == "notsock"
    assert misc.lines["sock_accept bad fd"] == "badf"


@pytest.fixture(scope="module")
def echo(tmp_path_factory):
    """misc in echo mode, on a listening socket handed in through ``WasiConfig(sockets=)``,
    with a client thread that sends "hello" and reads the answer to its end."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    answer: list[bytes] = []

    def client():
        with socket.create_connection(listener.getsockname(), timeout=30) as conn:
            conn.sendall(b"hello")
            data = b""
            while chunk := conn.recv(100):
                data += chunk
            answer.append(data)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    try:
        run = run_program("misc", ["echo"], preopens={"/work": tmp_path_factory.mktemp("echo")},
                          sockets=[listener])
    finally:
        thread.join(30)
        listener.close()
    return run, answer


def test_echo_over_a_socket(echo):
    run, answer = echo
    assert_passed(run, status=7)
    assert answer == [b"HELLO!"]
    assert {"sock_accept", "sock_recv", "sock_send", "sock_shutdown"} <= run.calls


# --- coverage of the 46 functions --------------------------------------------------------------

def test_programs_call_every_function(fileio, paths, sandbox, misc, echo):
    called = fileio[0].calls | paths[0].calls | sandbox[0].calls | misc.calls | echo[0].calls
    assert sorted(ALL_FUNCTIONS - called) == []


def test_programs_import_every_function():
    imported = set()
    for wasm in PROGRAMS.glob("*.wasm"):
        imported |= {i.name for i in whisk.Module.from_file(wasm).imports if i.module == MODULE}
    assert sorted(ALL_FUNCTIONS - imported) == []


def test_every_program_is_built():
    sources = {p.stem for p in PROGRAMS.glob("*.c")}
    assert sources == {p.stem for p in PROGRAMS.glob("*.wasm")}
    assert sources == {"fileio", "paths", "sandbox", "misc", "escape"}
    assert "*.c" in (PROGRAMS / "build.sh").read_text()
