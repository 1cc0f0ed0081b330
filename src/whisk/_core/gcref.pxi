# GC references seen from Python (3.0 GC; included by runtime.pyx after gc.pxi): the handles
# whisk.AnyRef, StructRef, ArrayRef and I31Ref, and the conversions values.pxi uses for the
# any hierarchy and for externrefs that hold internal references (code.pxd, "GC references").

from whisk.types import type_kind as _type_kind

cdef dict _gc_storage = {}           # canonical id -> the storage types of its fields


cdef class AnyRef:
    """A non-null reference of the any hierarchy (3.0 spec 2.3.x anyref, eqref) held by
    Python: a :class:`StructRef`, an :class:`ArrayRef` or an :class:`I31Ref`. Results and
    host-function arguments of reference types ``anyref``, ``eqref``, ``structref``,
    ``arrayref``, ``i31ref`` and concrete struct/array types arrive as these; pass them back
    as arguments, results, global or table values. A handle keeps its object (and the store's
    heap) alive while Python holds it. Two handles are ``==`` when the references are
    (ref.eq). A host (Python) object passed where an anyref is expected is internalized as
    ``any.convert_extern`` would (and comes back as itself); ``None`` is null.
    Not picklable (TypeError): the object lives in one process's store."""
    cdef uint64_t bits
    cdef Heap heap                   # the heap holding the object (None for an i31)

    def __init__(self, *args):
        raise TypeError("whisk.AnyRef handles are made by the runtime (use I31Ref(value) "
                        "for an i31)")

    def __dealloc__(self):
        cdef GcObj* o
        if self.heap is not None and self.bits != 0:
            o = <GcObj*>self.bits
            whisk_gc_lock()
            o.roots -= 1
            whisk_gc_unlock()

    def __eq__(self, other):
        return isinstance(other, AnyRef) and (<AnyRef>other).bits == self.bits

    def __hash__(self):
        return hash(self.bits)

    def __reduce__(self):
        refuse_pickle(self)


cdef class StructRef(AnyRef):
    """A structure (3.0 spec 4.2.13): ``len(s)`` fields, ``s[i]`` reads field i (packed i8 and
    i16 fields as signed ints; references as handles, host objects or None). ``type_id`` is
    the canonical id of its (defined) type."""

    @property
    def type_id(self):
        return (<GcObj*>self.bits).type.id

    def __len__(self):
        return (<GcObj*>self.bits).type.nfields

    def __getitem__(self, i):
        cdef GcObj* o = <GcObj*>self.bits
        cdef uint32_t n = o.type.nfields
        if not isinstance(i, int):
            raise TypeError("field index must be an int")
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("field index out of range")
        return gc_read(o, gc_payload(o) + o.type.foff[i], i)

    def __repr__(self):
        return f"<whisk.StructRef type {self.type_id}, {len(self)} fields>"


cdef class ArrayRef(AnyRef):
    """An array (3.0 spec 4.2.13): ``len(a)`` elements, ``a[i]`` reads element i (packed i8
    and i16 elements as signed ints; references as handles, host objects or None).
    ``type_id`` is the canonical id of its (defined) type."""

    @property
    def type_id(self):
        return (<GcObj*>self.bits).type.id

    def __len__(self):
        return (<GcObj*>self.bits).len

    def __getitem__(self, i):
        cdef GcObj* o = <GcObj*>self.bits
        if not isinstance(i, int):
            raise TypeError("array index must be an int")
        if i < 0:
            i += o.len
        if not 0 <= i < o.len:
            raise IndexError("array index out of range")
        return gc_read(o, gc_payload(o) + <uint64_t>i * o.type.size, 0)

    def __repr__(self):
        return f"<whisk.ArrayRef type {self.type_id}, {len(self)} elements>"


cdef class I31Ref(AnyRef):
    """An i31 reference (3.0 spec 2.3.x i31ref): ``I31Ref(value)`` for value in
    -2**30 .. 2**31-1 (the low 31 bits are kept, as ref.i31 does; ValueError outside, TypeError
    unless an int). ``value`` (also ``int(r)``) is the signed value (i31.get_s), ``unsigned``
    the unsigned one (i31.get_u)."""

    def __init__(self, value):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"i31 value must be an int, not {type(value).__name__}")
        if not -(1 << 30) <= value < (1 << 31):
            raise ValueError(f"i31 value out of range: {value}")
        self.bits = ((<uint64_t>(value & 0x7FFFFFFF)) << 1) | 1

    @property
    def unsigned(self):
        return <uint32_t>((self.bits >> 1) & 0x7FFFFFFF)

    @property
    def value(self):
        cdef int64_t v = (self.bits >> 1) & 0x7FFFFFFF
        return v - 0x80000000 if v & 0x40000000 else v

    def __int__(self):
        return self.value

    def __index__(self):
        return self.value

    def __repr__(self):
        return f"<whisk.I31Ref {self.value}>"


cdef object gc_read(GcObj* o, const uint8_t* p, uint32_t field):
    # a field or element as a Python value
    cdef uint64_t buf[2]
    cdef uint8_t kind = o.type.fkind[field]
    gc_get(p, kind, True, buf)
    storage = _gc_storage.get(o.type.id)
    st = storage[field] if storage is not None else None
    if kind == SK_I8 or kind == SK_I16:
        return <int32_t><uint32_t>buf[0]
    if st is None:
        return buf[0]
    return from_bits(code_of(st), buf, False)


cdef int storage_bits(object st, object v, uint64_t* buf, Heap heap) except -1:
    # v (raw-bit form) as the slot bits buf[0..1] of a field of storage type st (packed i8 and
    # i16 fields take an i32)
    buf[1] = 0
    buf[0] = raw_to_bits(T_I32 if st in ("i8", "i16") else code_of(st), v, &buf[1], heap)
    return 0


cdef object gc_handle(uint64_t b):
    # The handle of GC object b (alive: a root, a frame or a handle holds it now).
    cdef GcObj* o = <GcObj*>b
    cdef AnyRef r = (StructRef if o.type.kind == GC_STRUCT else ArrayRef).__new__(
        StructRef if o.type.kind == GC_STRUCT else ArrayRef)
    cdef GcHeap* h
    whisk_gc_lock()
    o.roots += 1
    h = gc_root(o.heap)
    whisk_gc_unlock()
    r.bits = b
    r.heap = <Heap>h.owner
    return r

cdef object i31_handle(uint64_t b):
    cdef AnyRef r = I31Ref.__new__(I31Ref)
    r.bits = b
    return r

cdef object any_from_bits(uint64_t b):
    """anyref slot bits -> None, a handle or the host object it internalizes."""
    if b == 0:
        return None
    if b & 1:
        return i31_handle(b)
    if b & 2:
        return <object><PyObject*>(b & ~(<uint64_t>2))
    return gc_handle(b)

cdef object extern_from_bits(uint64_t b):
    """externref slot bits -> None, the host object, or the handle of the internal
    reference it externalizes (extern.convert_any)."""
    if b & 3 == 0:
        return None if b == 0 else <object><PyObject*>b
    if b & 1:
        return i31_handle(b)
    return gc_handle(b ^ 2)

cdef uint64_t any_to_bits(object v, Heap heap, bint extern) except? 0xFFFFFFFFFFFFFFFF:
    """A Python value as anyref bits (extern: externref bits). A handle's heap joins ``heap``
    (the object is reachable from it from now on); a host object is internalized and entered
    in ``heap`` (None: the caller keeps it)."""
    cdef uint64_t b
    if v is None:
        return 0
    if isinstance(v, AnyRef):
        b = (<AnyRef>v).bits
        if (<AnyRef>v).heap is not None and heap is not None:
            heap_merge(heap, (<AnyRef>v).heap)
        return b | 2 if extern and not (b & 1) else b
    b = <uint64_t><PyObject*>v
    if heap is not None:
        heap_keep(heap, b, v)
    return b if extern else b | 2

cdef int gc_note_fields(uint32_t cid, object comp) except -1:
    # remember the storage types of a struct or array type's fields (for StructRef reads)
    if cid not in _gc_storage:
        if hasattr(comp, "fields"):
            _gc_storage[cid] = [f.storage for f in comp.fields]
        elif hasattr(comp, "field"):
            _gc_storage[cid] = [comp.field.storage]
    return 0

# the handle classes a value of each abstract heap type of the any hierarchy is one of
_GC_HANDLES = {"eq": (StructRef, ArrayRef, I31Ref), "i31": (I31Ref,), "struct": (StructRef,),
               "array": (ArrayRef,)}


cdef int check_gc_ref(object heap, uint32_t cid, object v, str what) except -1:
    """TypeError unless non-null ``v`` has heap type ``heap`` of the any hierarchy (an
    abstract name, or cid: a concrete struct/array type)."""
    if cid:
        if not isinstance(v, (StructRef, ArrayRef)) or not _is_sub_id(
                (<GcObj*>(<AnyRef>v).bits).type.id, cid):
            raise TypeError(f"{what}: expected a reference to a struct or array of type "
                            f"{cid}, got {v!r}")
        return 0
    if heap == "any":
        return 0
    ok = _GC_HANDLES.get(heap)
    if ok is None or not isinstance(v, ok):
        raise TypeError(f"{what}: expected a {heap}ref value, got {type(v).__name__}")
    return 0
