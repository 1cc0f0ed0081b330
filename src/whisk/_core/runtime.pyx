# The runtime objects (spec 4.2: function, table, memory, global and tag instances), the execution
# stack, the call boundary between Python and wasm, and the dispatch loop (loop.pxi).

from libc.stdint cimport (uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t,
                          uintptr_t)
from libc.stdlib cimport malloc, calloc, realloc, free
from libc.string cimport memset, memcpy, memmove
from cpython.ref cimport PyObject
from cpython.buffer cimport PyBUF_WRITABLE
from cpython.pythread cimport PyThread_get_thread_ident
from cpython.exc cimport PyErr_CheckSignals
from cpython.object cimport PyCallable_Check

from whisk._core.code cimport *
from whisk._core.ops cimport *
from whisk._core.numeric cimport *
from whisk._core.lower cimport LoweredModule

import threading
from _thread import stack_size as _thread_stack_size

from whisk.errors import Trap, Exhaustion, Interrupted, ResourceError
from whisk.errors import TrapCode as _TrapCode, Frame as _TrapFrame
from functools import partial
from whisk.types import (heap_family as _heap_family, is_sub_id as _is_sub_id,
                         func_type_id as _func_type_id, super_chain as _super_chain)
import struct as _struct

cdef extern from "vmem.h":
    void* whisk_reserve(uint64_t n) noexcept nogil
    int whisk_commit(void* base, uint64_t start, uint64_t stop) noexcept nogil
    void whisk_release(void* base, uint64_t n) noexcept nogil

cdef extern from "Python.h":
    void* PyEval_SaveThread() nogil
    void PyEval_RestoreThread(void* tstate) nogil

cdef extern from "mclock.h":
    int64_t whisk_monotonic_ns() noexcept nogil

cdef extern from "opprofile.h":
    # the dynamic instruction mix (a profile build only; see op_counts and opprofile.h)
    int WHISK_PROFILE_ENABLED
    int WHISK_PROFILE_MAXOPS
    void WHISK_COUNT_OP(uint32_t op) noexcept nogil
    uint64_t whisk_op_count(uint32_t op) noexcept nogil
    uint64_t whisk_pair_count(uint32_t a, uint32_t b) noexcept nogil
    void whisk_reset_op_counts() noexcept nogil

cdef enum:
    POLL_CHUNK = 1 << 20            # fuel units per grant (see Store below)
    FIRST_GRANT = 1 << 13           # the first grant of a call: the GIL is released after it
    DEFAULT_MAX_DEPTH = 10000       # call depth limit without a Store's max_call_depth
    MAX_REENTRY = 1000              # nested Python -> wasm calls on one thread (see invoke)
    REENTRY_STACK = 512 * 1024      # bytes of C stack nested calls may use below the outermost
                                    # (half a thread's stack when threading.stack_size() is less)
    SIGNAL_CHECK_NS = 20000000      # run Python's signal handlers at most every 20 ms


cdef enum:
    T_I32 = 0x7F
    T_I64 = 0x7E
    T_F32 = 0x7D
    T_F64 = 0x7C
    T_V128 = 0x7B
    T_FUNCREF = 0x70
    T_EXTERNREF = 0x6F
    T_EXNREF = 0x69
    T_ANYREF = 0x6E          # the any hierarchy: any, eq, i31, struct, array, none (GC)

_CODES = {"i32": T_I32, "i64": T_I64, "f32": T_F32, "f64": T_F64, "v128": T_V128,
          "funcref": T_FUNCREF, "externref": T_EXTERNREF, "exnref": T_EXNREF,
          "anyref": T_ANYREF}

cdef inline bint is_ref_code(uint8_t t) noexcept:
    return t == T_FUNCREF or t == T_EXTERNREF or t == T_EXNREF or t == T_ANYREF

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
    TRAP_NULL_EXN: "null exception reference",
    TRAP_NULL_FUNC: "null function reference",
    TRAP_NULL_REF: "null reference",
    TRAP_NULL_STRUCT: "null structure reference",
    TRAP_NULL_ARRAY: "null array reference",
    TRAP_NULL_I31: "null i31 reference",
    TRAP_OOB_ARRAY: "out of bounds array access",
    TRAP_CAST: "cast failure",
    TRAP_ALLOC_SIZE: "allocation size too large",
    TRAP_GC_OOM: "GC heap out of memory: the store's max_memory_bytes would be exceeded",
}
# the whisk.TrapCode of each trap (names as wasmtime's where they overlap)
TRAP_CODES = {
    TRAP_UNREACHABLE: _TrapCode.UNREACHABLE,
    TRAP_DIV_ZERO: _TrapCode.INTEGER_DIVISION_BY_ZERO,
    TRAP_INT_OVERFLOW: _TrapCode.INTEGER_OVERFLOW,
    TRAP_INVALID_CONVERSION: _TrapCode.BAD_CONVERSION_TO_INTEGER,
    TRAP_OOB_MEMORY: _TrapCode.MEMORY_OUT_OF_BOUNDS,
    TRAP_OOB_TABLE: _TrapCode.TABLE_OUT_OF_BOUNDS,
    TRAP_UNDEFINED_ELEMENT: _TrapCode.TABLE_OUT_OF_BOUNDS,
    TRAP_UNINITIALIZED_ELEMENT: _TrapCode.INDIRECT_CALL_TO_NULL,
    TRAP_INDIRECT_TYPE: _TrapCode.BAD_SIGNATURE,
    TRAP_CALL_STACK: _TrapCode.STACK_OVERFLOW,
    TRAP_STACK_OVERFLOW: _TrapCode.STACK_OVERFLOW,
    TRAP_FUEL: _TrapCode.OUT_OF_FUEL,
    TRAP_INTERRUPT: _TrapCode.INTERRUPT,
    TRAP_TIMEOUT: _TrapCode.TIMEOUT,
    TRAP_NULL_EXN: _TrapCode.NULL_REFERENCE,
    TRAP_NULL_FUNC: _TrapCode.NULL_REFERENCE,
    TRAP_NULL_REF: _TrapCode.NULL_REFERENCE,
    TRAP_NULL_STRUCT: _TrapCode.NULL_REFERENCE,
    TRAP_NULL_ARRAY: _TrapCode.NULL_REFERENCE,
    TRAP_NULL_I31: _TrapCode.NULL_REFERENCE,
    TRAP_OOB_ARRAY: _TrapCode.ARRAY_OUT_OF_BOUNDS,
    TRAP_CAST: _TrapCode.CAST_FAILURE,
    TRAP_ALLOC_SIZE: _TrapCode.ALLOCATION_TOO_LARGE,
    TRAP_GC_OOM: _TrapCode.ALLOCATION_TOO_LARGE,
}

include "values.pxi"
include "heap.pxi"
include "externs.pxi"
include "gc.pxi"
include "gcref.pxi"


# ---------------------------------------------------------------------------------- exec stack
cdef class ExecStack:
    """The value stack and call stack that guest code runs on (one per thread in use)."""
    cdef ExecCtx ctx
    cdef object pending              # the exception a host function raised
    cdef long owner_thread
    cdef int active                  # nesting level of calls running on this stack
    cdef Heap heap                   # the heap of the innermost call running (for host results)
    cdef uintptr_t stack_top         # C stack address at the outermost call (re-entry limit)
    cdef uintptr_t stack_budget      # bytes below stack_top nested calls may use
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
        self.ctx.trap_store = NULL
        self.ctx.budget = self.ctx.granted = POLL_CHUNK
        self.ctx.deadline = 0
        self.ctx.check_signals = 0
        self.ctx.may_release = 0
        self.ctx.tstate = NULL
        self.ctx.owner = <PyObject*>self
        self.ctx.exn = NULL
        self.ctx.dead = NULL
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
    """A store (spec 4.2.2): the instances, memories, tables and functions that belong
    together, the limits they run under, and the owner of the references they hold.

    ``whisk.Store(fuel=None, max_memory_bytes=None, max_table_elements=10_000_000,
    max_instances=10_000, max_tables=10_000, max_memories=10_000, max_call_depth=None)``,
    every argument an int (TypeError otherwise, ValueError when out of range):

    - ``fuel``: an instruction budget (None: unlimited). Running guest code consumes about one
      unit per wasm instruction; when it runs out, or at the first call if it is 0, the call
      raises ``whisk.Exhaustion("all fuel consumed")``. Read or assign ``store.fuel`` to refuel.
    - ``max_memory_bytes``: bytes of all linear memories and tables of the store together
      (a table element counts 8 bytes); None: no limit beyond each memory's 4 GiB.
    - ``max_table_elements``: elements per table.
    - ``max_instances``, ``max_tables``, ``max_memories``: how many the store may create
      (instances and the tables and memories they define, counted for the store's life).
    - ``max_call_depth``: the wasm call depth limit (default 10,000 frames); deeper recursion
      raises ``whisk.Exhaustion("call stack exhausted")``. Independently, guest -> host ->
      guest re-entry is limited to 1,000 nested calls per thread (also Exhaustion).

    Past a limit, ``memory.grow`` and ``table.grow`` return -1 (spec 4.4.6.6, 4.4.7.8),
    ``Memory.grow``/``Table.grow`` from Python raise ResourceError, and instantiation raises
    ``whisk.ResourceError`` (a LinkError) before anything is allocated.

    ``store.interrupt()`` (from any thread) stops every call running in this store with
    ``whisk.Interrupted("interrupted")``; if none runs, the next call is stopped. Pass a store
    to ``whisk.Instance(..., store=...)``; an instance made without one gets a store of its own
    (``instance.store``).

    Calls across stores (an instance importing another store's function): the store of the
    outermost call from Python pays the fuel and its timeout applies; code of an instance runs
    under its own store's interrupt as well, so ``lib.store.interrupt()`` also stops lib's code
    when another store's instance called it. Their references are owned jointly (see
    RATIONALE.md, "Who keeps a reference alive").
    """
    cdef StoreRec rec
    cdef readonly object max_memory_bytes
    cdef readonly object max_table_elements
    cdef readonly object max_instances
    cdef readonly object max_tables
    cdef readonly object max_memories
    cdef readonly object max_call_depth
    cdef uint32_t depth_limit        # max_call_depth, or the default
    cdef Heap heap                   # the owner of its references (see heap.pxi)
    cdef Py_ssize_t ninstances, ntables, nmemories

    def __cinit__(self, fuel=None, max_memory_bytes=None, max_table_elements=10_000_000,
                  max_instances=10_000, max_tables=10_000, max_memories=10_000,
                  max_call_depth=None):
        self.rec.interrupt = 0
        self.rec.fuel = -1
        self.rec.running = 0
        self.rec.mem_used = 0
        self.fuel = fuel
        self.max_memory_bytes = opt_count_arg(max_memory_bytes, "max_memory_bytes", 0, None)
        self.max_table_elements = count_arg(max_table_elements, "max_table_elements", 0, 0xFFFFFFFF)
        self.max_instances = count_arg(max_instances, "max_instances", 1, None)
        self.max_tables = count_arg(max_tables, "max_tables", 0, None)
        self.max_memories = count_arg(max_memories, "max_memories", 0, None)
        self.max_call_depth = opt_count_arg(max_call_depth, "max_call_depth", 1, 1000000)
        self.rec.mem_limit = NO_LIMIT if max_memory_bytes is None else min(max_memory_bytes, NO_LIMIT)
        self.rec.table_limit = max_table_elements
        self.depth_limit = DEFAULT_MAX_DEPTH if max_call_depth is None else max_call_depth
        self.heap = Heap()
        self.ninstances = self.ntables = self.nmemories = 0

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
        else:
            count_arg(value, "fuel", 0, None)
            self.rec.fuel = min(value, (1 << 62))

    @property
    def memory_bytes(self):
        """Bytes of memories and tables charged to the store now (see max_memory_bytes)."""
        return self.rec.mem_used

    def bytes_left(self):
        """Bytes that may still be charged under max_memory_bytes (None: no limit)."""
        if self.max_memory_bytes is None:
            return None
        return max(0, self.max_memory_bytes - self.rec.mem_used)

    def admit(self, int ntables, int nmemories):
        """Count a new instance that defines ``ntables`` tables and ``nmemories`` memories;
        raises ResourceError (nothing counted) past max_instances/max_tables/max_memories."""
        if self.ninstances + 1 > self.max_instances:
            raise ResourceError(f"instance count would exceed the store's max_instances "
                                f"({self.max_instances})")
        if self.ntables + ntables > self.max_tables:
            raise ResourceError(f"table count would exceed the store's max_tables "
                                f"({self.max_tables})")
        if self.nmemories + nmemories > self.max_memories:
            raise ResourceError(f"memory count would exceed the store's max_memories "
                                f"({self.max_memories})")
        self.ninstances += 1
        self.ntables += ntables
        self.nmemories += nmemories

    def attach(self, extern):
        """Charge a Memory or Table to this store (the first store that creates or imports it
        pays for it); raises ResourceError past max_memory_bytes or max_table_elements."""
        if isinstance(extern, Memory):
            attach_memory(<Memory>extern, self)
        elif isinstance(extern, Table):
            attach_table(<Table>extern, self)

    def interrupt(self):
        """Stop every call running in this store, in any thread (thread-safe; each stops
        within about a million instructions, or on entry). If nothing runs, the next call is
        interrupted. The request is consumed once no call it stopped is left running."""
        self.rec.interrupt = 1

    def gc(self):
        """Run the GC heap's collector now (as wasmtime's ``Store.gc``): free every structure
        and array (3.0 GC) that nothing reaches (cycles included). Roots are the globals,
        tables and element segments of the store's heap, objects Python holds (whisk.AnyRef
        handles) and, from a host function, the frames of the calls below it. Does nothing
        while another thread runs code of the heap."""
        gc_collect_now(&self.heap.gc, &current_stack().ctx)

    @property
    def gc_heap(self):
        """``(objects, bytes)``: the structures and arrays in the store's GC heap now (live or
        not yet collected), and the bytes they take (headers included). ``max_memory_bytes``
        is charged for the heap's memory: a 64 KiB chunk at a time for objects up to 512
        bytes (3.0 GC; RATIONALE.md "The GC heap"), each larger object by its size."""
        cdef GcHeap* h = gc_root(&self.heap.gc)
        return (h.count, h.bytes)

    def __repr__(self):
        return f"<whisk.Store fuel={self.fuel}>"

    def __reduce__(self):
        refuse_pickle(self)


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


cdef int poll(ExecCtx* ctx, StoreRec* cur) noexcept nogil:
    """Between grants (the budget went negative): settle fuel, then stop for exhausted fuel,
    an interrupt (of the outermost call's store, or of ``cur``, the store of the instance
    running), a passed deadline or a Python signal, else grant a new budget."""
    cdef int64_t now = 0
    settle(ctx)
    if ctx.store != NULL:
        if ctx.store.fuel == 0:
            return TRAP_FUEL
        if ctx.store.interrupt:
            ctx.trap_store = ctx.store
            return TRAP_INTERRUPT
    if cur != NULL and cur.interrupt:
        ctx.trap_store = cur
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


cdef int begin_outermost(ExecStack st, Store store, int64_t deadline_ns) except -1:
    # Set up polling for a call from Python that is not nested in guest code.
    cdef ExecCtx* ctx = &st.ctx
    if store.depth_limit != ctx.max_depth:
        st.set_depth_limit(store.depth_limit)
    ctx.store = &store.rec
    grant(ctx)
    if ctx.budget > FIRST_GRANT:
        ctx.budget = ctx.granted = FIRST_GRANT
    ctx.deadline = 0
    if deadline_ns != 0:
        ctx.deadline = whisk_monotonic_ns() + deadline_ns
        ctx.budget = ctx.granted = min(ctx.budget, 1 << 14)    # notice short deadlines soon
    ctx.check_signals = 1 if <long>PyThread_get_thread_ident() == _main_ident else 0
    ctx.next_signal_check = 0
    return 0


# ---------------------------------------------------------------------------------- func
cdef object _WASM_FUNC = object()    # Func(type, _WASM_FUNC): a wasm function (InstanceCore.build)

from whisk.types import FuncType as _FuncType


cdef class Func:
    """A function (spec 4.2.6): a wasm function of an instance, or a host function
    ``Func(functype, callable)`` wrapping a Python callable (``functype`` a whisk.FuncType;
    TypeError if it is not one, or if ``callable`` is not callable).

    ``f(*args, timeout=None)`` calls it: i32/i64 take ints in [-2**(N-1), 2**N), f32/f64 an
    int or float, v128 an int (or 16 bytes), funcref a Func or None, externref any object or
    None (TypeError for a wrong type, ValueError out of range, naming the argument); it returns
    None, one value or a tuple. ``timeout`` is in seconds (int or float; huge or infinite:
    none). ``f.call_bits(*args)`` takes and returns numbers as unsigned raw bits. Raises Trap
    (or Exhaustion, Interrupted) when the guest traps; exceptions from host functions pass
    through unchanged.
    """
    cdef FuncRec rec
    cdef readonly object type        # whisk.types.FuncType
    cdef readonly object callable    # host functions (None for a wasm function)
    cdef readonly object instance    # the owning instance core (wasm functions)
    cdef public object name          # from the name section, if any
    cdef bytes ptypes
    cdef bytes rtypes
    cdef object pchecks              # checks_of(params): None for plain types (values.pxi)
    cdef object rchecks

    def __cinit__(self, functype, callable=None):
        if not isinstance(functype, _FuncType):
            raise TypeError(f"functype must be a whisk.FuncType, not {type(functype).__name__}")
        if callable is _WASM_FUNC:
            callable = None
        elif callable is None or not PyCallable_Check(callable):
            raise TypeError(f"a host Func needs a callable, not {type(callable).__name__}")
        self.type = functype
        self.callable = callable
        sig = _signatures.get(functype)
        if sig is None:
            sig = _signature(functype)
        self.ptypes, self.rtypes, self.pchecks, self.rchecks, np_, nr, tid = <tuple>sig
        self.name = None
        memset(&self.rec, 0, sizeof(FuncRec))
        self.rec.obj = <PyObject*>self
        self.rec.nparams = np_
        self.rec.nresults = nr
        self.rec.nslots = max(self.rec.nparams, self.rec.nresults)
        self.rec.nlocals = self.rec.nparams
        self.rec.type_id = tid
        self.rec.supers = NULL
        if callable is not None:
            self.rec.host = <PyObject*>self

    cdef FuncRec* ptr(self):
        return &self.rec

    @property
    def type_id(self):
        """The canonical id of the function's type (whisk.types.canonical_ids)."""
        return self.rec.type_id

    def _set_type_id(self, uint32_t cid):
        """Give the function the defined type with canonical id ``cid`` (its module's type,
        which may sit in a rec group or have supertypes); internal."""
        self.rec.type_id = cid
        self.rec.supers = supers_of(cid)

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
        cdef int64_t deadline_ns = 0 if timeout is None else timeout_ns(timeout)
        if len(args) != np_:
            raise TypeError(f"expected {np_} arguments, got {len(args)}")
        if self.callable is not None:
            return self.call_python(args, raw)
        cdef InstanceCore owner = <InstanceCore>self.instance
        cdef Store store = <Store>owner.store
        cdef Heap heap = heap_root(store.heap)
        cdef char here
        cdef uintptr_t sp = <uintptr_t>&here
        st = current_stack()
        ctx = &st.ctx
        if st.active == 0:
            st.stack_top = sp
            st.stack_budget = REENTRY_STACK
            if st is not _main_stack or <long>PyThread_get_thread_ident() != _main_ident:
                ss = _thread_stack_size()
                if 0 < ss < 2 * REENTRY_STACK:
                    st.stack_budget = ss // 2
        elif st.active >= MAX_REENTRY or (st.stack_top - sp if st.stack_top > sp else sp - st.stack_top) > st.stack_budget:
            # Each guest -> host -> guest nesting costs C stack (about 1 KiB), whatever Python's
            # recursion limit says: stop well before a thread's stack (512 KiB and up) runs out.
            raise Exhaustion("call stack exhausted")
        if store.rec.interrupt:
            if store.rec.running == 0:
                store.rec.interrupt = 0
            raise Interrupted("interrupted")
        heap_maybe_sweep(heap)
        base = ctx.free
        if base + self.rec.nslots + 16 > ctx.stack_end:
            raise Exhaustion("call stack exhausted")
        fp = base
        if self.pchecks is not None:
            for k, chk in self.pchecks:
                check_ref(chk, args[k], f"argument {k}")
        write_args(self.ptypes, args, fp, raw, heap)
        if self.rec.nlocals > self.rec.nparams:
            memset(fp + self.rec.nparams, 0, (self.rec.nlocals - self.rec.nparams) * sizeof(uint64_t))
        cdef uint32_t entry_depth = ctx.depth
        cdef bint outermost = st.active == 0
        cdef int saved_release = ctx.may_release
        cdef Heap saved_heap = st.heap
        cdef StoreRec* stopped = NULL
        if outermost:
            begin_outermost(st, store, deadline_ns)
        st.active += 1
        heap.active += 1
        gc_enter(&heap.gc, ctx)
        store.rec.running += 1
        st.heap = heap
        ctx.free = base + self.rec.nslots
        ctx.budget -= self.rec.cost             # the call's own fuel, as a call from wasm pays it
        try:
            # The GIL stays held until the first poll (see poll()); a nested call (from a host
            # function) keeps it throughout.
            trap = TRAP_NONE
            if ctx.budget < 0 or (ctx.store != NULL and ctx.store.fuel == 0):
                # no budget (or no fuel) for the call itself: poll on entry, holding the GIL
                ctx.may_release = 0
                trap = poll(ctx, &store.rec)
            if trap == TRAP_NONE:
                ctx.may_release = outermost
                trap = execute(ctx, &self.rec, fp)
                if ctx.tstate != NULL and outermost:
                    PyEval_RestoreThread(ctx.tstate)
                    ctx.tstate = NULL
            if trap:
                if trap == TRAP_INTERRUPT:
                    stopped = ctx.trap_store
                raise_trap(st, trap, entry_depth)
        finally:
            ctx.may_release = saved_release
            st.active -= 1
            heap = heap_root(heap)           # merged meanwhile, maybe
            heap.active -= 1
            gc_leave(&heap.gc)
            store.rec.running -= 1
            st.heap = saved_heap
            ctx.free = base
            ctx.depth = entry_depth
            if stopped != NULL and stopped.running == 0:
                stopped.interrupt = 0           # the interrupt is consumed: nothing it stopped runs
            if outermost:
                settle(ctx)
                ctx.deadline = 0
            if ctx.dead != NULL:
                free_dead(ctx)
        return read_results(self.rtypes, fp, raw)

    cdef tuple call_python(self, tuple args, bint raw):
        # A host function called from Python: convert as wasm would, then call it. The
        # arguments and results are held by Python meanwhile (no heap needed).
        cdef uint64_t small[64]
        cdef uint64_t* slots = small
        cdef Py_ssize_t n = max(self.rec.nparams, self.rec.nresults)
        if n > 64:
            slots = <uint64_t*>malloc(n * sizeof(uint64_t))
            if slots == NULL:
                raise MemoryError()
        try:
            if self.pchecks is not None:
                for k, chk in self.pchecks:
                    check_ref(chk, args[k], f"argument {k}")
            write_args(self.ptypes, args, slots, raw, None)
            res = self.callable(*read_results(self.ptypes, slots, False))
            write_host_results(self, res, slots, None)
            return read_results(self.rtypes, slots, raw)
        finally:
            if slots != small:
                free(slots)

    def __repr__(self):
        return f"<whisk.Func {self.name or ''} {self.type}>"

    def __reduce__(self):
        refuse_pickle(self)


cdef int call_host(ExecCtx* ctx, FuncRec* f, uint64_t* fp) noexcept with gil:
    """Call a host function from guest code: arguments from fp[0..], results to fp[0..]."""
    cdef Func fn = <Func>f.obj
    cdef ExecStack st = <ExecStack>ctx.owner
    try:
        args = read_results(fn.ptypes, fp, False)
        res = fn.callable(*args)
        write_host_results(fn, res, fp, st.heap)   # the heap of the code that called it
        return TRAP_NONE
    except WasmException as e:
        return throw_host(ctx, e)                  # a wasm exception: thrown into the guest
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
    if trap == TRAP_THROW:
        # an uncaught wasm exception: raised as its WasmException (3.0 spec 4.4.1.8)
        ctx.trap_func = NULL
        e = <Exn>ctx.exn.obj
        ctx.exn = NULL
        raise exn_error(e)
    if ctx.trap_func != NULL:
        f = ctx.trap_func
        frames.append(trap_frame(f, ctx.trap_pc))
        d = ctx.trap_depth
        while d > entry_depth and len(frames) < 64:
            d -= 1
            f = ctx.frames[d].func
            if f == NULL:
                break
            frames.append(trap_frame(f, ctx.frames[d].ret_pc - 1))   # (within the call)
    ctx.trap_func = NULL
    if trap == TRAP_HOST and exc is not None:
        raise exc
    msg = TRAP_MESSAGES.get(trap, "unknown trap")
    if trap == TRAP_UNINITIALIZED_ELEMENT:
        msg = f"{msg} {ctx.trap_arg}"

    code = TRAP_CODES.get(trap, _TrapCode.HOST)
    if trap == TRAP_CALL_STACK or trap == TRAP_FUEL:
        raise Exhaustion(msg, frames, code)
    if trap == TRAP_INTERRUPT or trap == TRAP_TIMEOUT:
        raise Interrupted(msg, frames, code)
    raise Trap(msg, frames, code)


cdef object trap_frame(FuncRec* f, const uint32_t* pc):
    # A whisk.Frame of wasm function f executing the core instruction at pc: its module offset
    # is found when first read (Module._instruction_offset re-lowers the body, recording).
    cdef Func fn = <Func>f.obj
    cdef InstanceCore core
    mod = None
    where = None
    if f.inst != NULL and isinstance(fn.instance, InstanceCore):
        core = <InstanceCore>fn.instance
        mod = core.module
        if mod is not None and f.inst.code != NULL and pc >= f.inst.code + f.entry:
            where = partial(mod._instruction_offset, f.index, <Py_ssize_t>(pc - (f.inst.code + f.entry)))
    return _TrapFrame(f.index, fn.name, None if mod is None else mod._struct.module_name, where)


# ---------------------------------------------------------------------------------- types
cdef dict _signatures = {}      # FuncType -> what a Func of that type holds (see _signature)


cdef tuple _signature(object functype):
    """(param codes, result codes, param checks, result checks, param slots, result slots,
    type id) of a function type, computed once per type (Func() is made per function)."""
    ptypes = type_codes(functype.params)
    rtypes = type_codes(functype.results)
    sig = (ptypes, rtypes, checks_of(functype.params), checks_of(functype.results),
           sum([nslots_of(t) for t in ptypes]), sum([nslots_of(t) for t in rtypes]),
           type_id(functype))
    _signatures[functype] = sig
    return sig

cpdef uint32_t type_id(object functype):
    """The canonical id of a function type on its own (final, no supertypes, a rec group of
    its own: equivalent types, equal ids; 3.0 valid/conventions), as whisk.types computes it."""
    return _func_type_id(functype)


cdef dict _supers = {}          # canonical id -> bytes [n, nearest supertype id, ...] (kept)

cdef const uint32_t* supers_of(uint32_t cid) except? NULL:
    """The declared supertype chain of a defined type as the loop reads it, or NULL."""
    b = _supers.get(cid)
    if b is None:
        chain = _super_chain(cid)
        b = _struct.pack(f"={len(chain) + 1}I", len(chain), *chain) if chain else b""
        _supers[cid] = b
    if len(<bytes>b) == 0:
        return NULL
    return <const uint32_t*><const char*><bytes>b


cdef bint func_subtype(FuncRec* f, uint32_t want) noexcept nogil:
    """Whether function f's type is a (declared, transitive) subtype of type id ``want``
    (3.0 exec/instructions, call_indirect: the dynamic check is subtyping)."""
    cdef const uint32_t* s = f.supers
    cdef uint32_t k
    if s == NULL:
        return False
    for k in range(s[0]):
        if s[1 + k] == want:
            return True
    return False


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
    cdef public list memories
    cdef public object store
    cdef public list tags
    cdef public object module        # the whisk.Module (for Trap.frames' offsets), or None
    cdef list data_keep
    cdef list types_                 # the module's types (closed)
    cdef Py_ssize_t nelems, ndatas
    cdef bint built, elems_set

    def __cinit__(self):
        memset(&self.ctx, 0, sizeof(InstCtx))

    def __dealloc__(self):
        cdef Py_ssize_t i
        free(self.ctx.funcs)
        free(self.ctx.globals)
        free(self.ctx.tables)
        free(self.ctx.mems)
        free(self.ctx.type_ids)
        if self.ctx.elems != NULL:
            for i in range(self.nelems):
                free(self.ctx.elems[i].items)
        free(self.ctx.elems)
        free(self.ctx.datas)
        free(self.ctx.tags)
        free(self.ctx.gctypes)

    def build(self, LoweredModule code, list types, list imported_funcs, list defined,
              list tables, list memories, list globals, list datas, Store store not None,
              list type_ids=None):
        """``types``: the module's FuncTypes; ``imported_funcs``: Func objects; ``defined``:
        [(FuncType, (entry, nparams, nresults, nlocals, nslots, cost))] per defined function;
        ``tables``/``memories``/``globals``: Table/Memory/Global objects of the index spaces;
        ``datas``: the bytes of each data segment; ``store``: the Store it belongs to.
        Returns the list of all Func objects."""
        cdef Py_ssize_t i, n
        cdef Func f
        if self.built:
            raise RuntimeError("InstanceCore.build runs once")
        if len(types) > 0xFFFFFFF or len(imported_funcs) + len(defined) > 0xFFFFFFF:
            raise ValueError("index space too large")
        for x in imported_funcs:
            if not isinstance(x, Func):
                raise TypeError("imported_funcs must be Funcs")
        for x in tables:
            if not isinstance(x, Table):
                raise TypeError("tables must be Tables")
        for x in globals:
            if not isinstance(x, Global):
                raise TypeError("globals must be Globals")
        for x in memories:
            if not isinstance(x, Memory):
                raise TypeError("memories must be Memories")
        self.built = True
        self.store = store
        self.ctx.store = store.ptr()
        self.code = code
        self.ctx.code = code.code_ptr()
        self.ctx.htab = code.htab_ptr()
        # Ownership (code.pxd): the instance lives as long as its store's heap, and whatever
        # it imports that holds references joins that heap.
        for f in imported_funcs:
            if f.instance is not None:
                heap_merge(store.heap, (<Store>(<InstanceCore>f.instance).store).heap)
        # (a table's or reference global's own heap lists it as a root, so merging adds it)
        for t in tables:
            heap_merge(store.heap, heap_of_table(<Table>t))
        for g in globals:
            if is_ref_code((<Global>g).code):
                heap_merge(store.heap, heap_of_global(<Global>g))
        heap_root(store.heap).instances.append(self)
        self.funcs = list(imported_funcs)
        for i, d in enumerate(defined):
            ft, info = d[0], d[1]
            f = Func(ft, _WASM_FUNC)
            if len(d) > 2 and d[2] != f.rec.type_id:   # a type in a rec group or with supers
                f._set_type_id(d[2])
            f.instance = self            # (a cdef attribute: readonly from Python)
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
        self.memories = list(memories)
        self.memory = memories[0] if memories else None
        self.ctx.mems = <MemRec**>malloc(sizeof(MemRec*) * (len(memories) + 1))
        for i in range(len(memories)):
            self.ctx.mems[i] = (<Memory>memories[i]).ptr()
        self.ctx.mem = self.ctx.mems[0] if memories else NULL
        self.globals = list(globals)
        self.ctx.globals = <uint64_t**>malloc(sizeof(uint64_t*) * (len(globals) + 1))
        for i in range(len(globals)):
            self.ctx.globals[i] = (<Global>globals[i]).ptr()
        self.ctx.type_ids = <uint32_t*>malloc(sizeof(uint32_t) * (len(types) + 1))
        for i in range(len(types)):
            self.ctx.type_ids[i] = type_ids[i] if type_ids is not None else type_id(types[i])
        self.types_ = list(types)
        # GC (gc.pxi): the layouts of its struct and array types; its heap; it is a root
        self.ctx.gctypes = <const GcType**>calloc(len(types) + 1, sizeof(GcType*))
        if self.ctx.gctypes == NULL:
            raise MemoryError()
        for i in range(len(types)):
            self.ctx.gctypes[i] = gc_type(self.ctx.type_ids[i], types[i])
        self.ctx.gc = &store.heap.gc
        self.ctx.nglobals = len(globals)
        self.ctx.ntables = len(tables)
        gc_add_root(self.ctx.gc, ROOT_INST, &self.ctx)
        self.data_keep = list(datas)
        self.ndatas = len(datas)
        self.ctx.datas = <SegRec*>calloc(len(datas) + 1, sizeof(SegRec))
        for i in range(len(datas)):
            self.ctx.datas[i].bytes = <const uint8_t*><char*>self.data_keep[i]
            self.ctx.datas[i].n = len(self.data_keep[i])
        return self.funcs

    def set_tags(self, list tags):
        """The tag index space (3.0 spec 4.5.3.4): ``tags``, Tag objects (imports first). Runs
        once, after build and before any code of the instance runs."""
        cdef Py_ssize_t i
        if not self.built or self.ctx.tags != NULL:
            raise RuntimeError("InstanceCore.set_tags runs once, after build")
        for x in tags:
            if not isinstance(x, Tag):
                raise TypeError("tags must be Tags")
        self.tags = list(tags)
        self.ctx.tags = <TagRec**>malloc(sizeof(TagRec*) * (len(tags) + 1))
        if self.ctx.tags == NULL:
            raise MemoryError()
        for i in range(len(tags)):
            self.ctx.tags[i] = &(<Tag>self.tags[i]).rec

    def set_elems(self, list segments):
        """``segments``: per element segment, the list of its reference values (Func, None or
        extern objects) and its reftype name."""
        cdef Py_ssize_t i, j
        cdef uint64_t hi
        cdef uint8_t t
        if not self.built or self.elems_set:
            raise RuntimeError("InstanceCore.set_elems runs once, after build")
        self.elems_set = True
        cdef Heap heap = heap_root((<Store>self.store).heap)
        self.nelems = len(segments)
        self.ctx.elems = <SegRec*>calloc(len(segments) + 1, sizeof(SegRec))
        self.ctx.nelems = len(segments)
        for i, (reftype, items) in enumerate(segments):
            t = code_of(reftype)
            self.ctx.elems[i].items = <uint64_t*>malloc(sizeof(uint64_t) * (len(items) + 1))
            self.ctx.elems[i].n = len(items)
            for j in range(len(items)):
                self.ctx.elems[i].items[j] = to_bits(t, items[j], &hi, heap)

    def gc_new(self, uint32_t type_index, values, uint32_t n=0, fill=None):
        """A new structure or array of the module's type ``type_index`` (3.0 spec 4.4.6:
        struct.new, array.new_fixed; constant expressions): ``values`` its fields (a struct)
        or elements (an array), in raw-bit form (numbers as ints of their bits, references as
        Python values), or None for ``n`` elements (a struct: its fields) of the value
        ``fill`` (None: the default value; array.new). Returns the whisk.StructRef / ArrayRef
        handle. Raises Trap if it cannot be allocated (too large, or beyond the store's
        max_memory_bytes), TypeError for a function type."""
        cdef const GcType* t
        cdef GcObj* o
        cdef int trap = TRAP_NONE
        cdef uint64_t buf[2]
        cdef uint64_t count
        cdef Py_ssize_t k
        if not self.built or type_index >= len(self.types_):
            raise IndexError("no such type")
        t = self.ctx.gctypes[type_index]
        if t == NULL:
            raise TypeError("not a struct or array type")
        count = (len(values) if values is not None else n) if t.kind == GC_ARRAY else 0
        o = gc_alloc(NULL, &self.ctx, NULL, t, count, &trap)
        if o == NULL:
            raise Trap(TRAP_MESSAGES[trap], code=TRAP_CODES[trap])
        handle = gc_handle(<uint64_t>o)
        heap = heap_root((<Store>self.store).heap)
        storage = _gc_storage[t.id]
        if values is None:
            if fill is not None:
                storage_bits(storage[0], fill, buf, heap)
                gc_fill(o, 0, buf, count)
            return handle
        for k in range(len(values)):
            storage_bits(storage[0 if t.kind == GC_ARRAY else k], values[k], buf, heap)
            if t.kind == GC_ARRAY:
                gc_put(gc_payload(o) + <uint64_t>k * t.size, t.fkind[0], buf)
            else:
                gc_put(gc_payload(o) + t.foff[k], t.fkind[k], buf)
        return handle

    def table_init(self, uint32_t table, uint32_t seg, uint64_t dst, uint64_t src, uint64_t n):
        """table.init (spec 4.4.6.7) from Python (active segments at instantiation)."""
        if table >= len(self.tables) or seg >= self.nelems:
            raise IndexError("no such table or element segment")
        cdef TableRec* tab = self.ctx.tables[table]
        cdef SegRec* s = &self.ctx.elems[seg]
        if dst > tab.size or n > tab.size - dst or src > s.n or n > s.n - src:
            raise Trap("out of bounds table access")
        memcpy(tab.elems + dst, s.items + src, n * sizeof(uint64_t))

    def memory_init(self, uint32_t seg, uint64_t dst, uint64_t src, uint64_t n, uint32_t mem=0):
        """memory.init (spec 4.4.7.12) of memory ``mem`` from Python (active data segments at
        instantiation); ``dst`` a byte address, ``src``/``n`` bytes of the segment."""
        if seg >= self.ndatas or mem >= len(self.memories):
            raise IndexError("no such data segment or memory")
        cdef SegRec* s = &self.ctx.datas[seg]
        cdef MemRec* m = self.ctx.mems[mem]
        if dst > m.size or n > m.size - dst or src > s.n or n > s.n - src:
            raise Trap("out of bounds memory access")
        memcpy(m.base + dst, s.bytes + src, n)

    def elem_drop(self, uint32_t seg):
        if seg >= self.nelems:
            raise IndexError("no such element segment")
        self.ctx.elems[seg].n = 0

    def data_drop(self, uint32_t seg):
        if seg >= self.ndatas:
            raise IndexError("no such data segment")
        self.ctx.datas[seg].n = 0


include "exceptions.pxi"
include "simd.pxi"
include "memory_ops.pxi"
include "memfar.pxi"
include "gc_ops.pxi"
include "loop.pxi"


def op_counts(bint pairs=False, bint reset=False):
    """The dynamic instruction mix since the last reset, or None unless this is a profile build
    (``WHISK_PROFILE=1 python setup.py build_ext --inplace --force``; docs/internals.md).

    Returns a dict op number -> times the dispatch loop dispatched it (ops never dispatched are
    left out; names in whisk._core.oplayout.OPS); with ``pairs``, a tuple (that dict, a dict
    (op, next op) -> count). An op's count includes SIMD ops (dispatched by simd_step); the
    access op after a ``mem_far`` runs inside it and is not counted. ``reset`` zeroes the
    counts after reading them. Counts from threads running wasm at the same time may be lost.
    """
    if not WHISK_PROFILE_ENABLED:
        return None
    cdef uint32_t a, b
    cdef uint64_t n
    ops = {}
    for a in range(<uint32_t>OP_COUNT):
        n = whisk_op_count(a)
        if n:
            ops[a] = n
    if pairs:
        prs = {}
        for a in ops:
            for b in ops:
                n = whisk_pair_count(a, b)
                if n:
                    prs[(a, b)] = n
    if reset:
        whisk_reset_op_counts()
    return (ops, prs) if pairs else ops


def reset_op_counts():
    """Zero the dynamic instruction mix counts (see op_counts); a no-op in the normal build."""
    whisk_reset_op_counts()


assert OP_COUNT < WHISK_PROFILE_MAXOPS     # and WHISK_NO_OP is no op
