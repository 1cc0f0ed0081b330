"""Limits and interruption through the public API: Store(fuel=, max_memory_bytes=,
max_call_depth=), Store.interrupt() / Instance.interrupt(), call timeouts and Ctrl-C."""

import signal
import subprocess
import sys
import textwrap
import threading

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402

WAT = """(module
  (memory (export "mem") 1 100)
  (func (export "spin") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.ne (local.get 1) (local.get 0))))
    (local.get 1))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "forever") (loop $l (br $l))))"""


@pytest.fixture(scope="module")
def module():
    return whisk.Module(wasmtime.wat2wasm(WAT))


def test_fuel_is_about_one_unit_per_instruction(module):
    store = whisk.Store(fuel=1_000_000)
    e = whisk.Instance(module, store=store).exports
    assert e.spin(1000) == 1000
    used = 1_000_000 - store.fuel
    # 8 instructions per taken backward branch (999 of them), a few outside the loop
    assert 8 * 999 < used <= 8 * 1000 + 20


def test_fuel_runs_out_with_a_trap_and_can_be_refilled(module):
    store = whisk.Store(fuel=5000)
    e = whisk.Instance(module, store=store).exports
    with pytest.raises(whisk.Exhaustion, match="all fuel consumed"):
        e.spin(10**9)
    assert store.fuel == 0
    with pytest.raises(whisk.Exhaustion):            # calls consume fuel too
        e.fib(25)
    store.fuel = 10**8
    assert e.fib(20) == 6765
    assert 0 < 10**8 - store.fuel < 10**6
    store.fuel = None                                # unmetered
    assert e.spin(100000) == 100000 and store.fuel is None


def test_fuel_is_shared_by_the_instances_of_a_store(module):
    store = whisk.Store(fuel=20_000)
    a = whisk.Instance(module, store=store).exports
    b = whisk.Instance(module, store=store).exports
    a.spin(1000)
    b.spin(1000)
    assert 20_000 - store.fuel >= 15_900            # about 8,000 each
    with pytest.raises(whisk.Exhaustion):
        b.spin(10_000)


def test_timeout_stops_an_infinite_loop(module):
    e = whisk.Instance(module).exports
    with pytest.raises(whisk.Interrupted, match="timeout"):
        e.forever(timeout=0.05)
    assert e.spin(10) == 10                          # the instance stays usable
    assert e.spin(10, timeout=5) == 10


def test_interrupt_from_another_thread(module):
    inst = whisk.Instance(module)
    timer = threading.Timer(0.05, inst.interrupt)
    timer.start()
    with pytest.raises(whisk.Interrupted, match="interrupted") as info:
        inst.exports.forever()
    assert isinstance(info.value, whisk.Trap)
    assert inst.exports.spin(5) == 5                 # the interrupt was consumed


def test_interrupt_reaches_every_instance_of_the_store(module):
    store = whisk.Store()
    a = whisk.Instance(module, store=store)
    b = whisk.Instance(module, store=store)
    assert a.store is store and b.store is store
    threading.Timer(0.05, store.interrupt).start()
    with pytest.raises(whisk.Interrupted):
        b.exports.forever()


def test_max_call_depth(module):
    store = whisk.Store(max_call_depth=50)
    e = whisk.Instance(module, store=store).exports
    assert e.fib(20) == 6765                         # depth 20
    with pytest.raises(whisk.Exhaustion, match="call stack exhausted"):
        e.fib(60)                                    # depth 60 (the first path recurses by 1)
    deep = whisk.Store(max_call_depth=50_000)
    spin_deep = whisk.Module(wasmtime.wat2wasm(
        '(module (func $r (export "r") (param i32) (result i32)'
        ' (if (result i32) (local.get 0) (then (call $r (i32.sub (local.get 0) (i32.const 1))))'
        ' (else (i32.const 7)))))'))
    assert whisk.Instance(spin_deep, store=deep).exports.r(20_000) == 7
    with pytest.raises(whisk.Exhaustion):
        whisk.Instance(spin_deep).exports.r(20_000)  # the default limit is 10,000 frames


def test_max_memory_bytes(module):
    store = whisk.Store(max_memory_bytes=4 * 65536)
    e = whisk.Instance(module, store=store).exports
    assert e.grow(3) == 1                            # 1 -> 4 pages
    assert e.grow(1) == -1                           # 5 pages would pass the limit
    assert len(e.mem) == 4 * 65536
    with pytest.raises(whisk.LinkError, match="exceeds"):
        whisk.Instance(module, store=whisk.Store(max_memory_bytes=1000))


def test_store_arguments_are_checked():
    with pytest.raises(ValueError):
        whisk.Store(fuel=-1)
    with pytest.raises(ValueError):
        whisk.Store(max_call_depth=0)
    with pytest.raises(ValueError):
        whisk.Store(max_memory_bytes=-5)


def test_ctrl_c_raises_keyboard_interrupt_in_the_caller(tmp_path):
    script = tmp_path / "spin.py"
    script.write_text(textwrap.dedent(f"""
        import sys, wasmtime, whisk
        m = whisk.Module(wasmtime.wat2wasm({WAT!r}))
        try:
            forever = whisk.Instance(m).exports.forever
            print("ready", flush=True)         # inside the try: SIGINT may come at once
            forever()
        except KeyboardInterrupt:
            print("KeyboardInterrupt", flush=True)
            sys.exit(3)
    """))
    if sys.platform == "win32":
        pytest.skip("sending SIGINT to a child process is POSIX-only")
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
    finally:
        p.kill()
    assert out.strip() == "KeyboardInterrupt" and p.returncode == 3


def test_whisk_run_takes_fuel_and_timeout():
    from pathlib import Path
    import io
    sha = Path(__file__).resolve().parent.parent / "examples" / "sha256.wasm"
    with pytest.raises(whisk.Exhaustion, match="all fuel consumed"):
        whisk.run(sha, ["100000"], fuel=100_000, stdout=io.BytesIO())
    with pytest.raises(whisk.Interrupted, match="timeout"):
        whisk.run(sha, ["100000000"], timeout=0.05, stdout=io.BytesIO())
    out = io.BytesIO()
    store = whisk.Store(fuel=10**9)
    assert whisk.run(sha, ["1000"], store=store, stdout=out) == 0
    assert 0 < 10**9 - store.fuel < 10**8 and len(out.getvalue()) > 64


def test_guest_code_runs_without_the_gil(module):
    # While a guest spins in another thread, this thread keeps running Python code.
    e = whisk.Instance(module).exports
    done = threading.Event()
    caught = []

    def spin():
        try:
            e.forever(timeout=0.5)
        except whisk.Interrupted as exc:
            caught.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=spin)
    thread.start()
    steps = 0
    while not done.is_set():
        steps += 1
    thread.join()
    assert caught and steps > 10_000
