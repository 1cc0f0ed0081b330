"""The types of a module's exported functions and globals, read from its binary.

The wasmtime adapter needs them to convert arguments and results, and wasmtime-py's own type
objects cannot describe v128 (its C API aborts on them).  Only the sections that matter are
read (type, import, function, global, export; WebAssembly 3.0 binary format, chapter 5), and
only as far as they matter; the module must be valid.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

__all__ = ["export_signatures"]

_VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
             0x70: "funcref", 0x6F: "externref", 0x69: "exnref", 0x6E: "anyref", 0x6D: "eqref",
             0x6C: "i31ref", 0x6B: "structref", 0x6A: "arrayref", 0x71: "nullref",
             0x72: "nullexternref", 0x73: "nullfuncref", 0x74: "nullexnref"}
# abstract heap types (binary format, section 5.3.3 "Heap Types" of the 3.0 spec)
_HEAPTYPES = {0x70: "func", 0x6F: "extern", 0x69: "exn", 0x6E: "any", 0x6D: "eq", 0x6C: "i31",
              0x6B: "struct", 0x6A: "array", 0x71: "none", 0x72: "noextern", 0x73: "nofunc",
              0x74: "noexn"}


class _Reader:
    """Just enough of the binary format (WebAssembly 3.0 without GC instructions) to find the
    types of a module's exported functions and globals."""

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

    def heaptype(self) -> str:
        if self.b[self.p] in _HEAPTYPES:
            return _HEAPTYPES[self.byte()]
        return str(self.u())  # a type index (s33, non-negative)

    def valtype(self) -> str:
        """A value type: its name (``i32``, ``funcref``; also for ``(ref null func)``, ...), or
        ``(ref null? HT)``."""
        t = self.byte()
        if t == 0x63 and self.b[self.p] in _VALTYPES:  # (ref null ht), ht abstract: the short form
            return _VALTYPES[self.byte()]
        if t in (0x63, 0x64):
            ht = self.heaptype()
            return f"(ref {'null ' if t == 0x63 else ''}{ht})"
        return _VALTYPES.get(t, "?")

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
            elif op == 0xD0:  # ref.null ht
                self.heaptype()
            elif op == 0xFD:  # v128.const
                self.u()
                self.p += 16
            elif op == 0xFB:  # GC constant instructions: opcode, then type/field indices
                sub = self.u()
                if sub in (0, 1, 6, 7):  # struct.new(_default), array.new(_default) x
                    self.u()
                elif sub == 8:  # array.new_fixed x n
                    self.u()
                    self.u()
            # anything else (extended constant expressions, i31 and conversions): no immediates

    def comptype(self) -> Any:
        """A composite type: ``(params, results)`` of a function type, else None."""
        form = self.byte()
        if form == 0x60:
            params = tuple(self.valtype() for _ in range(self.u()))
            results = tuple(self.valtype() for _ in range(self.u()))
            return (params, results)
        if form == 0x5F:  # struct: fields
            for _ in range(self.u()):
                self.fieldtype()
        elif form == 0x5E:  # array: one field
            self.fieldtype()
        return None

    def fieldtype(self) -> None:
        if self.b[self.p] in (0x78, 0x77):  # packed i8/i16
            self.p += 1
        else:
            self.valtype()
        self.p += 1  # mutability

    def subtype(self) -> Any:
        if self.b[self.p] in (0x50, 0x4F):  # sub / sub final: supertypes, then the comptype
            self.p += 1
            for _ in range(self.u()):
                self.u()
        return self.comptype()


def export_signatures(binary: bytes) -> Tuple[Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]], Dict[str, Tuple[str, bool]]]:
    """From a (valid) module binary: ({func export: (params, results)}, {global export: (type, mutable)})."""
    r = _Reader(binary, 8)
    types: List[Any] = []  # (params, results) per function type, None for other types
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
                if r.b[r.p] == 0x4E:  # rec group
                    r.p += 1
                    types += [r.subtype() for _ in range(r.u())]
                else:
                    types.append(r.subtype())
        elif sid == 2:
            for _ in range(r.u()):
                r.name()
                r.name()
                kind = r.byte()
                if kind == 0:
                    funcs.append(r.u())
                elif kind == 1:
                    r.valtype()
                    r.limits()
                elif kind == 2:
                    r.limits()
                elif kind == 3:
                    t = r.valtype()
                    globals_.append((t, bool(r.byte())))
                elif kind == 4:  # tag: attribute, type index
                    r.byte()
                    r.u()
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
