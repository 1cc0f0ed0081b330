# Memories, tables and globals (spec 4.2.7-4.2.9), and the resource account their growth is
# charged to (included by runtime.pyx). Growth from any thread, guest or host, takes one lock:
# it is rare, and it keeps a store's account and a table's size consistent.

from cpython.pythread cimport (PyThread_type_lock, PyThread_allocate_lock, PyThread_acquire_lock,
                               PyThread_release_lock, WAIT_LOCK)

from whisk.errors import ResourceError

cdef PyThread_type_lock _grow_lock = PyThread_allocate_lock()

cdef uint64_t PAGE = 65536
cdef uint64_t MAX_PAGES = 65536
cdef uint64_t MAX_PAGES64 = 1 << 48                 # memory64: 2^64 bytes (3.0 spec 3.2.6)
cdef uint64_t RESERVE64_PAGES = 1 << 18             # memory64: address space reserved (16 GiB)
cdef uint32_t MAX_TABLE_LIMIT = 0xFFFFFFFE          # elements: a saturated u32 index is beyond
cdef uint32_t DEFAULT_TABLE_ELEMENTS = 10000000   # elements per table unless a Store says
cdef uint64_t NO_LIMIT = 0xFFFFFFFFFFFFFFFF
cdef uint64_t ELEM_BYTES = 8                      # a table element, as the account counts it


cdef refuse_pickle(object obj):
    # __reduce__ of the runtime objects: they are live state of a store in this process.
    name = type(obj).__name__
    raise TypeError(
        f"cannot pickle a whisk.{name}: it is live runtime state in this process (a store's "
        f"memories, tables, globals and host functions); pickle the whisk.Module instead and instantiate it "
        f"in the worker process")


cdef inline bint acct_charge(StoreRec* s, uint64_t nbytes) noexcept nogil:
    # Charge ``nbytes`` to the store's account (under _grow_lock); false if it would pass the limit.
    if s == NULL:
        return True
    if nbytes > s.mem_limit or s.mem_used > s.mem_limit - nbytes:
        return False
    s.mem_used += nbytes
    return True


# ---------------------------------------------------------------------------------- memory
cdef int64_t mem_grow(MemRec* m, uint64_t delta) noexcept nogil:
    """memory.grow (spec 4.4.7.8): the old size in pages, or -1 beyond the maximum, the
    reserved address space, the store's limit or what the host can commit."""
    cdef uint64_t old, new
    cdef int64_t r = -1
    PyThread_acquire_lock(_grow_lock, WAIT_LOCK)
    old = m.size // PAGE
    new = old + delta
    if (delta <= m.max_pages - old and new <= m.max_pages and new * PAGE <= m.reserved
            and acct_charge(m.acct, <uint64_t>delta * PAGE)):
        if whisk_commit(m.base, m.size, new * PAGE):
            m.size = new * PAGE
            r = <int64_t>old
        elif m.acct != NULL:
            m.acct.mem_used -= <uint64_t>delta * PAGE
    PyThread_release_lock(_grow_lock)
    return r


cdef class Memory:
    """A linear memory (spec 4.2.8): ``Memory(min_pages, max_pages=None, limit_bytes=None,
    address_type="i32")``, sizes in pages of 64 KiB (ints); ``limit_bytes`` caps its address
    space below the declared maximum (memory.grow past it returns -1); ``address_type`` is
    ``"i64"`` for a memory64 memory (3.0 spec 2.3.8), whose addresses and sizes are i64.

    Supports the writable buffer protocol: ``memoryview(mem)`` is a zero-copy view of the
    current size in bytes, and ``numpy.frombuffer(mem, ...)`` works too. The memory never moves:
    its address space (``max_pages``, or 4 GiB for i32; for i64 ``max_pages`` or 16 GiB,
    whichever is smaller, and at least ``min_pages``) is reserved up front and committed as it
    grows, so a view taken before ``grow`` stays valid (it keeps the length it had); growth
    past the reservation returns -1. The first store that creates or imports it charges its
    size, and its growth, to ``max_memory_bytes``. Raises TypeError for a non-int size,
    ValueError for limits over 65536 pages (2^48 for i64) or min > max, ResourceError if the
    minimum passes ``limit_bytes`` or the host cannot provide the memory.
    """
    cdef MemRec rec
    cdef public object type          # a whisk.types.MemoryType, set by the runtime
    cdef object declared_max         # max_pages as given (None: no maximum)
    cdef object acct_store           # the Store charged for it (keeps rec.acct valid)
    cdef Py_ssize_t _shape
    cdef Py_ssize_t _stride

    def __cinit__(self, min_pages, max_pages=None, limit_bytes=None, address_type="i32"):
        cdef uint64_t bound, reserve
        self.rec.base = NULL
        self.rec.acct = NULL
        if address_type not in ("i32", "i64"):
            raise ValueError("address_type must be 'i32' or 'i64'")
        self.rec.is64 = 1 if address_type == "i64" else 0
        bound = MAX_PAGES64 if self.rec.is64 else MAX_PAGES
        count_arg(min_pages, "min_pages", 0, bound)
        opt_count_arg(max_pages, "max_pages", 0, bound)
        opt_count_arg(limit_bytes, "limit_bytes", 0, None)
        if max_pages is not None and max_pages < min_pages:
            raise ValueError("size minimum must not be greater than maximum")
        self.declared_max = max_pages
        self.rec.max_pages = bound if max_pages is None else max_pages
        if limit_bytes is not None:
            if min_pages * PAGE > limit_bytes:
                raise ResourceError(f"memory minimum of {min_pages} pages exceeds the limit of "
                                    f"{limit_bytes} bytes")
            self.rec.max_pages = min(self.rec.max_pages, limit_bytes // PAGE)
        reserve = self.rec.max_pages
        if self.rec.is64 and reserve > RESERVE64_PAGES:
            reserve = max(RESERVE64_PAGES, <uint64_t>min_pages)
        self.rec.reserved = (reserve if reserve > 0 else 1) * PAGE
        self.rec.base = <uint8_t*>whisk_reserve(self.rec.reserved)
        if self.rec.base == NULL:
            raise ResourceError("cannot reserve address space for a linear memory")
        self.rec.size = 0
        if not whisk_commit(self.rec.base, 0, <uint64_t>min_pages * PAGE):
            raise ResourceError("cannot commit linear memory")
        self.rec.size = <uint64_t>min_pages * PAGE
        self.type = None

    def __dealloc__(self):
        whisk_release(self.rec.base, self.rec.reserved)

    cdef MemRec* ptr(self):
        return &self.rec

    def __len__(self):
        """Current size in bytes."""
        return self.rec.size

    @property
    def pages(self):
        """Current size in pages of 64 KiB."""
        return self.rec.size // PAGE

    @property
    def max_pages(self):
        """Maximum size in pages (None if the memory declares none)."""
        return self.declared_max

    @property
    def address_type(self):
        """The address type (3.0 spec 2.3.8): ``"i32"``, or ``"i64"`` for memory64."""
        return "i64" if self.rec.is64 else "i32"

    def grow(self, delta_pages):
        """Grow by ``delta_pages`` pages of 64 KiB (spec 4.5.3.9); returns the old size in pages.
        Raises TypeError unless an int, ValueError beyond the declared maximum, ResourceError
        beyond the store's limit, the reserved address space or what the host can commit."""
        count_arg(delta_pages, "delta_pages", 0, 0xFFFFFFFFFFFFFFFF if self.rec.is64 else 0xFFFFFFFF)
        r = mem_grow(&self.rec, delta_pages)
        if r < 0:
            if self.rec.size // PAGE + delta_pages > ((MAX_PAGES64 if self.rec.is64 else MAX_PAGES)
                                                      if self.declared_max is None
                                                      else self.declared_max):
                raise ValueError("memory cannot grow beyond its maximum")
            raise ResourceError("memory cannot grow: the store's max_memory_bytes or the "
                                "host's memory would be exceeded")
        return r

    def read(self, offset, n):
        """``n`` bytes from byte ``offset`` (a copy). Raises IndexError if out of bounds."""
        if not isinstance(offset, int) or not isinstance(n, int):
            raise TypeError("offset and n must be ints")
        if offset < 0 or n < 0 or offset + n > self.rec.size:
            raise IndexError("out of bounds memory access")
        return (<char*>self.rec.base)[offset:offset + n]

    def write(self, offset, data):
        """Write bytes-like ``data`` at byte ``offset``. Raises IndexError if out of bounds."""
        if not isinstance(offset, int):
            raise TypeError(f"offset must be an int, not {type(offset).__name__}")
        cdef const uint8_t[::1] view = memoryview(data).cast("B")
        cdef Py_ssize_t n = view.shape[0]
        if offset < 0 or offset + n > self.rec.size:
            raise IndexError("out of bounds memory access")
        if n:
            memcpy(self.rec.base + <uint64_t>offset, &view[0], n)

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self.rec.size)
            if step != 1:
                return memoryview(self)[key].tobytes()
            return (<char*>self.rec.base)[start:max(start, stop)]
        if not isinstance(key, int):
            raise TypeError(f"memory index must be an int or slice, not {type(key).__name__}")
        if key < 0:
            key += self.rec.size
        if not 0 <= key < self.rec.size:
            raise IndexError("out of bounds memory access")
        return self.rec.base[key]

    def __setitem__(self, key, value):
        """``mem[i] = byte`` or ``mem[a:b] = data``: ``data`` any bytes-like object, e.g. a
        NumPy array of any dtype (its bytes are copied: a float64 array of n elements fills
        8*n bytes). The slice and the data must have the same length in bytes."""
        if not isinstance(key, int) and not isinstance(value, (bytes, bytearray)):
            try:
                view = memoryview(value)
            except TypeError:
                pass
            else:
                if view.format != "B" or view.ndim != 1:
                    value = view.cast("B") if view.c_contiguous else view.tobytes()
        memoryview(self)[key] = value

    def __getbuffer__(self, Py_buffer* buf, int flags):
        buf.buf = self.rec.base
        buf.obj = self
        buf.len = self.rec.size
        buf.readonly = 0
        buf.itemsize = 1
        buf.format = "B"
        buf.ndim = 1
        buf.suboffsets = NULL
        buf.internal = NULL
        self._shape = self.rec.size
        self._stride = 1
        buf.shape = &self._shape
        buf.strides = &self._stride

    def __releasebuffer__(self, Py_buffer* buf):
        pass

    def __repr__(self):
        at = " i64" if self.rec.is64 else ""
        return f"<whisk.Memory{at} {self.rec.size // PAGE} pages>"

    def __reduce__(self):
        refuse_pickle(self)


# ---------------------------------------------------------------------------------- table
cdef int64_t table_grow(TableRec* t, uint32_t delta, uint64_t init) noexcept nogil:
    """table.grow (spec 4.4.6.6): the old size, or -1 beyond the maximum, the store's limits or
    what the host can commit. The elements never move (see TableRec)."""
    cdef uint64_t old, new, i, lo
    cdef int64_t r = -1
    PyThread_acquire_lock(_grow_lock, WAIT_LOCK)
    old = t.size
    new = old + delta
    if new <= t.limit and acct_charge(t.acct, <uint64_t>delta * ELEM_BYTES):
        lo = (old * ELEM_BYTES) // PAGE * PAGE
        if whisk_commit(t.elems, lo, (new * ELEM_BYTES + PAGE - 1) // PAGE * PAGE):
            if init != 0:
                for i in range(old, new):
                    t.elems[i] = init
            t.size = <uint32_t>new
            r = <int64_t>old
        elif t.acct != NULL:
            t.acct.mem_used -= <uint64_t>delta * ELEM_BYTES
    PyThread_release_lock(_grow_lock)
    return r


cdef class Table:
    """A table (spec 4.2.7): ``Table(reftype, min, max=None, limit=None, address_type="i32")``
    with ``reftype`` 'funcref', 'externref' or 'exnref' and sizes in elements (ints); ``limit`` caps its
    growth (default 10,000,000 elements, or the store's ``max_table_elements``; never beyond
    2^32-2 elements); ``address_type`` is ``"i64"`` for a table64 table (3.0 spec 2.3.9),
    whose limits may be up to 2^64-1 and whose indices are i64. ``len(t)``, ``t[i]``,
    ``t[i] = ref``, ``t.grow(delta, init=None)``. The elements never move: their address space
    is reserved up front, so growing never disturbs a guest running in another thread.
    References written to it stay alive while the table is reachable. Raises TypeError for a
    wrong argument type, ValueError for min > max, IndexError for an index out of bounds,
    ResourceError if the minimum passes the limit."""
    cdef TableRec rec
    cdef readonly object elem        # 'funcref', 'externref', 'exnref' or a RefType (3.0)
    cdef object check                # ref_check(elem): None, or what values must satisfy
    cdef uint8_t ecode               # its slot type code
    cdef public object type
    cdef Heap heap                   # the heap its references belong to (see heap.pxi)
    cdef object acct_store           # the Store charged for it (keeps rec.acct valid)
    cdef uint64_t reserved_bytes
    cdef object declared_max         # max as given (None: no maximum)
    cdef readonly str address_type   # 'i32', or 'i64' for table64

    def __cinit__(self, reftype, min, max=None, limit=None, address_type="i32"):
        cdef uint64_t cap, bound
        self.rec.elems = NULL
        self.rec.acct = NULL
        self.reserved_bytes = 0
        if not (reftype in ("funcref", "externref", "exnref") or (
                hasattr(reftype, "heap") and is_ref_code(code_of(reftype)))):
            raise ValueError("reftype must be 'funcref', 'externref', 'exnref' or a "
                             "whisk.types.RefType")
        self.check = ref_check(reftype)
        if address_type not in ("i32", "i64"):
            raise ValueError("address_type must be 'i32' or 'i64'")
        bound = 0xFFFFFFFF if address_type == "i32" else 0xFFFFFFFFFFFFFFFF
        count_arg(min, "min", 0, bound)
        opt_count_arg(max, "max", 0, bound)
        opt_count_arg(limit, "limit", 0, None)
        if max is not None and max < min:
            raise ValueError("size minimum must not be greater than maximum")
        self.elem = reftype
        self.address_type = address_type
        self.declared_max = max
        self.rec.is_func = 1 if code_of(reftype) == T_FUNCREF else 0
        self.ecode = code_of(reftype)
        self.rec.max = 0xFFFFFFFF if max is None or max > 0xFFFFFFFF else max
        cap = DEFAULT_TABLE_ELEMENTS if limit is None else limit
        if cap > self.rec.max:
            cap = self.rec.max
        if cap > MAX_TABLE_LIMIT:
            cap = MAX_TABLE_LIMIT
        if min > cap:
            raise ResourceError(f"table minimum of {min} elements exceeds the limit of {cap} "
                                f"elements")
        self.rec.limit = self.rec.reserved = <uint32_t>cap
        self.reserved_bytes = ((cap if cap > 0 else 1) * ELEM_BYTES + PAGE - 1) // PAGE * PAGE
        self.rec.elems = <uint64_t*>whisk_reserve(self.reserved_bytes)
        if self.rec.elems == NULL:
            self.reserved_bytes = 0
            raise ResourceError("cannot reserve address space for a table")
        self.rec.size = 0
        self.heap = None
        self.type = None
        if table_grow(&self.rec, min, 0) < 0:
            raise ResourceError("cannot commit the table's elements")

    def __dealloc__(self):
        if self.rec.elems != NULL:
            whisk_release(self.rec.elems, self.reserved_bytes)

    cdef TableRec* ptr(self):
        return &self.rec

    def __len__(self):
        return self.rec.size

    @property
    def max(self):
        """Maximum size in elements, or None."""
        return self.declared_max

    cdef uint8_t code(self):
        return self.ecode

    def __getitem__(self, i):
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"table index must be an int, not {type(i).__name__}")
        if not 0 <= i < self.rec.size:
            raise IndexError("out of bounds table access")
        return from_bits(self.code(), &self.rec.elems[i], False)

    def __setitem__(self, i, value):
        cdef uint64_t hi
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"table index must be an int, not {type(i).__name__}")
        if not 0 <= i < self.rec.size:
            raise IndexError("out of bounds table access")
        if self.check is not None:
            check_ref(self.check, value, "value")
        h = heap_of_table(self)
        heap_maybe_sweep(h)
        self.rec.elems[i] = to_bits(self.code(), value, &hi, h)

    def grow(self, delta, init=None):
        """Grow by ``delta`` elements set to ``init``; returns the old size. Raises TypeError
        unless an int, ValueError beyond the declared maximum, ResourceError beyond the limit
        (the store's max_table_elements or max_memory_bytes)."""
        cdef uint64_t hi
        count_arg(delta, "delta", 0, 0xFFFFFFFF if self.address_type == "i32" else None)
        if self.check is not None:
            check_ref(self.check, init, "init")
        h = heap_of_table(self)
        heap_maybe_sweep(h)
        cdef uint64_t b = to_bits(self.code(), init, &hi, h)
        r = table_grow(&self.rec, min(delta, 0xFFFFFFFF), b)
        if r < 0:
            if self.declared_max is not None and self.rec.size + delta > self.declared_max:
                raise ValueError("table cannot grow beyond its maximum")
            raise ResourceError(f"table cannot grow beyond its limit of {self.rec.limit} "
                                f"elements or the store's max_memory_bytes")
        return r

    def __repr__(self):
        return f"<whisk.Table {self.elem} size={self.rec.size}>"

    def __reduce__(self):
        refuse_pickle(self)


# ---------------------------------------------------------------------------------- global
cdef class Global:
    """A global (spec 4.2.9): ``Global(valtype, value, mutable=False)``; ``.value`` reads it
    and, when mutable, sets it; ``.value_bits`` is the raw-bit form (see Func.call_bits). A
    reference it holds stays alive while the global is reachable. Raises ValueError for an
    unknown type, TypeError/ValueError for a value that does not fit it."""
    cdef uint64_t bits[2]
    cdef uint8_t code
    cdef readonly object valtype     # a name, or a whisk.types.RefType (3.0)
    cdef object check                # ref_check(valtype)
    cdef readonly bint mutable
    cdef public object type
    cdef Heap heap                   # the heap its reference belongs to (see heap.pxi)

    def __cinit__(self, valtype, value=None, mutable=False):
        self.code = code_of(valtype)
        self.valtype = valtype
        self.check = ref_check(valtype)
        self.mutable = bool(mutable)
        self.bits[0] = 0
        self.bits[1] = 0
        self.type = None
        self.heap = None
        if value is not None:
            self._set(value, False)

    cdef uint64_t* ptr(self):
        return &self.bits[0]

    cdef _set(self, value, bint raw):
        cdef uint64_t hi = 0
        cdef Heap h = None
        if self.check is not None:
            check_ref(self.check, value, "global value")
        if is_ref_code(self.code):
            h = heap_of_global(self)
            heap_maybe_sweep(h)
        self.bits[0] = raw_to_bits(self.code, value, &hi, h) if raw else to_bits(self.code, value, &hi, h)
        self.bits[1] = hi

    def set_initial(self, value, raw=False):
        """Set the value regardless of mutability (used once, at instantiation)."""
        self._set(value, raw)

    @property
    def value(self):
        return from_bits(self.code, self.bits, False)

    @value.setter
    def value(self, v):
        if not self.mutable:
            raise AttributeError("global is immutable")
        self._set(v, False)

    @property
    def value_bits(self):
        return from_bits(self.code, self.bits, True)

    def __repr__(self):
        return f"<whisk.Global {'mut ' if self.mutable else ''}{self.valtype} = {self.value!r}>"

    def __reduce__(self):
        refuse_pickle(self)


cdef int attach_memory(Memory m, Store s) except -1:
    # The first store that creates or imports a memory accounts for it (ResourceError if its
    # size passes the store's max_memory_bytes).
    cdef bint ok
    if m.rec.acct != NULL:
        return 0
    PyThread_acquire_lock(_grow_lock, WAIT_LOCK)
    ok = acct_charge(&s.rec, m.rec.size)
    if ok:
        m.rec.acct = &s.rec
    PyThread_release_lock(_grow_lock)
    if not ok:
        raise ResourceError(f"memory of {m.rec.size} bytes exceeds the store's "
                            f"max_memory_bytes ({s.max_memory_bytes})")
    m.acct_store = s
    return 0


cdef int attach_table(Table t, Store s) except -1:
    # The first store that creates or imports a table accounts for it and caps its growth at
    # max_table_elements (ResourceError if it is already larger, or passes max_memory_bytes).
    cdef bint ok
    if t.rec.acct != NULL:
        return 0
    if t.rec.size > s.rec.table_limit:
        raise ResourceError(f"table of {t.rec.size} elements exceeds the store's "
                            f"max_table_elements ({s.rec.table_limit})")
    PyThread_acquire_lock(_grow_lock, WAIT_LOCK)
    ok = acct_charge(&s.rec, t.rec.size * ELEM_BYTES)
    if ok:
        t.rec.acct = &s.rec
        if t.rec.limit > s.rec.table_limit:
            t.rec.limit = s.rec.table_limit
    PyThread_release_lock(_grow_lock)
    if not ok:
        raise ResourceError(f"table of {t.rec.size} elements ({t.rec.size * ELEM_BYTES} bytes) "
                            f"exceeds the store's max_memory_bytes ({s.max_memory_bytes})")
    t.acct_store = s
    return 0
