# The runtime objects (spec 4.2: function, table, memory and global instances), the execution
# stack, the call boundary between Python and wasm, and the dispatch loop (loop.pxi).

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t, int64_t
from libc.stdlib cimport malloc, calloc, realloc, free
from libc.string cimport memset, memcpy, memmove
from cpython.ref cimport PyObject
from cpython.buffer cimport PyBUF_WRITABLE
from cpython.pythread cimport PyThread_get_thread_ident
from cpython.exc cimport PyErr_CheckSignals

from whisk._core.code cimport *
from whisk._core.ops cimport *
from whisk._core.numeric cimport *
from whisk._core.lower cimport LoweredModule

import threading

from whisk.errors import Trap, Exhaustion, Interrupted

cdef extern from "vmem.h":
    void* whisk_reserve(uint64_t n) noexcept nogil
    int whisk_commit(void* base, uint64_t start, uint64_t stop) noexcept nogil
    void whisk_release(void* base, uint64_t n) noexcept nogil

cdef extern from "Python.h":
    void* PyEval_SaveThread() nogil
    void PyEval_RestoreThread(void* tstate) nogil

cdef extern from "mclock.h":
    int64_t whisk_monotonic_ns() noexcept nogil

cdef enum:
    POLL_CHUNK = 1 << 20            # fuel units per grant (see Store below)
    FIRST_GRANT = 1 << 13           # the first grant of a call: the GIL is released after it
    DEFAULT_MAX_DEPTH = 10000       # call depth limit without a Store's max_call_depth
    SIGNAL_CHECK_NS = 20000000      # run Python's signal handlers at most every 20 ms

cdef uint64_t PAGE = 65536
cdef uint64_t MAX_PAGES = 65536
cdef uint32_t MAX_TABLE = 10000000          # elements; a larger table.grow fails (returns -1)

cdef enum:
    T_I32 = 0x7F
    T_I64 = 0x7E
    T_F32 = 0x7D
    T_F64 = 0x7C
    T_V128 = 0x7B
    T_FUNCREF = 0x70
    T_EXTERNREF = 0x6F

_CODES = {"i32": T_I32, "i64": T_I64, "f32": T_F32, "f64": T_F64, "v128": T_V128,
          "funcref": T_FUNCREF, "externref": T_EXTERNREF}

TRAP_MESSAGES = {
    TRAP_UNREACHABLE: "unreachable",
    TRAP_DIV_ZERO: "integer divide by zero",
    TRAP_INT_OVERFLOW: "integer overflow",
    TRAP_INVALID_CONVERSION: "invalid conversion to integer",
    TRAP_OOB_MEMORY: "out of bounds memory access",
    TRAP_OOB_TABLE: "out of bounds table access",
    TRAP_UNDEFINED_ELEMENT: "undefined element",
    TRAP_UNINITIALIZED_ELEMENT: "uninitialized element",
    TRAP_INDIRECT_TYPE: "indirect call type mismatch",
    TRAP_CALL_STACK: "call stack exhausted",
    TRAP_FUEL: "all fuel consumed",
    TRAP_INTERRUPT: "interrupted",
    TRAP_TIMEOUT: "timeout",
}

# ---------------------------------------------------------------------------------- externref
# An externref in a slot is the address of a Python object, which this registry keeps alive for
# as long as the process runs (wasm may hold it anywhere: tables, globals, frames).
cdef dict _extern_keep = {}

cdef inline uint64_t extern_bits(object v) except? 0xFFFFFFFFFFFFFFFF:
    if v is None:
        return 0
    _extern_keep[id(v)] = v
    return <uint64_t><PyObject*>v

cdef inline object extern_value(uint64_t b):
    if b == 0:
        return None
    return <object><PyObject*>b


# ---------------------------------------------------------------------------------- values
cdef uint64_t to_bits(uint8_t t, object v, uint64_t* hi) except? 0xFFFFFFFFFFFFFFFF:
    """Python value -> slot bits (hi receives the upper half of a v128)."""
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
        f = <float>float(v)
        return whisk_f32_bits(f)
    if t == T_F64:
        d = float(v)
        return whisk_f64_bits(d)
    if t == T_V128:
        if isinstance(v, (bytes, bytearray, memoryview)):
            v = int.from_bytes(bytes(v), "little") if len(v) == 16 else None
        if not isinstance(v, int) or not 0 <= v < (1 << 128):
            raise ValueError("v128 must be an int in [0, 2**128) or 16 bytes")
        hi[0] = v >> 64
        return v & 0xFFFFFFFFFFFFFFFF
    if t == T_FUNCREF:
        if v is None:
            return 0
        if not isinstance(v, Func):
            raise TypeError(f"expected a Func or None for funcref, got {type(v).__name__}")
        return <uint64_t>&(<Func>v).rec
    return extern_bits(v)

cdef uint64_t raw_to_bits(uint8_t t, object v, uint64_t* hi) except? 0xFFFFFFFFFFFFFFFF:
    """Raw-bit form (call_bits): numbers are unsigned ints of their bits."""
    if t == T_F32:
        if not isinstance(v, int) or not 0 <= v < (1 << 32):
            raise ValueError("f32 raw bits must be an int in [0, 2**32)")
        return v
    if t == T_F64:
        if not isinstance(v, int) or not 0 <= v < (1 << 64):
            raise ValueError("f64 raw bits must be an int in [0, 2**64)")
        return v
    return to_bits(t, v, hi)

cdef object from_bits(uint8_t t, uint64_t* p, bint raw):
    """Slot bits -> Python value (raw: unsigned ints of the bits for numbers)."""
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
    if t == T_FUNCREF:
        if b == 0:
            return None
        return <object>(<FuncRec*>b).obj
    return extern_value(b)

cdef inline int nslots_of(uint8_t t) noexcept:
    return 2 if t == T_V128 else 1

def type_codes(types):
    """Value type names -> bytes of binary type codes."""
    return bytes([_CODES[t] for t in types])


# ---------------------------------------------------------------------------------- memory
cdef int64_t mem_grow(MemRec* m, uint32_t delta) noexcept nogil:
    """memory.grow (spec 4.4.7.8): the old size in pages, or -1."""
    cdef uint64_t old = m.size // PAGE
    cdef uint64_t new = old + delta
    if new > m.max_pages or new * PAGE > m.reserved:
        return -1
    if not whisk_commit(m.base, m.size, new * PAGE):
        return -1
    m.size = new * PAGE
    return <int64_t>old


cdef class Memory:
    """A linear memory (spec 4.2.8): ``Memory(min_pages, max_pages=None, limit_bytes=None)``,
    sizes in pages of 64 KiB; ``limit_bytes`` (a Store's max_memory_bytes) caps growth below
    the declared maximum (memory.grow past it returns -1).

    Supports the writable buffer protocol: ``memoryview(mem)`` is a zero-copy view of the
    current size in bytes, and ``numpy.frombuffer(mem, ...)`` works too. The memory never moves:
    its address space (``max_pages``, or 4 GiB) is reserved up front and committed as it grows,
    so a view taken before ``grow`` stays valid (it keeps the length it had). Raises ValueError
    for limits over 65536 pages or min > max, MemoryError if the reservation fails.
    """
    cdef MemRec rec
    cdef public object type          # a whisk.types.MemoryType, set by the runtime
    cdef object declared_max         # max_pages as given (None: no maximum)
    cdef Py_ssize_t _shape
    cdef Py_ssize_t _stride

    def __cinit__(self, min_pages, max_pages=None, limit_bytes=None):
        if min_pages < 0 or min_pages > MAX_PAGES or (max_pages is not None and not 0 <= max_pages <= MAX_PAGES):
            raise ValueError("memory size must be at most 65536 pages (4GiB)")
        if max_pages is not None and max_pages < min_pages:
            raise ValueError("size minimum must not be greater than maximum")
        self.declared_max = max_pages
        self.rec.max_pages = MAX_PAGES if max_pages is None else max_pages
        if limit_bytes is not None:
            if min_pages * PAGE > limit_bytes:
                raise MemoryError(f"memory minimum of {min_pages} pages exceeds the limit of "
                                  f"{limit_bytes} bytes")
            self.rec.max_pages = min(self.rec.max_pages, limit_bytes // PAGE)
        self.rec.reserved = (self.rec.max_pages if self.rec.max_pages > 0 else 1) * PAGE
        self.rec.base = <uint8_t*>whisk_reserve(self.rec.reserved)
        if self.rec.base == NULL:
            raise MemoryError("cannot reserve address space for a linear memory")
        self.rec.size = 0
        if not whisk_commit(self.rec.base, 0, <uint64_t>min_pages * PAGE):
            raise MemoryError("cannot commit linear memory")
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

    def grow(self, delta_pages):
        """Grow by ``delta_pages`` pages of 64 KiB (spec 4.5.3.9); returns the old size in pages.
        Raises ValueError if the maximum would be exceeded."""
        if delta_pages < 0 or delta_pages > 0xFFFFFFFF:
            raise ValueError("delta must be a non-negative page count")
        r = mem_grow(&self.rec, delta_pages)
        if r < 0:
            raise ValueError("memory cannot grow beyond its maximum")
        return r

    def read(self, offset, n):
        """``n`` bytes from byte ``offset`` (a copy). Raises IndexError if out of bounds."""
        if offset < 0 or n < 0 or offset + n > self.rec.size:
            raise IndexError("out of bounds memory access")
        return (<char*>self.rec.base)[offset:offset + n]

    def write(self, offset, data):
        """Write bytes-like ``data`` at byte ``offset``. Raises IndexError if out of bounds."""
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
        if key < 0:
            key += self.rec.size
        if not 0 <= key < self.rec.size:
            raise IndexError("out of bounds memory access")
        return self.rec.base[key]

    def __setitem__(self, key, value):
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
        return f"<whisk.Memory {self.rec.size // PAGE} pages>"


# ---------------------------------------------------------------------------------- table
cdef int64_t table_grow(TableRec* t, uint32_t delta, uint64_t init) noexcept nogil:
    """table.grow (spec 4.4.6.6): the old size, or -1."""
    cdef uint64_t old = t.size
    cdef uint64_t new = old + delta
    cdef uint64_t* e
    cdef uint64_t i, cap
    if new > t.max or new > MAX_TABLE:
        return -1
    if new > t.capacity:
        cap = max(new, <uint64_t>t.capacity * 2)
        if cap > t.max:
            cap = new
        e = <uint64_t*>realloc(t.elems, cap * sizeof(uint64_t) + 8)
        if e == NULL:
            return -1
        t.elems = e
        t.capacity = <uint32_t>cap
    for i in range(old, new):
        t.elems[i] = init
    t.size = <uint32_t>new
    return <int64_t>old


cdef class Table:
    """A table (spec 4.2.7): ``Table(reftype, min, max=None)`` with ``reftype`` 'funcref' or
    'externref' and sizes in elements. ``len(t)``, ``t[i]``, ``t[i] = ref``, ``t.grow(delta,
    init=None)``. Raises IndexError for an index out of bounds, TypeError for a wrong value."""
    cdef TableRec rec
    cdef public str elem
    cdef public object type
    cdef set keep                     # instances that may have written function references

    def __cinit__(self, reftype, min, max=None):
        if reftype not in ("funcref", "externref"):
            raise ValueError("reftype must be 'funcref' or 'externref'")
        if min < 0 or min > 0xFFFFFFFF or (max is not None and not min <= max <= 0xFFFFFFFF):
            raise ValueError("size minimum must not be greater than maximum")
        self.elem = reftype
        self.rec.is_func = 1 if reftype == "funcref" else 0
        self.rec.max = 0xFFFFFFFF if max is None else max
        self.rec.size = 0
        self.rec.capacity = 0
        self.rec.elems = <uint64_t*>malloc(8)
        self.keep = set()
        self.type = None
        if table_grow(&self.rec, min, 0) < 0:
            raise MemoryError("table too large")

    def __dealloc__(self):
        free(self.rec.elems)

    cdef TableRec* ptr(self):
        return &self.rec

    cdef void keep_alive(self, object owner):
        self.keep.add(owner)

    def __len__(self):
        return self.rec.size

    @property
    def max(self):
        """Maximum size in elements, or None."""
        return None if self.rec.max == 0xFFFFFFFF else self.rec.max

    def __getitem__(self, i):
        if not 0 <= i < self.rec.size:
            raise IndexError("out of bounds table access")
        return from_bits(T_FUNCREF if self.rec.is_func else T_EXTERNREF, &self.rec.elems[i], False)

    def __setitem__(self, i, value):
        cdef uint64_t hi
        if not 0 <= i < self.rec.size:
            raise IndexError("out of bounds table access")
        if value is not None and self.rec.is_func:
            self.keep.add(value)
        self.rec.elems[i] = to_bits(T_FUNCREF if self.rec.is_func else T_EXTERNREF, value, &hi)

    def grow(self, delta, init=None):
        """Grow by ``delta`` elements set to ``init``; returns the old size. Raises ValueError
        beyond the maximum."""
        cdef uint64_t hi
        cdef uint64_t b = to_bits(T_FUNCREF if self.rec.is_func else T_EXTERNREF, init, &hi)
        if init is not None and self.rec.is_func:
            self.keep.add(init)
        if delta < 0 or delta > 0xFFFFFFFF:
            raise ValueError("delta must be a non-negative element count")
        r = table_grow(&self.rec, delta, b)
        if r < 0:
            raise ValueError("table cannot grow beyond its maximum")
        return r

    def __repr__(self):
        return f"<whisk.Table {self.elem} size={self.rec.size}>"


# ---------------------------------------------------------------------------------- global
cdef class Global:
    """A global (spec 4.2.9): ``Global(valtype, value, mutable=False)``; ``.value`` reads it
    and, when mutable, sets it; ``.value_bits`` is the raw-bit form (see Func.call_bits)."""
    cdef uint64_t bits[2]
    cdef uint8_t code
    cdef public str valtype
    cdef public bint mutable
    cdef public object type
    cdef object keep

    def __cinit__(self, valtype, value=None, mutable=False):
        if valtype not in _CODES:
            raise ValueError(f"unknown value type {valtype!r}")
        self.valtype = valtype
        self.code = _CODES[valtype]
        self.mutable = bool(mutable)
        self.bits[0] = 0
        self.bits[1] = 0
        self.type = None
        if value is not None:
            self._set(value, False)

    cdef uint64_t* ptr(self):
        return &self.bits[0]

    cdef _set(self, value, bint raw):
        cdef uint64_t hi = 0
        self.bits[0] = raw_to_bits(self.code, value, &hi) if raw else to_bits(self.code, value, &hi)
        self.bits[1] = hi
        if self.code == T_FUNCREF:
            self.keep = value

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


# ---------------------------------------------------------------------------------- exec stack
cdef class ExecStack:
    """The value stack and call stack that guest code runs on (one per thread in use)."""
    cdef ExecCtx ctx
    cdef object pending              # the exception a host function raised
    cdef long owner_thread
    cdef int active                  # nesting level of calls running on this stack
    cdef uint32_t frames_cap         # frames allocated

    cdef int set_depth_limit(self, uint32_t limit) except -1:
        # The call depth limit of the next outermost call (a Store's max_call_depth).
        cdef Frame* f
        if limit > self.frames_cap:
            f = <Frame*>realloc(self.ctx.frames, (limit + 1) * sizeof(Frame))
            if f == NULL:
                raise MemoryError()
            self.ctx.frames = f
            self.frames_cap = limit
        self.ctx.max_depth = limit
        return 0

    def __cinit__(self, size_t slots=1 << 20, uint32_t max_depth=10000):
        self.ctx.stack = <uint64_t*>malloc(slots * sizeof(uint64_t))
        self.ctx.frames = <Frame*>malloc((max_depth + 1) * sizeof(Frame))
        if self.ctx.stack == NULL or self.ctx.frames == NULL:
            raise MemoryError()
        self.ctx.stack_end = self.ctx.stack + slots
        self.ctx.free = self.ctx.stack
        self.ctx.depth = 0
        self.ctx.max_depth = max_depth
        self.ctx.store = NULL
        self.ctx.budget = self.ctx.granted = POLL_CHUNK
        self.ctx.deadline = 0
        self.ctx.check_signals = 0
        self.ctx.may_release = 0
        self.ctx.tstate = NULL
        self.ctx.owner = <PyObject*>self
        self.frames_cap = max_depth
        self.pending = None
        self.active = 0

    def __dealloc__(self):
        free(self.ctx.stack)
        free(self.ctx.frames)


cdef ExecStack _main_stack = ExecStack()
cdef dict _thread_stacks = {}

cdef ExecStack current_stack():
    cdef long me = PyThread_get_thread_ident()
    if _main_stack.active == 0 or _main_stack.owner_thread == me:
        _main_stack.owner_thread = me
        return _main_stack
    s = _thread_stacks.get(me)
    if s is None:
        s = ExecStack()
        _thread_stacks[me] = s
    return s


# ---------------------------------------------------------------------------------- store
# Fuel units: one per wasm instruction, charged in advance per loop iteration (the instructions
# from the loop's start to its backward branch) and per call (the callee's instructions outside
# loops). The loop spends grants of at most POLL_CHUNK units; poll() runs between grants, so
# interruption, timeouts and Ctrl-C are seen within about POLL_CHUNK instructions.

cdef class Store:
    """A store (spec 4.2.2): the instances, memories and functions that belong together, and the
    limits they run under. ``whisk.Store(fuel=None, max_memory_bytes=None, max_call_depth=None)``

    - ``fuel``: an instruction budget (int, or None for unlimited). Running guest code consumes
      about one unit per wasm instruction; when it runs out, the call raises
      ``whisk.Exhaustion("all fuel consumed")``. Read or assign ``store.fuel`` to refuel.
    - ``max_memory_bytes``: no linear memory created in this store may grow past this many bytes
      (a memory.grow beyond it returns -1; instantiating a larger minimum fails with LinkError).
    - ``max_call_depth``: the wasm call depth limit (default 10,000 frames); deeper recursion
      raises ``whisk.Exhaustion("call stack exhausted")``.

    ``store.interrupt()`` (from any thread) stops guest code running in this store with
    ``whisk.Interrupted("interrupted")``. Pass a store to ``whisk.Instance(..., store=...)``;
    an instance made without one gets a store of its own (``instance.store``).
    """
    cdef StoreRec rec
    cdef readonly object max_memory_bytes
    cdef readonly object max_call_depth
    cdef uint32_t depth_limit        # max_call_depth, or the default

    def __cinit__(self, fuel=None, max_memory_bytes=None, max_call_depth=None):
        self.rec.interrupt = 0
        self.rec.fuel = -1
        self.fuel = fuel
        if max_memory_bytes is not None and max_memory_bytes < 0:
            raise ValueError("max_memory_bytes must be >= 0")
        if max_call_depth is not None and not 1 <= max_call_depth <= 1000000:
            raise ValueError("max_call_depth must be in 1..1000000")
        self.max_memory_bytes = max_memory_bytes
        self.max_call_depth = max_call_depth
        self.depth_limit = DEFAULT_MAX_DEPTH if max_call_depth is None else max_call_depth

    cdef StoreRec* ptr(self):
        return &self.rec

    @property
    def fuel(self):
        """Remaining fuel (int), or None when fuel is not metered."""
        return None if self.rec.fuel < 0 else self.rec.fuel

    @fuel.setter
    def fuel(self, value):
        if value is None:
            self.rec.fuel = -1
        elif value < 0:
            raise ValueError("fuel must be >= 0 (or None for unlimited)")
        else:
            self.rec.fuel = min(int(value), (1 << 62))

    def interrupt(self):
        """Stop guest code running in this store (thread-safe; takes effect within about a
        million instructions). If nothing runs, the next call is interrupted."""
        self.rec.interrupt = 1

    def __repr__(self):
        return f"<whisk.Store fuel={self.fuel}>"


cdef long _main_ident = threading.main_thread().ident


cdef inline void settle(ExecCtx* ctx) noexcept nogil:
    # Charge the store for the budget spent since the last grant.
    cdef int64_t used = ctx.granted - ctx.budget
    if ctx.store != NULL and ctx.store.fuel >= 0:
        ctx.store.fuel = ctx.store.fuel - used if ctx.store.fuel > used else 0
    ctx.granted = ctx.budget


cdef inline void grant(ExecCtx* ctx) noexcept nogil:
    cdef int64_t g = POLL_CHUNK
    if ctx.store != NULL and 0 <= ctx.store.fuel < g:
        g = ctx.store.fuel
    ctx.budget = ctx.granted = g


cdef int check_signals(ExecCtx* ctx) noexcept with gil:
    # Run Python's signal handlers (the main thread only): Ctrl-C raises KeyboardInterrupt,
    # which the call re-raises as the host-exception trap does.
    cdef ExecStack st = <ExecStack>ctx.owner
    try:
        PyErr_CheckSignals()
    except BaseException as e:
        st.pending = e
        return TRAP_HOST
    return TRAP_NONE


cdef int poll(ExecCtx* ctx) noexcept nogil:
    """Between grants (the budget went negative): settle fuel, then stop for exhausted fuel,
    an interrupt, a passed deadline or a Python signal, else grant a new budget."""
    cdef int64_t now = 0
    settle(ctx)
    if ctx.store != NULL:
        if ctx.store.fuel == 0:
            return TRAP_FUEL
        if ctx.store.interrupt:
            ctx.store.interrupt = 0
            return TRAP_INTERRUPT
    if ctx.may_release and ctx.tstate == NULL:
        # A call that runs this long lets other Python threads run: release the GIL until the
        # call returns (host calls take it back with `with gil`). Short calls never pay for it.
        ctx.tstate = PyEval_SaveThread()
    if ctx.deadline != 0 or ctx.check_signals:
        now = whisk_monotonic_ns()
        if ctx.deadline != 0 and now >= ctx.deadline:
            return TRAP_TIMEOUT
        if ctx.check_signals and now >= ctx.next_signal_check:
            ctx.next_signal_check = now + SIGNAL_CHECK_NS
            if check_signals(ctx) != TRAP_NONE:
                return TRAP_HOST
    grant(ctx)
    return TRAP_NONE


cdef int begin_outermost(ExecStack st, Store store, object timeout) except -1:
    # Set up polling for a call from Python that is not nested in guest code.
    cdef ExecCtx* ctx = &st.ctx
    if store.depth_limit != ctx.max_depth:
        st.set_depth_limit(store.depth_limit)
    ctx.store = &store.rec
    grant(ctx)
    if ctx.budget > FIRST_GRANT:
        ctx.budget = ctx.granted = FIRST_GRANT
    ctx.deadline = 0
    if timeout is not None:
        if timeout < 0:
            raise ValueError("timeout must be >= 0 seconds")
        ctx.deadline = whisk_monotonic_ns() + <int64_t>(timeout * 1e9) + 1
        ctx.budget = ctx.granted = min(ctx.budget, 1 << 14)    # notice short deadlines soon
    ctx.check_signals = 1 if <long>PyThread_get_thread_ident() == _main_ident else 0
    ctx.next_signal_check = 0
    return 0


# ---------------------------------------------------------------------------------- func
cdef class Func:
    """A function (spec 4.2.6): a wasm function of an instance, or a host function
    ``Func(functype, callable)`` wrapping a Python callable.

    ``f(*args)`` calls it: i32/i64 take ints in [-2**(N-1), 2**N), f32/f64 floats, v128 an int
    (or 16 bytes), funcref a Func or None, externref any object or None; it returns None, one
    value or a tuple. ``f.call_bits(*args)`` takes and returns numbers as unsigned raw bits.
    Raises Trap (or Exhaustion) when the guest traps; exceptions from host functions pass
    through unchanged.
    """
    cdef FuncRec rec
    cdef public object type          # whisk.types.FuncType
    cdef public object callable      # host functions
    cdef public object instance      # the owning instance core (wasm functions)
    cdef public object name          # from the name section, if any
    cdef bytes ptypes
    cdef bytes rtypes

    def __cinit__(self, functype, callable=None):
        self.type = functype
        self.callable = callable
        self.ptypes = type_codes(functype.params)
        self.rtypes = type_codes(functype.results)
        self.name = None
        memset(&self.rec, 0, sizeof(FuncRec))
        self.rec.obj = <PyObject*>self
        self.rec.nparams = sum([nslots_of(t) for t in self.ptypes])
        self.rec.nresults = sum([nslots_of(t) for t in self.rtypes])
        self.rec.nslots = max(self.rec.nparams, self.rec.nresults)
        self.rec.nlocals = self.rec.nparams
        self.rec.type_id = type_id(functype)
        if callable is not None:
            self.rec.host = <PyObject*>self

    cdef FuncRec* ptr(self):
        return &self.rec

    def __call__(self, *args, timeout=None):
        res = self.invoke(args, False, timeout)
        if len(res) == 0:
            return None
        if len(res) == 1:
            return res[0]
        return res

    def call_bits(self, *args, timeout=None):
        """Call with numbers as unsigned ints holding their raw bits (exact NaN payloads);
        returns a tuple in the same form."""
        return self.invoke(args, True, timeout)

    cdef tuple invoke(self, tuple args, bint raw, object timeout=None):
        cdef ExecStack st
        cdef ExecCtx* ctx
        cdef uint64_t* fp
        cdef uint64_t* base
        cdef Py_ssize_t np_ = len(self.ptypes)
        cdef int trap
        if len(args) != np_:
            raise TypeError(f"expected {np_} arguments, got {len(args)}")
        if self.callable is not None:
            return self.call_python(args, raw)
        st = current_stack()
        ctx = &st.ctx
        base = ctx.free
        if base + self.rec.nslots + 16 > ctx.stack_end:
            raise Exhaustion("call stack exhausted")
        fp = base
        write_args(self.ptypes, args, fp, raw)
        if self.rec.nlocals > self.rec.nparams:
            memset(fp + self.rec.nparams, 0, (self.rec.nlocals - self.rec.nparams) * sizeof(uint64_t))
        cdef uint32_t entry_depth = ctx.depth
        cdef bint outermost = st.active == 0
        cdef int saved_release = ctx.may_release
        cdef InstanceCore owner
        if outermost:
            owner = <InstanceCore>self.instance
            begin_outermost(st, <Store>owner.store, timeout)
        st.active += 1
        ctx.free = base + self.rec.nslots
        ctx.budget -= self.rec.cost             # the call's own fuel, as a call from wasm pays it
        try:
            # The GIL stays held until the first poll (see poll()); a nested call (from a host
            # function) keeps it throughout.
            ctx.may_release = outermost
            trap = execute(ctx, &self.rec, fp)
            ctx.may_release = saved_release
            if ctx.tstate != NULL and outermost:
                PyEval_RestoreThread(ctx.tstate)
                ctx.tstate = NULL
            if trap:
                raise_trap(st, trap, entry_depth)
        finally:
            st.active -= 1
            ctx.free = base
            ctx.depth = entry_depth
            if outermost:
                settle(ctx)
                ctx.deadline = 0
        return read_results(self.rtypes, fp, raw)

    cdef tuple call_python(self, tuple args, bint raw):
        # A host function called from Python: convert as wasm would, then call it.
        cdef uint64_t slots[64]
        if len(self.ptypes) > 32 or len(self.rtypes) > 32:
            res = self.callable(*args)
            return tuple(res) if isinstance(res, tuple) else (() if res is None else (res,))
        write_args(self.ptypes, args, slots, raw)
        res = self.callable(*read_results(self.ptypes, slots, False))
        write_host_results(self, res, slots)
        return read_results(self.rtypes, slots, raw)

    def __repr__(self):
        return f"<whisk.Func {self.name or ''} {self.type}>"


cdef int write_args(bytes types, tuple args, uint64_t* fp, bint raw) except -1:
    cdef Py_ssize_t i, k = 0
    cdef uint64_t hi
    cdef uint8_t t
    for i in range(len(types)):
        t = types[i]
        hi = 0
        fp[k] = raw_to_bits(t, args[i], &hi) if raw else to_bits(t, args[i], &hi)
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

cdef int write_host_results(Func fn, object res, uint64_t* fp) except -1:
    cdef Py_ssize_t n = len(fn.rtypes)
    if n == 0:
        return 0
    if n == 1:
        res = (res,)
    elif not isinstance(res, (tuple, list)) or len(res) != n:
        raise TypeError(f"host function must return {n} values")
    write_args(fn.rtypes, tuple(res), fp, False)
    return 0


cdef int call_host(ExecCtx* ctx, FuncRec* f, uint64_t* fp) noexcept with gil:
    """Call a host function from guest code: arguments from fp[0..], results to fp[0..]."""
    cdef Func fn = <Func>f.obj
    cdef ExecStack st = <ExecStack>ctx.owner
    try:
        args = read_results(fn.ptypes, fp, False)
        res = fn.callable(*args)
        write_host_results(fn, res, fp)
        return TRAP_NONE
    except BaseException as e:
        st.pending = e
        return TRAP_HOST


cdef int raise_trap(ExecStack st, int trap, uint32_t entry_depth) except -1:
    # Raise the trap as Trap / Exhaustion with the wasm backtrace (frames above entry_depth),
    # or re-raise the exception a host function raised.
    cdef ExecCtx* ctx = &st.ctx
    cdef list frames = []
    cdef FuncRec* f
    cdef uint32_t d
    exc = st.pending
    st.pending = None
    if ctx.trap_func != NULL:
        f = ctx.trap_func
        frames.append((f.index, (<Func>f.obj).name))
        d = ctx.trap_depth
        while d > entry_depth and len(frames) < 64:
            d -= 1
            f = ctx.frames[d].func
            if f == NULL:
                break
            frames.append((f.index, (<Func>f.obj).name))
    ctx.trap_func = NULL
    if trap == TRAP_HOST and exc is not None:
        raise exc
    msg = TRAP_MESSAGES.get(trap, "unknown trap")
    if trap == TRAP_UNINITIALIZED_ELEMENT:
        msg = f"{msg} {ctx.trap_arg}"

    if trap == TRAP_CALL_STACK or trap == TRAP_FUEL:
        raise Exhaustion(msg, frames)
    if trap == TRAP_INTERRUPT or trap == TRAP_TIMEOUT:
        raise Interrupted(msg, frames)
    raise Trap(msg, frames)


# ---------------------------------------------------------------------------------- types
cdef dict _type_ids = {}

cpdef uint32_t type_id(object functype):
    """The canonical id of a function type (equal types, equal ids; spec 4.5.2.1)."""
    key = (tuple(functype.params), tuple(functype.results))
    i = _type_ids.get(key)
    if i is None:
        i = len(_type_ids) + 1
        _type_ids[key] = i
    return i


# ---------------------------------------------------------------------------------- instance
cdef class InstanceCore:
    """The core's view of a module instance (spec 4.2.5): the arrays the dispatch loop indexes.
    Built by whisk.runtime.instance; holds references to every object it points into."""
    cdef InstCtx ctx
    cdef LoweredModule code
    cdef public list funcs
    cdef public list tables
    cdef public list globals
    cdef public object memory
    cdef public object store
    cdef list data_keep
    cdef Py_ssize_t nelems, ndatas

    def __cinit__(self):
        memset(&self.ctx, 0, sizeof(InstCtx))

    def __dealloc__(self):
        cdef Py_ssize_t i
        free(self.ctx.funcs)
        free(self.ctx.globals)
        free(self.ctx.tables)
        free(self.ctx.type_ids)
        if self.ctx.elems != NULL:
            for i in range(self.nelems):
                free(self.ctx.elems[i].items)
        free(self.ctx.elems)
        free(self.ctx.datas)

    def build(self, LoweredModule code, list types, list imported_funcs, list defined,
              list tables, memory, list globals, list datas, Store store not None):
        """``types``: the module's FuncTypes; ``imported_funcs``: Func objects; ``defined``:
        [(FuncType, (entry, nparams, nresults, nlocals, nslots, cost))] per defined function;
        ``tables``/``globals``: Table/Global objects of the index spaces; ``memory``: Memory or
        None; ``datas``: the bytes of each data segment; ``store``: the Store it belongs to.
        Returns the list of all Func objects."""
        cdef Py_ssize_t i, n
        cdef Func f
        self.store = store
        self.ctx.store = store.ptr()
        self.code = code
        self.ctx.code = code.code_ptr()
        self.funcs = list(imported_funcs)
        for i, (ft, info) in enumerate(defined):
            f = Func(ft)
            f.instance = self
            f.rec.inst = &self.ctx
            f.rec.entry, f.rec.nparams, f.rec.nresults, f.rec.nlocals, f.rec.nslots, f.rec.cost = info
            f.rec.index = len(imported_funcs) + i
            self.funcs.append(f)
        for i, f in enumerate(self.funcs):
            if i < len(imported_funcs) and f.rec.inst == NULL:
                f.rec.index = i
        n = len(self.funcs)
        self.ctx.funcs = <FuncRec**>malloc(sizeof(FuncRec*) * (n + 1))
        for i in range(n):
            self.ctx.funcs[i] = &(<Func>self.funcs[i]).rec
        self.tables = list(tables)
        self.ctx.tables = <TableRec**>malloc(sizeof(TableRec*) * (len(tables) + 1))
        for i in range(len(tables)):
            self.ctx.tables[i] = (<Table>tables[i]).ptr()
            (<Table>tables[i]).keep_alive(self)
        self.memory = memory
        self.ctx.mem = (<Memory>memory).ptr() if memory is not None else NULL
        self.globals = list(globals)
        self.ctx.globals = <uint64_t**>malloc(sizeof(uint64_t*) * (len(globals) + 1))
        for i in range(len(globals)):
            self.ctx.globals[i] = (<Global>globals[i]).ptr()
        self.ctx.type_ids = <uint32_t*>malloc(sizeof(uint32_t) * (len(types) + 1))
        for i in range(len(types)):
            self.ctx.type_ids[i] = type_id(types[i])
        self.data_keep = list(datas)
        self.ndatas = len(datas)
        self.ctx.datas = <SegRec*>calloc(len(datas) + 1, sizeof(SegRec))
        for i in range(len(datas)):
            self.ctx.datas[i].bytes = <const uint8_t*><char*>self.data_keep[i]
            self.ctx.datas[i].n = len(self.data_keep[i])
        return self.funcs

    def set_elems(self, list segments):
        """``segments``: per element segment, the list of its reference values (Func, None or
        extern objects) and its reftype name."""
        cdef Py_ssize_t i, j
        cdef uint64_t hi
        cdef uint8_t t
        self.nelems = len(segments)
        self.ctx.elems = <SegRec*>calloc(len(segments) + 1, sizeof(SegRec))
        for i, (reftype, items) in enumerate(segments):
            t = _CODES[reftype]
            self.ctx.elems[i].items = <uint64_t*>malloc(sizeof(uint64_t) * (len(items) + 1))
            self.ctx.elems[i].n = len(items)
            for j in range(len(items)):
                self.ctx.elems[i].items[j] = to_bits(t, items[j], &hi)

    def table_init(self, uint32_t table, uint32_t seg, uint64_t dst, uint64_t src, uint64_t n):
        """table.init (spec 4.4.6.7) from Python (active segments at instantiation)."""
        cdef TableRec* tab = self.ctx.tables[table]
        cdef SegRec* s = &self.ctx.elems[seg]
        if dst + n > tab.size or src + n > s.n:
            raise Trap("out of bounds table access")
        memcpy(tab.elems + dst, s.items + src, n * sizeof(uint64_t))

    def memory_init(self, uint32_t seg, uint64_t dst, uint64_t src, uint64_t n):
        """memory.init (spec 4.4.7.12) from Python (active segments at instantiation)."""
        cdef SegRec* s = &self.ctx.datas[seg]
        cdef MemRec* m = self.ctx.mem
        if m == NULL or dst + n > m.size or src + n > s.n:
            raise Trap("out of bounds memory access")
        memcpy(m.base + dst, s.bytes + src, n)

    def elem_drop(self, uint32_t seg):
        self.ctx.elems[seg].n = 0

    def data_drop(self, uint32_t seg):
        self.ctx.datas[seg].n = 0


include "simd.pxi"
include "loop.pxi"
