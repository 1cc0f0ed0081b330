"""The wasmtime-py engine adapters (see :mod:`spectest.engines` for the interface).

``wasmtime`` enables the WebAssembly 2.0 features only: the reference for differential checks of
the 2.0 suite.  ``wasmtime-3.0`` enables the 3.0 proposals but GC.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence, Tuple

from .engines import _MASK, Failure
from .signatures import export_signatures
from .values import Value

__all__ = ["WasmtimeEngine", "Wasmtime3Engine"]

_BITS_TYPES = ("f32", "f64", "v128")  # types that wasmtime-py cannot pass losslessly


class _WtModule:
    __slots__ = ("module", "binary", "_sigs")

    def __init__(self, module: Any, binary: bytes):
        self.module = module
        self.binary = binary
        self._sigs: Any = None

    def signatures(self) -> Tuple[Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]], Dict[str, Tuple[str, bool]]]:
        if self._sigs is None:
            self._sigs = export_signatures(self.binary)
        return self._sigs


class _WtInstance:
    __slots__ = ("instance", "exports", "thunks", "module")

    def __init__(self, instance: Any, exports: Dict[str, Any], module: _WtModule):
        self.instance = instance
        self.exports = exports
        self.thunks: Dict[str, Any] = {}
        self.module = module


class WasmtimeEngine:
    """Adapter over wasmtime-py, configured for WebAssembly 2.0 features only (the reference for
    differential checks of the 2.0 suite; :class:`Wasmtime3Engine` enables 3.0).

    wasmtime-py passes floats through C ``float``/``double`` (which may quiet signalling NaNs)
    and cannot pass v128 at all, so calls whose signature has f32/f64/v128 go through a small
    generated wasm "thunk" that takes and returns the raw bits as integers (``reinterpret``),
    v128 as two i64 halves.  Failure messages are wasmtime's own, so only the kind counts; and
    wasmtime reports decode and validation errors alike, so those are kind 'compile'.
    """

    name = "wasmtime"
    exact_messages = False
    merged_compile_errors = True
    WASM_3_0 = False  # enable the WebAssembly 3.0 proposals (but GC)?

    def __init__(self) -> None:
        import wasmtime

        self.wt = wasmtime
        cfg = wasmtime.Config()
        v3 = self.WASM_3_0
        for feature, on in [
            ("wasm_reference_types", True), ("wasm_simd", True), ("wasm_bulk_memory", True),
            ("wasm_multi_value", True), ("wasm_multi_memory", v3), ("wasm_memory64", v3),
            ("wasm_threads", False), ("wasm_tail_call", v3), ("wasm_relaxed_simd", v3),
            ("wasm_function_references", v3), ("wasm_gc", False), ("wasm_exceptions", v3),
            ("wasm_wide_arithmetic", False), ("wasm_custom_page_sizes", False),
            ("wasm_stack_switching", False), ("wasm_component_model", False),
        ]:
            try:
                setattr(cfg, feature, on)
            except Exception:  # older/newer wasmtime-py without that knob
                pass
        cfg.cranelift_opt_level = "none"
        try:
            cfg.parallel_compilation = False
        except Exception:
            pass
        self.engine = wasmtime.Engine(cfg)
        self.store = wasmtime.Store(self.engine)
        self._thunk_modules: Dict[Any, Any] = {}

    # -- interface -------------------------------------------------------------------------

    def spectest(self) -> Mapping[str, Any]:
        from .host import wasmtime_spectest

        return wasmtime_spectest(self.wt, self.store, self.engine)

    def load(self, binary: bytes) -> Any:
        wt = self.wt
        try:
            return _WtModule(wt.Module(self.engine, binary), binary)
        except wt.WasmtimeError as e:
            raise Failure("compile", str(e)) from None

    def instantiate(self, wmodule: _WtModule, registry: Mapping[str, Mapping[str, Any]]) -> Any:
        wt = self.wt
        module = wmodule.module
        externs = []
        for imp in module.imports:
            mod = registry.get(imp.module)
            if mod is None:
                raise Failure("unlinkable", f"unknown import: module {imp.module!r} not registered")
            ext = mod.get(imp.name or "")
            if ext is None:
                raise Failure("unlinkable", f"unknown import {imp.module!r} {imp.name!r}")
            externs.append(ext)
        try:
            inst = wt.Instance(self.store, module, externs)
        except wt.Trap as e:
            raise Failure("uninstantiable", _wt_trap_message(e)) from None
        except wt.WasmtimeError as e:
            msg = str(e)
            # a trap during instantiation may come back as an error wrapping the trap
            if "wasm trap" in msg or "wasm backtrace" in msg:
                raise Failure("uninstantiable", msg) from None
            raise Failure("unlinkable", msg) from None
        return _WtInstance(inst, dict(inst.exports(self.store).items()), wmodule)

    def exports(self, instance: _WtInstance) -> Mapping[str, Any]:
        return instance.exports

    def invoke(self, instance: _WtInstance, name: str, args: Sequence[Value]) -> List[Value]:
        wt = self.wt
        call = instance.thunks.get(name)
        if call is None:
            call = instance.thunks[name] = self._make_caller(instance, name)
        try:
            return call(args)
        except wt.Trap as e:
            if e.trap_code == wt.TrapCode.STACK_OVERFLOW:
                raise Failure("exhaustion", _wt_trap_message(e)) from None
            if "thrown Wasm exception" in str(e):  # an uncaught exception (no trap code)
                raise Failure("exception", "uncaught exception") from None
            raise Failure("trap", _wt_trap_message(e)) from None

    def get(self, instance: _WtInstance, name: str) -> Value:
        wt = self.wt
        g = instance.exports.get(name)
        if not isinstance(g, wt.Global):
            raise LookupError(f"no global export named {name!r}")
        t, mutable = instance.module.signatures()[1][name]
        if t in ("i32", "i64"):
            return Value(t, g.value(self.store) & _MASK[t])
        if t not in _BITS_TYPES:  # references
            return Value(t, g.value(self.store))
        # floats and vectors: read the raw bits through a thunk
        key = ("global", t, mutable)
        mod = self._thunk_modules.get(key)
        if mod is None:
            mut = f"(mut {t})" if mutable else t
            body = {"f32": "global.get 0 i32.reinterpret_f32",
                    "f64": "global.get 0 i64.reinterpret_f64",
                    "v128": "global.get 0 i64x2.extract_lane 0 global.get 0 i64x2.extract_lane 1"}[t]
            res = {"f32": "i32", "f64": "i64", "v128": "i64 i64"}[t]
            wat = (f'(module (import "m" "g" (global {mut})) '
                   f'(func (export "t") (result {res}) {body}))')
            mod = self._thunk_modules[key] = wt.Module(self.engine, wt.wat2wasm(wat))
        thunk = wt.Instance(self.store, mod, [g]).exports(self.store)["t"]
        out = thunk(self.store)
        if t == "v128":
            lo, hi = out
            return Value(t, (lo & _MASK["i64"]) | ((hi & _MASK["i64"]) << 64))
        return Value(t, out & _MASK[t])

    # -- helpers ---------------------------------------------------------------------------

    def _make_caller(self, instance: _WtInstance, name: str):
        wt = self.wt
        store = self.store
        f = instance.exports.get(name)
        if not isinstance(f, wt.Func):
            raise LookupError(f"no function export named {name!r}")
        # (the signature comes from the binary: wasmtime's C API aborts on v128 value types)
        params, results = instance.module.signatures()[0][name]
        if not any(t in _BITS_TYPES for t in params + results) or any(
                t[-1:] == ")" and t[-2:-1].isdigit() for t in params + results):
            # (a thunk cannot name the module's own types, so a signature with a concrete
            # reference type (ref null? N) is called directly)
            target = f
        else:
            key = ("func", params, results)
            mod = self._thunk_modules.get(key)
            if mod is None:
                mod = self._thunk_modules[key] = wt.Module(
                    self.engine, wt.wat2wasm(_thunk_wat(params, results)))
            target = wt.Instance(store, mod, [f]).exports(store)["t"]

        nflat = sum(2 if t == "v128" else 1 for t in results)

        Val = wt.Val

        def to_wt(t: str, v: Value) -> List[Any]:
            # (Val objects: wasmtime-py converts them without re-checking the type)
            x = v.value
            if t == "i32" or t == "f32":
                x &= 0xFFFFFFFF
                return [Val.i32(x - (1 << 32) if x >> 31 else x)]
            if t == "i64" or t == "f64":
                x &= _MASK["i64"]
                return [Val.i64(x - (1 << 64) if x >> 63 else x)]
            if t == "v128":
                lo, hi = x & _MASK["i64"], (x >> 64) & _MASK["i64"]
                return [Val.i64(lo - (1 << 64) if lo >> 63 else lo),
                        Val.i64(hi - (1 << 64) if hi >> 63 else hi)]
            return [x]  # references: None, ExternRef or a wasmtime Func

        def call(args: Sequence[Value]) -> List[Value]:
            if len(args) != len(params):
                raise TypeError(f"{name}: expected {len(params)} arguments, got {len(args)}")
            flat: List[Any] = []
            for t, a in zip(params, args):
                flat += to_wt(t, a)
            out = target(store, *flat)
            if nflat == 0:
                out = []
            elif nflat == 1:
                out = [out]
            vals: List[Value] = []
            i = 0
            for t in results:
                if t == "v128":
                    lo, hi = out[i], out[i + 1]
                    i += 2
                    vals.append(Value(t, (lo & _MASK["i64"]) | ((hi & _MASK["i64"]) << 64)))
                else:
                    x = out[i]
                    i += 1
                    vals.append(Value(t, x & _MASK[t] if t in _MASK else x))
            return vals

        return call


# The thunk's conversions between a value type and its bits-only form: (bits types, code);
# {a} (and {b}, the second i64 of a v128) push the operand(s).
_TO_TYPED = {"f32": (("i32",), "{a} f32.reinterpret_i32"), "f64": (("i64",), "{a} f64.reinterpret_i64"),
             "v128": (("i64", "i64"), "{a} i64x2.splat {b} i64x2.replace_lane 1")}
_TO_BITS = {"f32": (("i32",), "{a} i32.reinterpret_f32"), "f64": (("i64",), "{a} i64.reinterpret_f64"),
            "v128": (("i64", "i64"), "{a} i64x2.extract_lane 0 {a} i64x2.extract_lane 1")}


def _thunk_wat(params: Sequence[str], results: Sequence[str]) -> str:
    """A module importing "m" "f" of the given type and exporting "t" with bits-only types."""
    flat_p: List[str] = []
    body: List[str] = []
    for t in params:
        i = len(flat_p)
        flat, code = _TO_TYPED.get(t, ((t,), "{a}"))
        flat_p += flat
        body.append(code.format(a=f"local.get {i}", b=f"local.get {i + 1}"))
    body.append("call 0")
    nparams = len(flat_p)
    # spill the results into locals (last result is on top), then push them converted
    for k in reversed(range(len(results))):
        body.append(f"local.set {nparams + k}")
    flat_r: List[str] = []
    for k, t in enumerate(results):
        flat, code = _TO_BITS.get(t, ((t,), "{a}"))
        flat_r += flat
        body.append(code.format(a=f"local.get {nparams + k}"))

    def sig(kw: str, ts: Sequence[str]) -> str:
        return f"({kw} {' '.join(ts)})" if ts else ""

    locals_ = sig("local", results)
    return (
        f'(module (import "m" "f" (func {sig("param", params)} {sig("result", results)})) '
        f'(func (export "t") {sig("param", flat_p)} {sig("result", flat_r)} {locals_} '
        + " ".join(body)
        + "))"
    )


def _wt_trap_message(e: BaseException) -> str:
    msg = getattr(e, "message", None)
    if not isinstance(msg, str):
        msg = str(e)
    return msg.split("\n", 1)[0]


class Wasmtime3Engine(WasmtimeEngine):
    """wasmtime-py with the WebAssembly 3.0 proposals but GC: exceptions (an uncaught one is a
    trap "thrown Wasm exception" there), tail calls, typed function references, multiple
    memories, memory64, relaxed SIMD.  wasmtime-py cannot pass exnref values, nor offer the
    spectest ``table64``."""

    name = "wasmtime-3.0"
    WASM_3_0 = True
