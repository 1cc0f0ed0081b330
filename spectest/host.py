"""The ``spectest`` host module that the spec test scripts import.

* functions ``print``, ``print_i32``, ``print_i64``, ``print_f32``, ``print_f64``,
  ``print_i32_f32``, ``print_f64_f64``: no-ops;
* immutable globals ``global_i32`` = 666, ``global_i64`` = 666, ``global_f32`` = 666.6,
  ``global_f64`` = 666.6;
* ``table``: funcref table, min 10, max 20;
* ``table64``: the same with 64-bit indices (WebAssembly 3.0, memory64), where the engine
  decodes 64-bit tables: it comes from instantiating :data:`TABLE64_MODULE`;
* ``memory``: 1 page, max 2.

(The reference interpreter's ``interpreter/host/spectest.ml``.)

:data:`FUNCS`, :data:`GLOBALS`, :data:`TABLE` and :data:`MEMORY` describe it; the builders turn
the description into one engine's objects.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

__all__ = ["FUNCS", "GLOBALS", "TABLE", "MEMORY", "TABLE64_MODULE", "noop", "whisk_spectest",
           "wasmtime_spectest"]

# name -> (params, results)
FUNCS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    "print": ((), ()),
    "print_i32": (("i32",), ()),
    "print_i64": (("i64",), ()),
    "print_f32": (("f32",), ()),
    "print_f64": (("f64",), ()),
    "print_i32_f32": (("i32", "f32"), ()),
    "print_f64_f64": (("f64", "f64"), ()),
}
# name -> (valtype, value); all immutable
GLOBALS: Dict[str, Tuple[str, Any]] = {
    "global_i32": ("i32", 666),
    "global_i64": ("i64", 666),
    "global_f32": ("f32", 666.6),
    "global_f64": ("f64", 666.6),
}
# raw bits of the float globals (666.6 rounded to each format)
GLOBAL_BITS = {"global_f32": 0x4426A666, "global_f64": 0x4084D4CCCCCCCCCD}
TABLE = ("table", "funcref", 10, 20)
MEMORY = ("memory", 1, 2)
# (module (table (export "table64") i64 10 20 funcref)): limits flags 0x05 = maximum + 64-bit
TABLE64_MODULE = (b"\0asm\x01\0\0\0" + b"\x04\x05\x01\x70\x05\x0a\x14"
                  + b"\x07\x0b\x01\x07table64\x01\x00")


def noop(*args: Any) -> None:
    """The body of every spectest function: does nothing, returns nothing."""
    return None


def _noop_named(name: str):
    def f(*args: Any) -> None:
        return None

    f.__name__ = f.__qualname__ = f"spectest_{name}"
    return f


def whisk_spectest(whisk: Any) -> Dict[str, Any]:
    """The spectest module as a whisk imports mapping (functions as plain Python callables)."""
    exports: Dict[str, Any] = {name: _noop_named(name) for name in FUNCS}
    for name, (vt, value) in GLOBALS.items():
        exports[name] = whisk.Global(vt, value, mutable=False)
    tname, reftype, tmin, tmax = TABLE
    exports[tname] = whisk.Table(reftype, tmin, tmax)
    mname, mmin, mmax = MEMORY
    exports[mname] = whisk.Memory(mmin, mmax)
    try:
        exports["table64"] = whisk.Instance(whisk.Module(TABLE64_MODULE)).exports["table64"]
    except Exception:  # a whisk without 64-bit tables: scripts importing it fail to link
        pass
    return exports


def wasmtime_spectest(wasmtime: Any, store: Any, engine: Any = None) -> Dict[str, Any]:
    """The spectest module as wasmtime externs in ``store`` (``table64`` too when ``engine``,
    the store's engine, has memory64 enabled)."""
    vt = {
        "i32": wasmtime.ValType.i32(),
        "i64": wasmtime.ValType.i64(),
        "f32": wasmtime.ValType.f32(),
        "f64": wasmtime.ValType.f64(),
        "funcref": wasmtime.ValType.funcref(),
    }
    exports: Dict[str, Any] = {}
    for name, (params, results) in FUNCS.items():
        ft = wasmtime.FuncType([vt[p] for p in params], [vt[r] for r in results])
        exports[name] = wasmtime.Func(store, ft, _noop_named(name))
    for name, (t, value) in GLOBALS.items():
        gt = wasmtime.GlobalType(vt[t], False)
        val = {"i32": wasmtime.Val.i32, "i64": wasmtime.Val.i64,
               "f32": wasmtime.Val.f32, "f64": wasmtime.Val.f64}[t](value)
        exports[name] = wasmtime.Global(store, gt, val)
    tname, reftype, tmin, tmax = TABLE
    exports[tname] = wasmtime.Table(
        store, wasmtime.TableType(vt[reftype], wasmtime.Limits(tmin, tmax)), None
    )
    mname, mmin, mmax = MEMORY
    exports[mname] = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(mmin, mmax)))
    try:  # (wasmtime-py has no 64-bit TableType; memory64 must be enabled)
        module = wasmtime.Module(engine, TABLE64_MODULE)
        exports["table64"] = wasmtime.Instance(store, module, []).exports(store)["table64"]
    except Exception:
        pass
    return exports
