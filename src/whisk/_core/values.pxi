# Values crossing the Python boundary (included by runtime.pyx): Python objects <-> slot bits,
# and the argument rule every public entry point follows (issue 11, item 11):
#   ints for integer parameters (bool is refused), int or float for float parameters,
#   TypeError otherwise, ValueError when out of range; each message names the argument.

cdef object count_arg(object v, str name, object lo, object hi):
    """An integer argument ``name`` in [lo, hi] (hi None: unbounded): TypeError unless an int,
    ValueError out of range."""
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError(f"{name} must be an int, not {type(v).__name__}")
    if v < lo or (hi is not None and v > hi):
        if hi is None:
            raise ValueError(f"{name} must be >= {lo}, got {v}")
        raise ValueError(f"{name} must be in {lo}..{hi}, got {v}")
    return v

cdef object opt_count_arg(object v, str name, object lo, object hi):
    """count_arg, or None."""
    return None if v is None else count_arg(v, name, lo, hi)

cdef int64_t timeout_ns(object timeout) except -2:
    """A call's ``timeout`` in seconds (int or float) -> nanoseconds from now; 0 for none.
    A huge or infinite timeout means none; NaN or a negative one is a ValueError."""
    cdef double t
    if timeout is None:
        return 0
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
        raise TypeError(f"timeout must be a number of seconds (int or float), not "
                        f"{type(timeout).__name__}")
    if timeout != timeout or timeout < 0:      # NaN, or negative
        raise ValueError(f"timeout must be >= 0 seconds, got {timeout!r}")
    if timeout > 1e9:                # over 31 years (infinity too): as good as none
        return 0
    t = float(timeout)
    return <int64_t>(t * 1e9) + 1

cdef inline double float_arg(object v, str what) except? -1.0:
    if isinstance(v, float):
        return <double>v
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError(f"expected an int or float for {what}, got {type(v).__name__}")
    try:
        return float(v)
    except OverflowError:
        raise ValueError(f"{what} value out of range: {v}") from None


cdef uint64_t to_bits(uint8_t t, object v, uint64_t* hi, Heap heap) except? 0xFFFFFFFFFFFFFFFF:
    """Python value -> slot bits (hi receives the upper half of a v128). A reference is entered
    in ``heap`` (see heap.pxi), which then keeps it alive; ``heap`` None: the caller keeps it."""
    cdef double d
    cdef float f
    if t == T_I32:
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"expected an int for i32, got {type(v).__name__}")
        if not -0x80000000 <= v < 0x100000000:
            raise ValueError(f"i32 value out of range: {v}")
        return v & 0xFFFFFFFF
    if t == T_I64:
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"expected an int for i64, got {type(v).__name__}")
        if not -0x8000000000000000 <= v < 0x10000000000000000:
            raise ValueError(f"i64 value out of range: {v}")
        return v & 0xFFFFFFFFFFFFFFFF
    if t == T_F32:
        f = <float>float_arg(v, "f32")
        return whisk_f32_bits(f)
    if t == T_F64:
        d = float_arg(v, "f64")
        return whisk_f64_bits(d)
    if t == T_V128:
        if isinstance(v, (bytes, bytearray, memoryview)):
            v = int.from_bytes(bytes(v), "little") if len(v) == 16 else None
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < (1 << 128):
            raise ValueError("v128 must be an int in [0, 2**128) or 16 bytes")
        hi[0] = v >> 64
        return v & 0xFFFFFFFFFFFFFFFF
    if t == T_FUNCREF:
        if v is None:
            return 0
        if not isinstance(v, Func):
            raise TypeError(f"expected a Func or None for funcref, got {type(v).__name__}")
        if heap is not None:
            heap_adopt_func(heap, <Func>v)
        return <uint64_t>&(<Func>v).rec
    if t == T_EXNREF:
        if v is None:
            return 0
        exn = getattr(v, "_exn", None) if isinstance(v, WasmException) else None
        if type(exn) is not Exn:
            raise TypeError(f"expected a WasmException or None for exnref, got {type(v).__name__}")
        if heap is not None:
            heap_keep_exn(heap, <Exn>exn)
        return <uint64_t>&(<Exn>exn).rec
    if t == T_ANYREF or isinstance(v, AnyRef):
        return any_to_bits(v, heap, t == T_EXTERNREF)
    if v is None:
        return 0
    if heap is not None:
        heap_keep(heap, <uint64_t><PyObject*>v, v)
    return <uint64_t><PyObject*>v

cdef uint64_t raw_to_bits(uint8_t t, object v, uint64_t* hi, Heap heap) except? 0xFFFFFFFFFFFFFFFF:
    """Raw-bit form (call_bits): numbers are unsigned ints of their bits."""
    if t == T_F32:
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < (1 << 32):
            raise ValueError("f32 raw bits must be an int in [0, 2**32)")
        return v
    if t == T_F64:
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < (1 << 64):
            raise ValueError("f64 raw bits must be an int in [0, 2**64)")
        return v
    return to_bits(t, v, hi, heap)

cdef object from_bits(uint8_t t, uint64_t* p, bint raw):
    """Slot bits -> Python value (raw: unsigned ints of the bits for numbers). A reference
    read here is alive: its heap holds it (see heap.pxi)."""
    cdef uint64_t b = p[0]
    if t == T_I32:
        return <uint32_t>b if raw else <int32_t><uint32_t>b
    if t == T_I64:
        return b if raw else <int64_t>b
    if t == T_F32:
        return <uint32_t>b if raw else <double>whisk_f32(b)
    if t == T_F64:
        return b if raw else whisk_f64(b)
    if t == T_V128:
        return (<object>p[1] << 64) | <object>b
    if t == T_ANYREF:
        return any_from_bits(b)
    if t == T_EXTERNREF:
        return extern_from_bits(b)
    if b == 0:
        return None
    if t == T_FUNCREF:
        return <object>(<FuncRec*>b).obj
    if t == T_EXNREF:
        return exn_error(<Exn>(<ExnRec*>b).obj)
    return <object><PyObject*>b

cdef inline int nslots_of(uint8_t t) noexcept:
    return 2 if t == T_V128 else 1

cdef int code_of(object t) except -1:
    """The slot code of a value type: a name's binary code; a whisk.types.RefType the code of
    its family (funcref, externref, exnref: what its slots hold). ValueError if unknown."""
    c = _CODES.get(t) if isinstance(t, str) else None
    if c is not None:
        return c
    heap = getattr(t, "heap", None)
    if heap is None or not hasattr(t, "nullable"):
        raise ValueError(f"unknown value type {t!r}")
    fam = _heap_family(heap)
    name = {"func": "funcref", "extern": "externref", "exn": "exnref", "any": "anyref"}.get(fam)
    if name is None:
        raise ValueError(f"unknown value type {t!r}")
    return _CODES[name]

cdef object ref_check(object t):
    """What a value of type ``t`` must satisfy beyond its slot code: None for every value of
    the code (numbers, nullable top reference types), else (nullable, canonical id or 0,
    bottom: only null, the abstract heap type of the any hierarchy or None)."""
    if isinstance(t, str) or getattr(t, "heap", None) is None:
        return None
    heap = t.heap
    cid = getattr(heap, "id", 0)
    bottom = heap in ("nofunc", "noextern", "noexn", "none")
    gc = heap if heap in ("eq", "i31", "struct", "array") else None
    if cid and getattr(heap, "kind", "func") != "func":
        gc = "concrete"
    if bottom:
        cid = 0
    if t.nullable and not cid and not bottom and gc is None:
        return None
    return (bool(t.nullable), cid, bottom, gc)

cdef int check_ref(object chk, object v, str what) except -1:
    """TypeError unless ``v`` fits the reference type described by ``chk`` (ref_check)."""
    if v is None:
        if not chk[0]:
            raise TypeError(f"{what}: null for a non-nullable reference type")
        return 0
    if chk[2]:
        raise TypeError(f"{what}: only null fits a bottom reference type")
    if chk[3] is not None:
        return check_gc_ref(chk[3], chk[1] if chk[3] == "concrete" else 0, v, what)
    if chk[1]:
        if not isinstance(v, Func) or not _is_sub_id((<Func>v).rec.type_id, chk[1]):
            raise TypeError(f"{what}: function of type {getattr(v, 'type', v)} does not "
                            f"match the expected function type")
    return 0

cdef object checks_of(object types):
    """Per value type list: None if no value needs a check, else a tuple of (position, check)."""
    out = []
    for k, t in enumerate(types):
        c = ref_check(t)
        if c is not None:
            out.append((k, c))
    return tuple(out) if out else None

def type_codes(types):
    """Value types (names or RefTypes) -> bytes of slot type codes."""
    return bytes([code_of(t) for t in types])


cdef int write_args(bytes types, tuple args, uint64_t* fp, bint raw, Heap heap,
                    str what="argument") except -1:
    # Convert ``args`` into slots; a bad value is reported as ``what`` and its position.
    cdef Py_ssize_t i, k = 0
    cdef uint64_t hi
    cdef uint8_t t
    for i in range(len(types)):
        t = types[i]
        hi = 0
        try:
            fp[k] = raw_to_bits(t, args[i], &hi, heap) if raw else to_bits(t, args[i], &hi, heap)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{what} {i}: {exc}") from None
        if t == T_V128:
            fp[k + 1] = hi
            k += 2
        else:
            k += 1
    return 0

cdef tuple read_results(bytes types, uint64_t* fp, bint raw):
    cdef Py_ssize_t i, k = 0, n = len(types)
    cdef uint8_t t
    if n == 1:
        return (from_bits(types[0], fp, raw),)
    out = []
    for i in range(n):
        t = types[i]
        out.append(from_bits(t, fp + k, raw))
        k += nslots_of(t)
    return tuple(out)

cdef int write_host_results(Func fn, object res, uint64_t* fp, Heap heap) except -1:
    cdef Py_ssize_t n = len(fn.rtypes)
    if n == 0:
        return 0
    if n == 1:
        res = (res,)
    elif not isinstance(res, (tuple, list)) or len(res) != n:
        raise TypeError(f"host function must return {n} values")
    if fn.rchecks is not None:
        for k, chk in fn.rchecks:
            check_ref(chk, res[k], f"host function result {k}")
    write_args(fn.rtypes, tuple(res), fp, False, heap, "host function result")
    return 0
