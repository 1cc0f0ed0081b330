"""A summary of a module's interface, for ``python -m whisk inspect``.

``describe(module)`` returns plain data (dicts, lists, strings, ints; ready for ``json.dumps``):
the imports and exports with their types, the memories, tables and globals of each index space
(imported ones first, marked ``"imported": true``), the start function and the custom sections
with their sizes. ``format_text(summary)`` renders it for people.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .structure import Instr, ModuleStruct
from .types import ExternType, FuncType, GlobalType, Limits, MemoryType, TableType, TagType

if TYPE_CHECKING:
    from .module import Module

__all__ = ["describe", "format_text", "type_json", "type_text"]


def _limits_json(limits: Limits) -> dict[str, Any]:
    return {"min": limits.min, "max": limits.max}


def _limits_text(limits: Limits) -> str:
    return f"{limits.min}..{'' if limits.max is None else limits.max}"


def type_json(t: object) -> dict[str, Any]:
    """An extern type as JSON-ready data, with its ``kind``."""
    if isinstance(t, FuncType):
        return {"kind": "func", "params": [str(v) for v in t.params],
                "results": [str(v) for v in t.results]}
    if isinstance(t, TableType):
        return {"kind": "table", "elem": str(t.elem), **_limits_json(t.limits)}
    if isinstance(t, MemoryType):
        return {"kind": "memory", **_limits_json(t.limits)}
    if isinstance(t, GlobalType):
        return {"kind": "global", "valtype": str(t.valtype), "mutable": t.mutable}
    if isinstance(t, TagType):
        return {"kind": "tag", "params": [str(v) for v in t.type.params]}
    raise TypeError(f"not an extern type: {t!r}")


def type_text(t: object) -> str:
    """An extern type in one line: ``func [i32 i32] -> [i32]``, ``memory 1..`` (no maximum),
    ``table funcref 2..10``, ``global mut i64``, ``tag [i32]``."""
    if isinstance(t, FuncType):
        return f"func {t}"
    if isinstance(t, TableType):
        return f"table {t.elem} {_limits_text(t.limits)}"
    if isinstance(t, MemoryType):
        return f"memory {_limits_text(t.limits)}"
    if isinstance(t, GlobalType):
        return f"global {'mut ' if t.mutable else ''}{t.valtype}"
    if isinstance(t, TagType):
        return f"tag [{' '.join(map(str, t.type.params))}]"
    raise TypeError(f"not an extern type: {t!r}")


def _const_text(expr: tuple[Instr, ...]) -> str:
    # immediates of several parts (array.new_fixed's type and count) space-separated
    def imm(x: Any) -> str:
        return " ".join(map(str, x)) if isinstance(x, tuple) else str(x)
    return "; ".join(ins.name if ins.imm is None else f"{ins.name} {imm(ins.imm)}" for ins in expr)


def _space(m: ModuleStruct, kind: str, types: Sequence[ExternType],
           extra: Callable[[int], dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One index space (``types``, imports first), each entry with its index and type;
    ``extra(j)`` adds fields to the j-th defined entry."""
    nimported = len(m.imported(kind))
    out = []
    for i, t in enumerate(types):
        entry = {"index": i, "imported": i < nimported, **type_json(t)}
        if extra is not None and i >= nimported:
            entry.update(extra(i - nimported))
        out.append(entry)
    return out


def describe(module: Module) -> dict[str, Any]:
    """The interface of a ``whisk.Module`` as JSON-ready data (see the module docstring)."""
    m = module._struct
    return {
        "imports": [{"module": i.module, "name": i.name, "type": type_json(i.type)}
                    for i in module.imports],
        "exports": [{"name": e.name, "type": type_json(e.type)} for e in module.exports],
        "functions": {"imported": len(m.imported("func")), "defined": len(m.funcs)},
        "memories": _space(m, "memory", m.memory_types()),
        "tables": _space(m, "table", m.table_types()),
        "globals": _space(m, "global", m.global_types(),
                          lambda j: {"init": _const_text(m.globals[j].init)}),
        "start": m.start,
        "custom_sections": [{"name": name, "size": len(payload)} for name, payload in m.customs],
    }


def _entry_type(entry: dict[str, Any]) -> object:
    """Rebuild the type object of a ``type_json`` dict (for printing)."""
    kind = entry["kind"]
    if kind == "func":
        # (value types come back as their text, "(ref null $type3)" too: not re-validated)
        ft = object.__new__(FuncType)
        ft.__dict__.update(params=tuple(entry["params"]), results=tuple(entry["results"]))
        return ft
    if kind == "global":
        return GlobalType(entry["valtype"], entry["mutable"])
    if kind == "tag":
        return TagType(FuncType(tuple(entry["params"]), ()))
    limits = Limits(entry["min"], entry["max"])
    return TableType(limits, entry["elem"]) if kind == "table" else MemoryType(limits)


def format_text(summary: dict[str, Any]) -> str:
    """``describe(...)`` output as human-readable text, one section per heading."""
    lines: list[str] = []

    def section(title: str, rows: list[str]) -> None:
        lines.append(f"{title} ({len(rows)}):" if rows else f"{title}: none")
        lines.extend(f"  {row}" for row in rows)

    section("imports", [f"{i['module']}.{i['name']}: {type_text(_entry_type(i['type']))}"
                        for i in summary["imports"]])
    section("exports", [f"{e['name']}: {type_text(_entry_type(e['type']))}"
                        for e in summary["exports"]])
    funcs = summary["functions"]
    lines.append(f"functions: {funcs['imported']} imported, {funcs['defined']} defined"
                 + ("" if summary["start"] is None else f", start = {summary['start']}"))
    for title in ("memories", "tables", "globals"):
        section(title, [f"{e['index']}: {type_text(_entry_type(e))}"
                        + (" (imported)" if e["imported"] else "")
                        + (f" = {e['init']}" if e.get("init") else "")
                        for e in summary[title]])
    section("custom sections", [f"{c['name']!r}: {c['size']} bytes"
                                for c in summary["custom_sections"]])
    return "\n".join(lines)
