"""Issue 11, item 6: guest -> host -> guest re-entry has a limit of its own (independent of
sys.setrecursionlimit) and raises Exhaustion instead of overflowing the C stack."""

from __future__ import annotations

from trustlib import run_isolated

# down(n) recurses through the host import back(n) = down(n - 1) + 1: n levels of re-entry
SETUP = """
sys.setrecursionlimit(1_000_000)
threading.stack_size({stack})
m = wat('''(module (import "env" "back" (func $back (param i32) (result i32)))
  (func (export "down") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $back (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.const 0)))))''')
box = {{}}
inst = whisk.Instance(m, {{"env": {{"back": lambda n: box["down"](n) + 1}}}})
box["down"] = inst.exports.down
"""


def test_deep_reentry_raises_exhaustion():
    out = run_isolated(SETUP.format(stack=64 << 20), """
    assert box["down"](100) == 100
    def deep():
        try:
            box["down"](100_000)
        except whisk.Exhaustion as exc:
            print("exhausted", exc.message)
    t = threading.Thread(target=deep)
    t.start(); t.join()
    deep()                           # the main thread too (8 MiB stack, or 1 MiB on Windows)
    assert box["down"](100) == 100   # usable afterwards
    """)
    assert out.count("exhausted call stack exhausted") == 2


def test_reentry_through_a_small_thread_stack():
    run_isolated(SETUP.format(stack=512 << 10), """           # macOS's default for threads
    res = []
    def deep():
        try:
            box["down"](100_000)
        except (whisk.Exhaustion, RecursionError) as exc:
            res.append(type(exc).__name__)
    t = threading.Thread(target=deep)
    t.start(); t.join()
    assert res, "no exception"
    """)
