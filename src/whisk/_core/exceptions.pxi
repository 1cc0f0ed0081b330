# Tags and exception instances (3.0 spec 4.2.10 tag instances, 4.2.11 exception instances),
# throwing and catching (3.0 spec 4.4.1.8 throw / throw_ref / try_table; the legacy proposal's
# try / catch / catch_all / delegate / rethrow). Included by runtime.pyx; the handler table and
# the records are described in code.pxd ("Exceptions").
#
# Ownership: an exception instance is an Exn object; an exnref slot value is the address of its
# ExnRec. Like an externref it is entered in the heap of the call that made it or brought it in
# (heap_keep_exn), so it lives while any call of the heap runs and, after that, while a table,
# global or element segment of the heap holds it (heap_sweep marks what an Exn holds too). An
# Exn keeps the references of its payload alive itself (Exn.keep), so a WasmException held by
# Python after its store's heap dropped the Exn can still be thrown back into the guest: it is
# entered again, with everything it holds. An exception that a `throw` made and a plain catch
# (catch / catch_all of try_table) caught without it ever being exposed (as an exnref, or to
# Python) is unreachable: catch_exn lists it in ctx.dead and the next throw, or the end of the
# call, drops it from its heap, so a loop that throws and catches does not accumulate them.

from whisk.errors import WasmException


cdef class Tag:
    """A tag (3.0 spec 4.2.10): the identity exceptions are thrown and caught with.

    ``whisk.Tag(functype)``: ``functype`` is a ``whisk.FuncType`` whose ``params`` are the
    payload's value types and whose ``results`` are empty (ValueError "non-empty tag result
    type" otherwise; TypeError if it is not a FuncType). Tags compare by identity: two tags of
    the same type are different tags, and an imported tag is the exporting instance's own.
    Define one in a Linker or an ``imports`` mapping to import it; a module's exported tags
    are Tag objects. ``tag.type`` is the FuncType.
    """
    cdef TagRec rec
    cdef readonly object type        # whisk.types.FuncType
    cdef public object type_id       # canonical id of that type (3.0: tag import matching)
    cdef bytes ptypes

    def __cinit__(self, functype):
        if not isinstance(functype, _FuncType):
            raise TypeError(f"functype must be a whisk.FuncType, not {type(functype).__name__}")
        if functype.results:
            raise ValueError("non-empty tag result type")
        self.type = functype
        self.type_id = type_id(functype)
        self.ptypes = type_codes(functype.params)
        self.rec.nslots = sum([nslots_of(t) for t in self.ptypes])
        self.rec.obj = <PyObject*>self

    def __repr__(self):
        return f"<whisk.Tag {self.type}>"

    def __reduce__(self):
        refuse_pickle(self)


cdef class Exn:
    """Internal: an exception instance (3.0 spec 4.2.11), the target of an exnref. Immutable;
    its Python face is the WasmException it is raised as (``error()``)."""
    cdef ExnRec rec
    cdef readonly Tag tag
    cdef list keep                   # (slot bits, object) of each reference in the payload
    cdef object wrapper              # the WasmException, made on first use
    cdef Heap heap                   # made by throw: the heap it was entered in

    def __cinit__(self):
        self.rec.tag = NULL
        self.rec.payload = NULL
        self.rec.obj = <PyObject*>self
        self.rec.exposed = 1
        self.rec.next = NULL
        self.heap = None
        self.keep = []
        self.wrapper = None

    def __dealloc__(self):
        free(self.rec.payload)

    cdef int init(self, Tag tag, const uint64_t* slots) except -1:
        # Payload copied from slots (tag.rec.nslots of them); references are kept by the Exn.
        cdef Py_ssize_t i, k = 0
        cdef uint8_t t
        cdef uint64_t b
        self.tag = tag
        self.rec.tag = &tag.rec
        self.rec.payload = <uint64_t*>malloc(sizeof(uint64_t) * (tag.rec.nslots + 1))
        if self.rec.payload == NULL:
            raise MemoryError()
        if tag.rec.nslots:
            memcpy(self.rec.payload, slots, sizeof(uint64_t) * tag.rec.nslots)
        for i in range(len(tag.ptypes)):
            t = tag.ptypes[i]
            b = slots[k]
            if b != 0 and is_ref_code(t):
                if t == T_ANYREF and (b & 3) == 2:
                    b &= ~(<uint64_t>2)          # an internalized host object: its address
                self.keep.append((b, ref_object(t, slots[k])))
            k += nslots_of(t)
        return 0

    def error(self):
        """The WasmException this exception is raised as (always the same object)."""
        return exn_error(self)


cdef inline object ref_object(uint8_t t, uint64_t b):
    # The object a non-null reference's slot bits name (alive: a heap or an Exn holds it);
    # a GC object's is a handle, which keeps it alive.
    if t == T_FUNCREF:
        return <object>(<FuncRec*>b).obj
    if t == T_EXNREF:
        return <object>(<ExnRec*>b).obj
    if t == T_ANYREF:
        return any_from_bits(b)
    return extern_from_bits(b)


cdef object exn_error(Exn e):
    # The WasmException for e, with the payload as Python values (converted like call results).
    e.rec.exposed = 1
    if e.wrapper is None:
        payload = list(read_results(e.tag.ptypes, e.rec.payload, False)) if e.tag.ptypes else []
        w = WasmException.__new__(WasmException)
        w._init(e.tag, payload, e)
        e.wrapper = w
    return e.wrapper


def new_exception(tag, payload, wrapper):
    """Internal (``WasmException(tag, payload)``): a new exception instance of ``tag`` with the
    Python values ``payload``, converted like call arguments (TypeError/ValueError naming the
    position), raised as ``wrapper``. Returns the Exn."""
    cdef uint64_t small[16]
    cdef uint64_t* slots = small
    cdef Exn e
    if not isinstance(tag, Tag):
        raise TypeError(f"tag must be a whisk.Tag, not {type(tag).__name__}")
    cdef Tag t = <Tag>tag
    args = tuple(payload)
    if len(args) != len(t.ptypes):
        raise TypeError(f"the tag's payload has {len(t.ptypes)} values, got {len(args)}")
    if t.rec.nslots > 16:
        slots = <uint64_t*>malloc(sizeof(uint64_t) * t.rec.nslots)
        if slots == NULL:
            raise MemoryError()
    try:
        write_args(t.ptypes, args, slots, False, None, "payload value")
        e = Exn()
        e.init(t, slots)
        e.wrapper = wrapper
    finally:
        if slots != small:
            free(slots)
    return e


cdef void heap_keep_exn(Heap h, Exn e):
    # Enter an exception instance, and whatever its payload holds, in heap h (code.pxd).
    heap_keep(h, <uint64_t>&e.rec, e)
    for b, o in e.keep:
        if type(o) is Exn:
            heap_keep_exn(h, <Exn>o)
        elif isinstance(o, Func):
            heap_adopt_func(h, <Func>o)
        elif isinstance(o, AnyRef):
            if (<AnyRef>o).heap is not None:
                heap_merge(h, (<AnyRef>o).heap)
        else:
            heap_keep(h, <uint64_t>b, o)


cdef void heap_mark_exn(dict live, Exn e):
    # heap_sweep: what a live exception instance holds is live.
    for b, o in e.keep:
        if b not in live:
            live[b] = o
            if type(o) is Exn:
                heap_mark_exn(live, <Exn>o)


cdef int throw_new(ExecCtx* ctx, InstCtx* inst, uint32_t x, const uint64_t* payload) noexcept with gil:
    """throw x (3.0 spec 4.4.1.8): a new exception instance of tag x with the payload at
    ``payload``, entered in the heap of the innermost call; sets ctx.exn, returns TRAP_THROW
    (TRAP_HOST with the MemoryError pending if it cannot be made)."""
    cdef ExecStack st = <ExecStack>ctx.owner
    cdef Exn e
    try:
        if ctx.dead != NULL:
            free_dead(ctx)
        if inst.tags == NULL:
            raise RuntimeError("InstanceCore.set_tags was not called")
        e = Exn()
        e.init(<Tag>inst.tags[x].obj, payload)
        e.rec.exposed = 0
        e.heap = st.heap
        heap_keep(st.heap, <uint64_t>&e.rec, e)
    except BaseException as err:
        st.pending = err
        return TRAP_HOST
    ctx.exn = &e.rec
    return TRAP_THROW


cdef void free_dead(ExecCtx* ctx):
    # Drop the unreachable caught exceptions (ctx.dead) from their heaps (GIL held).
    cdef Exn e
    while ctx.dead != NULL:
        e = <Exn>ctx.dead.obj
        ctx.dead = e.rec.next
        e.rec.next = NULL
        heap_root(e.heap).refs.pop(<uint64_t>&e.rec, None)


cdef int throw_host(ExecCtx* ctx, object err) noexcept:
    # A host function raised a WasmException: throw it into the guest (it joins the heap of
    # the code that called the host function). Returns TRAP_THROW, or TRAP_HOST if it carries
    # no exception instance (a subclass that skipped WasmException.__init__).
    cdef ExecStack st = <ExecStack>ctx.owner
    exn = getattr(err, "_exn", None)
    if type(exn) is not Exn:
        st.pending = err
        return TRAP_HOST
    heap_keep_exn(st.heap, <Exn>exn)
    ctx.exn = &(<Exn>exn).rec
    return TRAP_THROW


cdef const uint32_t* find_handler(FuncRec* f, uint32_t addr, ExnRec* e, uint64_t* fp) noexcept nogil:
    # The handler of function f that catches e thrown at code index addr (code.pxd,
    # "Exceptions"): its clause's values are written to the frame at fp, and the code address
    # to continue at is returned; NULL if none in this frame.
    cdef const uint32_t* h = f.inst.htab
    cdef const uint32_t* p
    cdef const uint32_t* c
    cdef uint32_t lo = 0, hi = h[0], mid, i, j, count, limit = 0xFFFFFFFF, k
    while lo < hi:
        mid = (lo + hi) // 2
        if h[1 + 3 * mid] < f.entry:
            lo = mid + 1
        else:
            hi = mid
    if lo == h[0] or h[1 + 3 * lo] != f.entry:
        return NULL
    p = h + h[2 + 3 * lo]
    count = h[3 + 3 * lo]
    for i in range(count):
        # p: start end depth kind hidden nclauses, clauses (tag flags dst target)
        if p[0] <= addr < p[1] and p[2] <= limit:
            if p[3] == HK_DELEGATE:
                limit = p[4]
            else:
                for j in range(p[5]):
                    c = p + 6 + 4 * j
                    if c[0] == NO_TAG or (f.inst.tags != NULL and f.inst.tags[c[0]] == e.tag):
                        k = c[2]
                        if c[0] != NO_TAG:
                            memcpy(fp + k, e.payload, e.tag.nslots * sizeof(uint64_t))
                            k += e.tag.nslots
                        if c[1] & CF_REF:
                            fp[k] = <uint64_t>e
                            e.exposed = 1
                        if p[4] != NO_TAG:
                            fp[p[4]] = <uint64_t>e
                            e.exposed = 1
                        return f.inst.code + c[3]
        p += 6 + 4 * p[5]
    return NULL


# A lone `return` (loop.pxi.in): where the loop goes after a tail call of a host function, and
# its pc while that host function runs, so that catch_exn knows the frame is gone.
cdef uint32_t RETURN_CODE[1]
RETURN_CODE[0] = OP_return


cdef bint catch_exn(ExecCtx* ctx, uint32_t entry_depth, uint32_t depth, FuncRec* cur,
                    const uint32_t* pc, uint64_t* fp) noexcept nogil:
    """Find a handler for ctx.exn, thrown at pc in the frame (cur, fp) at ``depth``, in that
    frame and its callers down to ``entry_depth`` (the frames of this `execute`). If one
    catches it, its label's values are written and ctx.catch_* give the frame to continue in
    (depth, function, pc, fp); returns whether it was caught. Traps never come here.
    At pc == RETURN_CODE the exception came from a host function this frame tail-called (3.0
    return_call*): the frame is already replaced, so its own handlers do not apply."""
    cdef bint frame_gone = pc == RETURN_CODE
    cdef ExnRec* e = ctx.exn
    cdef uint32_t addr = 0 if frame_gone else <uint32_t>(pc - cur.inst.code)
    cdef const uint32_t* target
    cdef Frame* frame
    while True:
        if cur.inst.htab != NULL and not frame_gone:
            target = find_handler(cur, addr, e, fp)
            if target != NULL:
                if not e.exposed:               # nothing can reach it any more
                    e.next = ctx.dead
                    ctx.dead = e
                ctx.catch_depth = depth
                ctx.catch_func = cur
                ctx.catch_pc = target
                ctx.catch_fp = fp
                ctx.exn = NULL
                return True
        frame_gone = False
        if depth == entry_depth:
            return False
        depth -= 1
        frame = &ctx.frames[depth]
        cur = frame.func
        fp = frame.fp
        addr = <uint32_t>(frame.ret_pc - cur.inst.code) - 1     # the call instruction
