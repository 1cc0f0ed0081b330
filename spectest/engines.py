"""Engine adapters: the small interface through which the runner drives a WebAssembly engine.

An adapter provides::

    name: str
    exact_messages: bool          # compare failure texts (expected text must be a prefix)?
    merged_compile_errors: bool   # True if the engine cannot tell malformed from invalid
    spectest() -> Mapping[str, extern]                  # the host module, in this engine
    load(binary: bytes) -> module                       # Failure('malformed'|'invalid'|'compile')
    instantiate(module, registry) -> instance           # Failure('unlinkable'|'uninstantiable')
    exports(instance) -> Mapping[str, extern]           # what `register` puts in the registry
    invoke(instance, name, args: Sequence[Value]) -> list[Value]   # Failure('trap'|'exhaustion')
    get(instance, name) -> Value

``registry`` maps module names ("spectest" and each registered name) to export mappings as
returned by :meth:`exports`.  Every expected failure is raised as :class:`Failure` ``(kind,
message)``; any other exception escaping an adapter is an engine bug and is reported as such.
Values are :class:`~spectest.script.Value` with raw bits (unsigned ints) for numbers/vectors.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from .script import Value

__all__ = ["Failure", "ENGINES", "get_engine", "WhiskEngine", "WasmtimeEngine"]

REPO_ROOT = Path(__file__).resolve().parent.parent

_MASK = {"i32": 0xFFFFFFFF, "i64": 0xFFFFFFFFFFFFFFFF, "f32": 0xFFFFFFFF,
         "f64": 0xFFFFFFFFFFFFFFFF, "v128": (1 << 128) - 1}


class Failure(Exception):
    """An engine reported one of the failures a script can assert.

    ``kind``: 'malformed', 'invalid', 'compile' (malformed or invalid: the engine cannot tell),
    'unlinkable', 'uninstantiable', 'trap', 'exhaustion'.
    """

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def _message(e: BaseException) -> str:
    m = getattr(e, "message", None)
    if isinstance(m, str):
        return m
    return str(e)


# --------------------------------------------------------------------------------------------
# whisk


def _import_whisk():
    try:
        import whisk  # noqa: F401
    except ImportError:
        src = str(REPO_ROOT / "src")
        if (REPO_ROOT / "src" / "whisk").is_dir() and src not in sys.path:
            sys.path.insert(0, src)
        import whisk  # noqa: F811
    return whisk


class WhiskEngine:
    """Adapter over whisk's public API (``whisk.Module``, ``whisk.Instance``, ``Func.call_bits``)."""

    name = "whisk"
    exact_messages = True
    merged_compile_errors = False

    def __init__(self) -> None:
        self.whisk = _import_whisk()

    def spectest(self) -> Mapping[str, Any]:
        from .host import whisk_spectest

        return whisk_spectest(self.whisk)

    def load(self, binary: bytes) -> Any:
        w = self.whisk
        try:
            return w.Module(binary)
        except w.DecodeError as e:
            raise Failure("malformed", _message(e)) from None
        except w.ValidationError as e:
            raise Failure("invalid", _message(e)) from None

    def instantiate(self, module: Any, registry: Mapping[str, Mapping[str, Any]]) -> Any:
        w = self.whisk
        try:
            return w.Instance(module, imports=registry)
        except w.LinkError as e:
            raise Failure("unlinkable", _message(e)) from None
        except w.Trap as e:
            raise Failure("uninstantiable", _message(e)) from None

    def exports(self, instance: Any) -> Mapping[str, Any]:
        return instance.exports

    def _export(self, instance: Any, name: str) -> Any:
        try:
            return instance.exports[name]
        except KeyError:
            raise LookupError(f"no export named {name!r}") from None

    def invoke(self, instance: Any, name: str, args: Sequence[Value]) -> List[Value]:
        w = self.whisk
        f = self._export(instance, name)
        try:
            raw = f.call_bits(*[a.value for a in args])
        except w.Exhaustion as e:
            raise Failure("exhaustion", _message(e)) from None
        except w.Trap as e:
            raise Failure("trap", _message(e)) from None
        types = tuple(f.type.results)
        if raw is None:
            raw = ()
        elif not isinstance(raw, (tuple, list)):
            raw = (raw,)
        if len(raw) != len(types):
            return [Value(None, r) for r in raw]
        return [_whisk_value(t, r) for t, r in zip(types, raw)]

    def get(self, instance: Any, name: str) -> Value:
        g = self._export(instance, name)
        t = _whisk_global_type(g)
        v = getattr(g, "value_bits", None)
        if v is None:
            v = g.value
        return _whisk_value(t, v)


def _whisk_value(t: Any, v: Any) -> Value:
    if getattr(t, "heap", None) is not None:     # a whisk RefType (3.0): its family's name
        from whisk.types import heap_family
        t = {"func": "funcref", "extern": "externref", "exn": "exnref"}.get(
            heap_family(t.heap), "anyref")
    if t in _MASK and isinstance(v, int) and not isinstance(v, bool):
        return Value(t, v & _MASK[t])
    return Value(t, v)


def _whisk_global_type(g: Any) -> Any:
    """The value type of a whisk global if it exposes one (else None: patterns decide)."""
    for attr in ("type", "global_type"):
        gt = getattr(g, attr, None)
        if isinstance(gt, str):
            return gt
        for sub in ("valtype", "content", "value_type"):
            vt = getattr(gt, sub, None)
            if isinstance(vt, str):
                return vt
    vt = getattr(g, "valtype", None)
    return vt if isinstance(vt, str) else None


# --------------------------------------------------------------------------------------------
# wasmtime


_VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
             0x70: "funcref", 0x6F: "externref"}


class _Reader:
    __slots__ = ("b", "p")

    def __init__(self, b: bytes, p: int = 0):
        self.b = b
        self.p = p

    def byte(self) -> int:
        v = self.b[self.p]
        self.p += 1
        return v

    def u(self) -> int:
        result = shift = 0
        while True:
            v = self.b[self.p]
            self.p += 1
            result |= (v & 0x7F) << shift
            shift += 7
            if v < 0x80:
                return result

    def name(self) -> str:
        n = self.u()
        s = self.b[self.p:self.p + n]
        self.p += n
        return s.decode("utf-8", "surrogateescape")

    def valtype(self) -> str:
        return _VALTYPES.get(self.byte(), "?")

    def limits(self) -> None:
        flags = self.byte()
        self.u()
        if flags & 1:
            self.u()

    def skip_const_expr(self) -> None:
        while True:
            op = self.byte()
            if op == 0x0B:
                return
            if op in (0x41, 0x42, 0x23, 0xD2):  # i32/i64.const, global.get, ref.func
                self.u()
            elif op == 0x43:
                self.p += 4
            elif op == 0x44:
                self.p += 8
            elif op == 0xD0:  # ref.null t
                self.p += 1
            elif op == 0xFD:  # v128.const
                self.u()
                self.p += 16
            # anything else (extended constant expressions): no immediates


def export_signatures(binary: bytes) -> Tuple[Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]], Dict[str, Tuple[str, bool]]]:
    """From a (valid) module binary: ({func export: (params, results)}, {global export: (type, mutable)})."""
    r = _Reader(binary, 8)
    types: List[Tuple[Tuple[str, ...], Tuple[str, ...]]] = []
    funcs: List[int] = []  # type index per function index
    globals_: List[Tuple[str, bool]] = []
    fexp: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {}
    gexp: Dict[str, Tuple[str, bool]] = {}
    n = len(binary)
    while r.p < n:
        sid = r.byte()
        size = r.u()
        end = r.p + size
        if sid == 1:
            for _ in range(r.u()):
                r.byte()  # 0x60
                params = tuple(r.valtype() for _ in range(r.u()))
                results = tuple(r.valtype() for _ in range(r.u()))
                types.append((params, results))
        elif sid == 2:
            for _ in range(r.u()):
                r.name()
                r.name()
                kind = r.byte()
                if kind == 0:
                    funcs.append(r.u())
                elif kind == 1:
                    r.byte()
                    r.limits()
                elif kind == 2:
                    r.limits()
                elif kind == 3:
                    t = r.valtype()
                    globals_.append((t, bool(r.byte())))
        elif sid == 3:
            funcs += [r.u() for _ in range(r.u())]
        elif sid == 6:
            for _ in range(r.u()):
                t = r.valtype()
                mut = bool(r.byte())
                r.skip_const_expr()
                globals_.append((t, mut))
        elif sid == 7:
            for _ in range(r.u()):
                name = r.name()
                kind = r.byte()
                idx = r.u()
                if kind == 0:
                    fexp[name] = types[funcs[idx]]
                elif kind == 3:
                    gexp[name] = globals_[idx]
        r.p = end
    return fexp, gexp

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
    """Adapter over wasmtime-py, configured for WebAssembly 2.0 features only.

    wasmtime-py passes floats through C ``float``/``double`` (which may quiet signalling NaNs)
    and cannot pass v128 at all, so calls whose signature has f32/f64/v128 go through a small
    generated wasm "thunk" that takes and returns the raw bits as integers (``reinterpret``),
    v128 as two i64 halves.  Failure messages are wasmtime's own, so only the kind counts; and
    wasmtime reports decode and validation errors alike, so those are kind 'compile'.
    """

    name = "wasmtime"
    exact_messages = False
    merged_compile_errors = True

    def __init__(self) -> None:
        import wasmtime

        self.wt = wasmtime
        cfg = wasmtime.Config()
        for feature, on in [
            ("wasm_reference_types", True), ("wasm_simd", True), ("wasm_bulk_memory", True),
            ("wasm_multi_value", True), ("wasm_multi_memory", False), ("wasm_memory64", False),
            ("wasm_threads", False), ("wasm_tail_call", False), ("wasm_relaxed_simd", False),
            ("wasm_function_references", False), ("wasm_gc", False), ("wasm_exceptions", False),
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

        return wasmtime_spectest(self.wt, self.store)

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
            raise Failure("trap", _wt_trap_message(e)) from None

    def get(self, instance: _WtInstance, name: str) -> Value:
        wt = self.wt
        g = instance.exports.get(name)
        if not isinstance(g, wt.Global):
            raise LookupError(f"no global export named {name!r}")
        t, mutable = instance.module.signatures()[1][name]
        if t in ("i32", "i64"):
            return Value(t, g.value(self.store) & _MASK[t])
        if t in ("funcref", "externref"):
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
        if not any(t in _BITS_TYPES for t in params + results):
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


def _thunk_wat(params: Sequence[str], results: Sequence[str]) -> str:
    """A module importing "m" "f" of the given type and exporting "t" with bits-only types."""
    flat_p: List[str] = []
    body: List[str] = []
    for t in params:
        i = len(flat_p)
        if t == "f32":
            flat_p.append("i32")
            body.append(f"local.get {i} f32.reinterpret_i32")
        elif t == "f64":
            flat_p.append("i64")
            body.append(f"local.get {i} f64.reinterpret_i64")
        elif t == "v128":
            flat_p += ["i64", "i64"]
            body.append(f"local.get {i} i64x2.splat local.get {i + 1} i64x2.replace_lane 1")
        else:
            flat_p.append(t)
            body.append(f"local.get {i}")
    body.append("call 0")
    nparams = len(flat_p)
    # spill the results into locals (last result is on top), then push them converted
    for k in reversed(range(len(results))):
        body.append(f"local.set {nparams + k}")
    flat_r: List[str] = []
    for k, t in enumerate(results):
        loc = nparams + k
        if t == "f32":
            flat_r.append("i32")
            body.append(f"local.get {loc} i32.reinterpret_f32")
        elif t == "f64":
            flat_r.append("i64")
            body.append(f"local.get {loc} i64.reinterpret_f64")
        elif t == "v128":
            flat_r += ["i64", "i64"]
            body.append(f"local.get {loc} i64x2.extract_lane 0 local.get {loc} i64x2.extract_lane 1")
        else:
            flat_r.append(t)
            body.append(f"local.get {loc}")

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


ENGINES = {"whisk": WhiskEngine, "wasmtime": WasmtimeEngine}


def get_engine(name: str):
    """A fresh adapter for engine ``name`` ('whisk' or 'wasmtime')."""
    try:
        cls = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})") from None
    return cls()
