"""The dynamic instruction mix of a run: how often each of the core's ops (and each pair of
consecutive ops) was dispatched, to pick superinstructions from real programs.

Counting needs a profile build of the core (``WHISK_PROFILE=1 python setup.py build_ext
--inplace --force``; the normal build's dispatch loop has no counter, see docs/internals.md).
``python -m whisk run --op-mix MODULE`` prints :func:`report` to stderr after the run.
"""

from __future__ import annotations

from typing import Any

from ._core import runtime
from ._core.oplayout import OPS

__all__ = ["available", "counts", "pair_counts", "reset", "report"]

_HINT = "WHISK_PROFILE=1 python setup.py build_ext --inplace --force"


def available() -> bool:
    """True if this core is a profile build (it counts the ops it dispatches)."""
    return runtime.op_counts() is not None


def _raw(pairs: bool) -> Any:
    raw = runtime.op_counts(pairs=pairs)
    if raw is None:
        raise RuntimeError(f"the instruction mix needs a profile build of the core ({_HINT})")
    return raw


def counts() -> dict[str, int]:
    """Op name -> times dispatched since the last reset (dispatched ops only). Raises
    RuntimeError if the core is not a profile build."""
    ops: dict[int, int] = _raw(False)
    return {OPS[op][0]: n for op, n in ops.items()}


def pair_counts() -> dict[tuple[str, str], int]:
    """(op name, name of the op dispatched next) -> times, since the last reset. Raises
    RuntimeError if the core is not a profile build."""
    prs: dict[tuple[int, int], int] = _raw(True)[1]
    return {(OPS[a][0], OPS[b][0]): n for (a, b), n in prs.items()}


def reset() -> None:
    """Zero the counts (a no-op in the normal build)."""
    runtime.reset_op_counts()


def report(top: int = 25) -> str:
    """The ``top`` most dispatched ops and op pairs, as text: count, share of all dispatches,
    name. Raises RuntimeError if the core is not a profile build."""
    ops, prs = counts(), pair_counts()
    total = sum(ops.values()) or 1
    lines = [f"instruction mix: {sum(ops.values())} ops dispatched, {len(ops)} distinct"]
    for n, name in sorted(((n, name) for name, n in ops.items()), reverse=True)[:top]:
        lines.append(f"  {n:>14} {100 * n / total:6.2f}%  {name}")
    lines.append(f"op pairs (an op, then the next one dispatched): {len(prs)} distinct")
    for n, (a, b) in sorted(((n, ab) for ab, n in prs.items()), reverse=True)[:top]:
        lines.append(f"  {n:>14} {100 * n / total:6.2f}%  {a} -> {b}")
    return "\n".join(lines) + "\n"
