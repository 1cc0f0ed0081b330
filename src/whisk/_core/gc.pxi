# The GC heap and its collector (3.0 spec 4.2.13 structure and array instances, 4.5.3.x
# allocation; the spec leaves reclamation to the engine). Included by runtime.pyx after
# heap.pxi; the encoding of references is in code.pxd ("GC references"), the ops that use this
# in gc_ops.pxi, and the why of the design in RATIONALE.md ("The GC heap").
#
# * Objects are GcObj records (header, then the payload) that never move: a slot, a table
#   element or a field holds the object's address. Small ones (up to GC_SMALL_MAX bytes) take
#   a slot of a 64 KiB chunk of their size class (free slots on a free list per class),
#   larger ones are calloc'd alone; chunks are aligned to their size, so an address finds its
#   chunk by masking. Each Heap (heap.pxi) embeds one
#   GcHeap, merged with it (union-find: `forward`), so everything a store's references reach is
#   in one heap, as for host functions and externrefs.
# * The collector is mark-sweep, non-moving, run by the allocating call itself, with the GIL
#   released: when the bytes allocated since the last collection pass the live bytes it left
#   (at least GC_MIN_BYTES), or when an allocation would pass the store's max_memory_bytes.
#   Roots: the value stack of the calling thread, scanned conservatively (a slot whose bits,
#   bit 1 cleared, are the address of an object of the heap keeps it: frames carry no type
#   maps), the globals, tables and element segments of the heap's instances and host-made
#   tables and globals (GcRoot, scanned the same way), and objects that Python handles
#   (whisk.AnyRef) hold (GcObj.roots). Fields are traced precisely (GcType.refoff).
# * A collection runs only while every call running the heap's code runs on the allocating
#   thread's stack (GcHeap.sole; `mixed` otherwise, and the heap then just grows until those
#   calls end). Calls enter and leave a heap with the GIL held (gc_enter, gc_leave: no lock),
#   and the decision to collect is taken with the GIL too (gc_begin), which sets `collecting`;
#   a call that enters meanwhile waits for the collection to end. Everything that touches a
#   heap's lists, counts or roots takes the GC lock (gcmem.h, a spin lock: an allocation holds
#   it for a few instructions): the allocator, the collector, handle counts, merges and root
#   registration; a store's account is charged (a chunk at a time) under _grow_lock
#   (externs.pxi), taken inside it. The collector never takes the GIL while it holds the lock
#   (a thread holding the GIL may be waiting for the lock).

cdef extern from "gcmem.h":
    void whisk_gc_lock() noexcept nogil
    void whisk_gc_unlock() noexcept nogil
    void* whisk_chunk_alloc(size_t n) noexcept nogil
    void whisk_chunk_free(void* p) noexcept nogil

cdef enum:
    GC_HDR = sizeof(GcObj)
    GC_SMALL_MAX = GC_HDR + 16 * (GC_NCLASS - 1)    # bytes: the largest small object
    GC_MIN_BYTES = 4 << 20           # collect no more often than every 4 MiB allocated
    GC_KEEP_EMPTY = 4                # empty chunks a sweep keeps (per heap) for reuse
cdef uint64_t GC_MAX_OBJECT = <uint64_t>1 << 31     # bytes: a bigger object is refused


cdef inline GcHeap* gc_root(GcHeap* h) noexcept nogil:
    while h.forward != NULL:
        h = h.forward
    return h

cdef inline uint8_t* gc_payload(GcObj* o) noexcept nogil:
    return (<uint8_t*>o) + GC_HDR

cdef inline bint gc_may_collect(GcHeap* h, ExecCtx* ctx) noexcept nogil:
    # only while every call running the heap's code runs on ctx's stack (see the header)
    return ctx != NULL and h.active > 0 and not h.mixed and h.sole == <void*>ctx


cdef GcObj* gc_alloc(ExecCtx* ctx, InstCtx* inst, uint64_t* top, const GcType* t, uint64_t n,
                     int* trap) noexcept nogil:
    """A new object of type t (n elements for an array), zeroed (every field its default
    value), in inst's heap, charged to inst's store; NULL with *trap set if it cannot be had.
    ``ctx`` and ``top`` (the first slot above the current frame) let it collect first;
    ctx NULL: no collection (allocation from Python, e.g. constant expressions)."""
    cdef uint64_t size = GC_HDR + (<uint64_t>t.size * n if t.kind == GC_ARRAY else t.size)
    cdef GcHeap* h
    cdef GcObj* o
    cdef bint collected = False
    cdef uint32_t cls
    if n > 0xFFFFFFFFU or size > GC_MAX_OBJECT:
        trap[0] = TRAP_ALLOC_SIZE
        return NULL
    h = gc_root(inst.gc)
    if ctx != NULL and h.bytes + size > h.next_gc:       # (a racy read: only a hint)
        collected = gc_run(h, ctx, top)
    cls = <uint32_t>((size - GC_HDR + 15) >> 4) if size <= GC_SMALL_MAX else GC_NCLASS
    while True:
        whisk_gc_lock()
        h = gc_root(inst.gc)
        o = gc_take(h, inst.store, cls, size, t, n)
        whisk_gc_unlock()
        if o != NULL:
            return o
        if collected or ctx == NULL or not gc_run(h, ctx, top):
            trap[0] = TRAP_GC_OOM
            return NULL
        collected = True

cdef GcObj* gc_take(GcHeap* h, StoreRec* acct, uint32_t cls, uint64_t size, const GcType* t,
                    uint64_t n) noexcept nogil:
    # Under the GC lock: a zeroed object of type t (n elements), `size` bytes (size class cls,
    # or GC_NCLASS: a large one), counted in h; NULL if the store's account or the host's
    # memory has no room.
    cdef GcObj* o
    cdef uint32_t slot
    if cls < GC_NCLASS:
        o = h.free_[cls]
        if o == NULL:
            if not gc_new_chunk(h, acct, cls):
                return NULL
            o = h.free_[cls]
        h.free_[cls] = o.next
        slot = GC_HDR + 16 * cls
        memset(o, 0, slot)
        o.nbytes = slot
    else:
        PyThread_acquire_lock(_grow_lock, WAIT_LOCK)
        if not acct_charge(acct, size):
            PyThread_release_lock(_grow_lock)
            return NULL
        PyThread_release_lock(_grow_lock)
        o = <GcObj*>calloc(1, size)
        if o == NULL:
            gc_uncharge(acct, size)
            return NULL
        o.acct = acct
        o.nbytes = <uint32_t>size
        o.next = h.objects
        h.objects = o
        h.nlarge += 1
    o.type = t
    o.len = <uint32_t>n if t.kind == GC_ARRAY else 0
    o.heap = h
    h.count += 1
    h.bytes += o.nbytes
    return o

cdef inline void gc_uncharge(StoreRec* acct, uint64_t nbytes) noexcept nogil:
    if acct != NULL:
        PyThread_acquire_lock(_grow_lock, WAIT_LOCK)
        acct.mem_used -= nbytes
        PyThread_release_lock(_grow_lock)

cdef bint gc_new_chunk(GcHeap* h, StoreRec* acct, uint32_t cls) noexcept nogil:
    # A new chunk of size class cls, its slots on the free list; False if it cannot be had.
    cdef GcChunk* c
    cdef uint8_t* p
    cdef uint32_t k
    cdef GcObj* o
    PyThread_acquire_lock(_grow_lock, WAIT_LOCK)
    if not acct_charge(acct, GC_CHUNK):
        PyThread_release_lock(_grow_lock)
        return False
    PyThread_release_lock(_grow_lock)
    c = <GcChunk*>whisk_chunk_alloc(GC_CHUNK)
    if c == NULL:
        gc_uncharge(acct, GC_CHUNK)
        return False
    c.acct = acct
    c.cls = cls
    c.slot = GC_HDR + 16 * cls
    c.nslots = (GC_CHUNK - GC_CHUNK_HDR) // c.slot
    c.live = 0
    c.next = h.chunks
    h.chunks = c
    h.nchunks += 1
    p = (<uint8_t*>c) + GC_CHUNK_HDR
    k = c.nslots
    while k > 0:                                    # in address order on the free list
        k -= 1
        o = <GcObj*>(p + <uint64_t>k * c.slot)
        o.type = NULL
        o.next = h.free_[cls]
        h.free_[cls] = o
    return True


# ------------------------------------------------------------------------------ collection
cdef struct Marker:
    uint64_t* chunks                 # open addressing: the heap's chunk addresses
    uint64_t cmask
    GcObj** large                    # open addressing: the heap's large objects
    uint64_t lmask
    GcObj** stack                    # grey objects (each is pushed at most once)
    uint64_t sp

cdef inline uint64_t gc_hash(uint64_t p) noexcept nogil:
    return ((p >> 4) * <uint64_t>0x9E3779B97F4A7C15ULL) >> 24

cdef inline void gc_push(Marker* m, GcObj* o) noexcept nogil:
    if not o.mark:
        o.mark = 1
        m.stack[m.sp] = o
        m.sp += 1

cdef inline void gc_visit(Marker* m, uint64_t v) noexcept nogil:
    # v: any slot bits. An object of the heap (an anyref's GcObj*, or an externref's
    # GcObj* | 2) is marked and pushed; everything else is no object of the heap.
    cdef uint64_t i, base, off
    cdef GcChunk* c
    cdef GcObj* o
    if v == 0 or (v & 1):
        return
    v &= ~(<uint64_t>2)
    base = v & ~(<uint64_t>(GC_CHUNK - 1))
    i = gc_hash(base) & m.cmask
    while m.chunks[i] != 0:
        if m.chunks[i] == base:
            c = <GcChunk*>base
            if v < base + GC_CHUNK_HDR:
                return
            off = v - base - GC_CHUNK_HDR
            if off % c.slot == 0 and off // c.slot < c.nslots:
                o = <GcObj*>v
                if o.type != NULL:
                    gc_push(m, o)
            return
        i = (i + 1) & m.cmask
    if m.lmask == 0:
        return
    i = gc_hash(v) & m.lmask
    while m.large[i] != NULL:
        if <uint64_t>m.large[i] == v:
            gc_push(m, m.large[i])
            return
        i = (i + 1) & m.lmask

cdef void gc_visit_range(Marker* m, const uint64_t* p, uint64_t n) noexcept nogil:
    cdef uint64_t k
    for k in range(n):
        gc_visit(m, p[k])

cdef void gc_visit_root(Marker* m, GcRoot* r) noexcept nogil:
    cdef InstCtx* ic
    cdef TableRec* t
    cdef uint32_t k
    if r.kind == ROOT_SLOT:
        gc_visit(m, (<uint64_t*>r.p)[0])
    elif r.kind == ROOT_TABLE:
        t = <TableRec*>r.p
        gc_visit_range(m, t.elems, t.size)
    else:
        ic = <InstCtx*>r.p
        for k in range(ic.nglobals):
            gc_visit(m, ic.globals[k][0])
        for k in range(ic.ntables):
            gc_visit_range(m, ic.tables[k].elems, ic.tables[k].size)
        if ic.elems != NULL:
            for k in range(ic.nelems):
                gc_visit_range(m, ic.elems[k].items, ic.elems[k].n)

cdef void gc_trace(Marker* m, GcObj* o) noexcept nogil:
    # the references o holds (precise: the type says where they are)
    cdef const GcType* t = o.type
    cdef uint8_t* p = gc_payload(o)
    cdef uint32_t k
    if t.nrefs == 0:
        return
    if t.kind == GC_ARRAY:
        gc_visit_range(m, <uint64_t*>p, o.len)
    else:
        for k in range(t.nrefs):
            gc_visit(m, (<uint64_t*>(p + t.refoff[k]))[0])

cdef inline uint64_t gc_table_size(uint64_t n) noexcept nogil:
    cdef uint64_t cap = 16
    while cap < 2 * n + 16:
        cap *= 2
    return cap

cdef void gc_collect(GcHeap* h, const uint64_t* lo, const uint64_t* hi) noexcept nogil:
    """Mark from the roots (and the value stack lo..hi, if given), then free every object not
    marked. Called with the GC lock held; h is a root heap (not merged away)."""
    cdef Marker m
    cdef uint64_t ccap = gc_table_size(h.nchunks), lcap = gc_table_size(h.nlarge), i
    cdef GcObj* o
    cdef GcObj** link
    cdef GcChunk* c
    cdef GcChunk** clink
    cdef uint8_t* p
    cdef uint32_t k, empty = 0
    m.chunks = <uint64_t*>calloc(ccap, sizeof(uint64_t))
    m.large = <GcObj**>calloc(lcap, sizeof(GcObj*)) if h.nlarge else NULL
    m.stack = <GcObj**>malloc((h.count + 1) * sizeof(GcObj*))
    if m.chunks == NULL or m.stack == NULL or (h.nlarge and m.large == NULL):
        free(m.chunks)                               # no memory to collect with: skip it
        free(m.large)
        free(m.stack)
        h.next_gc = h.bytes + GC_MIN_BYTES
        return
    m.cmask = ccap - 1
    m.lmask = lcap - 1 if h.nlarge else 0
    m.sp = 0
    c = h.chunks
    while c != NULL:
        i = gc_hash(<uint64_t>c) & m.cmask
        while m.chunks[i] != 0:
            i = (i + 1) & m.cmask
        m.chunks[i] = <uint64_t>c
        c = c.next
    o = h.objects
    while o != NULL:
        i = gc_hash(<uint64_t>o) & m.lmask
        while m.large[i] != NULL:
            i = (i + 1) & m.lmask
        m.large[i] = o
        o = o.next
    # roots: the frames, registered roots, objects Python holds
    if lo != NULL and hi > lo:
        gc_visit_range(&m, lo, <uint64_t>(hi - lo))
    for k in range(h.nroots):
        gc_visit_root(&m, &h.roots[k])
    c = h.chunks
    while c != NULL:
        p = (<uint8_t*>c) + GC_CHUNK_HDR
        for k in range(c.nslots):
            o = <GcObj*>(p + <uint64_t>k * c.slot)
            if o.type != NULL and o.roots:
                gc_push(&m, o)
        c = c.next
    o = h.objects
    while o != NULL:
        if o.roots:
            gc_push(&m, o)
        o = o.next
    # mark
    while m.sp:
        m.sp -= 1
        gc_trace(&m, m.stack[m.sp])
    # sweep; empty chunks beyond GC_KEEP_EMPTY go back (then the free lists are rebuilt)
    clink = &h.chunks
    while clink[0] != NULL:
        c = clink[0]
        gc_sweep_chunk(h, c)
        if c.live == 0:
            empty += 1
            if empty > GC_KEEP_EMPTY:
                clink[0] = c.next
                h.nchunks -= 1
                gc_uncharge(c.acct, GC_CHUNK)
                whisk_chunk_free(c)
                continue
        clink = &c.next
    # (the free lists may still name slots of a chunk just freed: rebuild them)
    memset(h.free_, 0, sizeof(h.free_))
    c = h.chunks
    while c != NULL:
        gc_free_slots(h, c)
        c = c.next
    link = &h.objects
    while link[0] != NULL:
        o = link[0]
        if o.mark:
            o.mark = 0
            link = &o.next
        else:
            link[0] = o.next
            h.count -= 1
            h.nlarge -= 1
            h.bytes -= o.nbytes
            h.freed += 1
            gc_uncharge(o.acct, o.nbytes)
            free(o)
    h.collections += 1
    h.next_gc = h.bytes + (h.bytes if h.bytes > GC_MIN_BYTES else GC_MIN_BYTES)
    free(m.chunks)
    free(m.large)
    free(m.stack)

cdef void gc_sweep_chunk(GcHeap* h, GcChunk* c) noexcept nogil:
    # free the unmarked objects of chunk c, unmark the rest; c.live := objects left
    cdef uint8_t* p = (<uint8_t*>c) + GC_CHUNK_HDR
    cdef uint32_t k, live = 0
    cdef GcObj* o
    for k in range(c.nslots):
        o = <GcObj*>(p + <uint64_t>k * c.slot)
        if o.type == NULL:
            continue
        if o.mark:
            o.mark = 0
            live += 1
        else:
            o.type = NULL
            h.count -= 1
            h.bytes -= c.slot
            h.freed += 1
    c.live = live

cdef void gc_free_slots(GcHeap* h, GcChunk* c) noexcept nogil:
    # put chunk c's free slots on its class's free list (in address order)
    cdef uint8_t* p = (<uint8_t*>c) + GC_CHUNK_HDR
    cdef uint32_t k = c.nslots
    cdef GcObj* o
    while k > 0:
        k -= 1
        o = <GcObj*>(p + <uint64_t>k * c.slot)
        if o.type == NULL:
            o.next = h.free_[c.cls]
            h.free_[c.cls] = o


# ------------------------------------------------------------------------- heaps (with GIL)
cdef void gc_init(GcHeap* h, object owner):
    memset(h, 0, sizeof(GcHeap))
    h.next_gc = GC_MIN_BYTES
    h.owner = <PyObject*>owner

cdef void gc_free_all(GcHeap* h) noexcept:
    # The heap's Heap goes: every object goes with it (no account is touched: the stores it
    # charged may be gone already, and they held the heap).
    cdef GcObj* o = h.objects
    cdef GcObj* nxt
    cdef GcChunk* c = h.chunks
    cdef GcChunk* cn
    while o != NULL:
        nxt = o.next
        free(o)
        o = nxt
    while c != NULL:
        cn = c.next
        whisk_chunk_free(c)
        c = cn
    h.objects = NULL
    h.chunks = NULL
    free(h.roots)
    h.roots = NULL

cdef int gc_add_root(GcHeap* h, uint32_t kind, void* p) except -1:
    # a root for every collection of h (a global's slot, a table, an instance)
    cdef GcRoot* r
    whisk_gc_lock()
    h = gc_root(h)
    if h.nroots == h.roots_cap:
        r = <GcRoot*>realloc(h.roots, (2 * h.roots_cap + 8) * sizeof(GcRoot))
        if r == NULL:
            whisk_gc_unlock()
            raise MemoryError()
        h.roots = r
        h.roots_cap = 2 * h.roots_cap + 8
    h.roots[h.nroots].kind = kind
    h.roots[h.nroots].p = p
    h.nroots += 1
    whisk_gc_unlock()
    return 0

cdef GcObj* gc_list_tail(GcObj* o) noexcept nogil:
    while o.next != NULL:
        o = o.next
    return o

cdef int gc_merge(GcHeap* a, GcHeap* b) except -1:
    # b goes into a (both root heaps): objects, chunks, free slots, roots, the calls running
    cdef GcRoot* r
    cdef GcChunk* c
    cdef uint32_t k
    whisk_gc_lock()
    if b.nroots:
        r = <GcRoot*>realloc(a.roots, (a.nroots + b.nroots + 8) * sizeof(GcRoot))
        if r == NULL:
            whisk_gc_unlock()
            raise MemoryError()
        memcpy(r + a.nroots, b.roots, b.nroots * sizeof(GcRoot))
        a.roots = r
        a.nroots += b.nroots
        a.roots_cap = a.nroots + 8
    free(b.roots)
    b.roots = NULL
    b.nroots = b.roots_cap = 0
    if b.objects != NULL:
        gc_list_tail(b.objects).next = a.objects
        a.objects = b.objects
        b.objects = NULL
    if b.chunks != NULL:
        c = b.chunks
        while c.next != NULL:
            c = c.next
        c.next = a.chunks
        a.chunks = b.chunks
        b.chunks = NULL
    for k in range(GC_NCLASS):
        if b.free_[k] != NULL:
            gc_list_tail(b.free_[k]).next = a.free_[k]
            a.free_[k] = b.free_[k]
            b.free_[k] = NULL
    a.count += b.count
    a.bytes += b.bytes
    a.nchunks += b.nchunks
    a.nlarge += b.nlarge
    a.next_gc = max(a.next_gc, b.next_gc)
    b.count = b.bytes = b.nchunks = b.nlarge = 0
    if b.active:
        if a.active and (a.sole != b.sole or b.mixed):
            a.mixed = 1
        elif not a.active:
            a.sole = b.sole
            a.mixed = b.mixed
        a.active += b.active
    b.active = 0
    b.forward = a
    whisk_gc_unlock()
    return 0

cdef inline void gc_enter(GcHeap* h, ExecCtx* ctx) noexcept:
    # A call from Python starts running code of h on ctx's stack (GIL held): it waits for a
    # collection in progress to end.
    h = gc_root(h)
    if h.collecting:
        gc_wait(h)
    if h.active == 0:
        h.sole = <void*>ctx
        h.mixed = 0
    elif h.sole != <void*>ctx:
        h.mixed = 1
    h.active += 1

cdef void gc_wait(GcHeap* h) noexcept:
    while h.collecting:
        with nogil:
            whisk_gc_lock()
            whisk_gc_unlock()

cdef inline void gc_leave(GcHeap* h) noexcept:
    h = gc_root(h)
    h.active -= 1
    if h.active == 0:
        h.sole = NULL
        h.mixed = 0

cdef bint gc_begin(GcHeap* h, ExecCtx* ctx) noexcept with gil:
    # The decision to collect (with the GIL: calls enter and leave heaps holding it).
    h = gc_root(h)
    if h.collecting or not gc_may_collect(h, ctx):
        h.next_gc = h.bytes + GC_MIN_BYTES          # (ask again after as much allocation)
        return False
    h.collecting = 1
    return True

cdef bint gc_run(GcHeap* h, ExecCtx* ctx, const uint64_t* top) noexcept nogil:
    # Collect h from a running call (its frames, up to top, are roots) if it may.
    if not gc_begin(h, ctx):
        return False
    gc_collect_locked(h, ctx.stack, top)
    return True

cdef void gc_collect_locked(GcHeap* h, const uint64_t* lo, const uint64_t* hi) noexcept nogil:
    # The collection gc_begin (or Store.gc) decided on: under the GC lock, then `collecting`
    # ends, letting calls waiting to enter the heap in.
    whisk_gc_lock()
    h = gc_root(h)
    gc_collect(h, lo, hi)
    h.collecting = 0
    whisk_gc_unlock()

cdef void gc_collect_now(GcHeap* h, ExecCtx* ctx) noexcept:
    # Store.gc() (GIL held): collect unless calls of other stacks run the heap's code; the
    # calling thread's frames (below ctx.free) are roots if a call of its stack is running.
    cdef const uint64_t* lo = NULL
    cdef const uint64_t* hi = NULL
    h = gc_root(h)
    if h.collecting:
        return
    if h.active:
        if not gc_may_collect(h, ctx):
            return
        lo = ctx.stack
        hi = ctx.free
    h.collecting = 1
    with nogil:
        gc_collect_locked(h, lo, hi)


# ------------------------------------------------------------------------- types (with GIL)
cdef dict _gc_types = {}             # canonical id -> bytes holding the GcType and its arrays

cdef uint8_t storage_kind(object st):
    if st == "i8":
        return SK_I8
    if st == "i16":
        return SK_I16
    if st == "i32" or st == "f32":
        return SK_I32
    if st == "i64" or st == "f64":
        return SK_I64
    if st == "v128":
        return SK_V128
    return SK_REF

cdef uint32_t SK_BYTES[7]
SK_BYTES[:] = [0, 1, 2, 4, 8, 16, 8]

cdef const GcType* gc_type(uint32_t cid, object comp) except? NULL:
    """The run-time layout of the struct or array type ``comp`` (a whisk.types StructType or
    ArrayType) whose canonical id is ``cid``; NULL for a function type. Made once per id."""
    cdef bytes b = _gc_types.get(cid)
    cdef GcType* t
    cdef uint32_t k, n, off = 0, nrefs = 0
    cdef uint8_t* kinds
    cdef uint32_t* offs
    cdef uint32_t* refs
    if b is not None:
        return <const GcType*><const char*>b
    if hasattr(comp, "fields"):
        fields = [f.storage for f in comp.fields]
    elif hasattr(comp, "field"):
        fields = [comp.field.storage]
    else:
        return NULL
    n = len(fields)
    # one block: the GcType, then fkind (padded to 8), foff, refoff
    b = bytes(sizeof(GcType) + ((n + 7) & ~7) + 8 * n + 8)
    t = <GcType*><char*>b
    kinds = (<uint8_t*>t) + sizeof(GcType)
    offs = <uint32_t*>(kinds + ((n + 7) & ~7))
    refs = offs + n
    t.kind = GC_STRUCT if hasattr(comp, "fields") else GC_ARRAY
    t.id = cid
    t.supers = supers_of(cid)
    t.nfields = n
    for k in range(n):
        kinds[k] = storage_kind(fields[k])
        if t.kind == GC_STRUCT:
            offs[k] = off
            if kinds[k] == SK_REF:
                refs[nrefs] = off
                nrefs += 1
            off += 16 if kinds[k] == SK_V128 else 8
        elif kinds[k] == SK_REF:
            nrefs = 1
    t.size = off if t.kind == GC_STRUCT else SK_BYTES[kinds[0]]
    t.fkind = kinds
    t.foff = offs
    t.nrefs = nrefs
    t.refoff = refs
    _gc_types[cid] = b
    gc_note_fields(cid, comp)
    return t


# ------------------------------------------------------------------- fields (loads, stores)
cdef inline void gc_put(uint8_t* p, uint8_t kind, const uint64_t* src) noexcept nogil:
    # store a value (its slot bits at src) in a field or element of storage kind `kind`
    cdef uint8_t b8
    cdef uint16_t b16
    cdef uint32_t b32
    if kind == SK_I8:
        p[0] = <uint8_t>src[0]
    elif kind == SK_I16:
        b16 = <uint16_t>src[0]
        memcpy(p, &b16, 2)
    elif kind == SK_I32:
        b32 = <uint32_t>src[0]
        memcpy(p, &b32, 4)
    elif kind == SK_V128:
        memcpy(p, src, 16)
    else:
        memcpy(p, src, 8)

cdef inline void gc_get(const uint8_t* p, uint8_t kind, bint signed, uint64_t* dst) noexcept nogil:
    # load a field or element into slot bits (packed i8/i16: sign- or zero-extended to i32)
    cdef uint16_t b16
    cdef uint32_t b32
    if kind == SK_I8:
        dst[0] = <uint32_t><int32_t>(<int8_t>p[0]) if signed else p[0]
    elif kind == SK_I16:
        memcpy(&b16, p, 2)
        dst[0] = <uint32_t><int32_t>(<int16_t>b16) if signed else b16
    elif kind == SK_I32:
        memcpy(&b32, p, 4)
        dst[0] = b32
    elif kind == SK_V128:
        memcpy(dst, p, 16)
    else:
        memcpy(dst, p, 8)

cdef inline uint32_t slots_of_kind(uint8_t kind) noexcept nogil:
    return 2 if kind == SK_V128 else 1


# ------------------------------------------------------------------------------------ tests
cdef bint gc_matches(InstCtx* inst, uint64_t v, uint32_t heap, uint32_t nullable) noexcept nogil:
    """Whether reference v (slot bits) has heap type `heap` (code.pxd H_*; concrete: a type
    index of inst's module): 3.0 exec/instructions ref.test, with null matching iff nullable."""
    cdef const GcType* t
    cdef const uint32_t* s
    cdef uint32_t cid, k
    cdef GcObj* o
    if v == 0:
        return nullable != 0
    if heap < H_CONCRETE:
        if heap == H_ANY or heap == H_FUNC or heap == H_EXTERN or heap == H_EXN:
            return True
        if heap == H_EQ:
            return (v & 1) != 0 or (v & 3) == 0
        if heap == H_I31:
            return (v & 1) != 0
        if heap == H_STRUCT or heap == H_ARRAY:
            return (v & 3) == 0 and (<GcObj*>v).type.kind == (GC_STRUCT if heap == H_STRUCT
                                                              else GC_ARRAY)
        return False                                  # none, nofunc, noextern, noexn
    heap -= H_CONCRETE
    cid = inst.type_ids[heap]
    t = inst.gctypes[heap] if inst.gctypes != NULL else NULL
    if t == NULL:                                     # a function type
        return (<FuncRec*>v).type_id == cid or func_subtype(<FuncRec*>v, cid)
    if v & 3:
        return False
    o = <GcObj*>v
    if o.type.id == cid:
        return True
    s = o.type.supers
    if s != NULL:
        for k in range(s[0]):
            if s[1 + k] == cid:
                return True
    return False
