# Ownership of references (included by runtime.pyx; the model is written down in code.pxd,
# "Ownership", and RATIONALE.md). A Heap owns everything the references of one or more stores
# can reach: their instances, and the host functions and externref objects that entered as
# slot values. Stores that share references (an import from another store, a function of one
# store passed to another) share one heap: heaps merge (union-find) and never split.

cdef enum:
    SWEEP_MIN = 4096                 # refs entered before the first sweep of a heap


cdef class Heap:
    """Internal: the owner of a store's references (see code.pxd, "Ownership")."""
    cdef dict refs                   # slot bits -> host Func or externref object
    cdef list instances              # InstanceCores: live until the heap goes
    cdef set tables                  # Table objects: roots of a sweep
    cdef set globals_                # Global objects of a reference type: roots of a sweep
    cdef Heap parent                 # the heap this one was merged into (None: a root)
    cdef Py_ssize_t active           # calls running code of this heap (kept on the root)
    cdef Py_ssize_t next_sweep       # sweep once len(refs) reaches this
    cdef GcHeap gc                   # its GC objects (gc.pxi)

    def __cinit__(self):
        gc_init(&self.gc, self)
        self.refs = {}
        self.instances = []
        self.tables = set()
        self.globals_ = set()
        self.parent = None
        self.active = 0
        self.next_sweep = SWEEP_MIN

    def __dealloc__(self):
        gc_free_all(&self.gc)

    @property
    def size(self):
        """Number of host functions and externref objects the heap keeps alive now."""
        return len(heap_root(self).refs)


cdef inline Heap heap_root(Heap h):
    """The heap ``h`` was merged into (itself if none)."""
    return h if h.parent is None else heap_find(h)


cdef Heap heap_find(Heap h):
    # heap_root's slow path: follow the merges, with path compression.
    cdef Heap r = h
    cdef Heap nxt
    while r.parent is not None:
        r = r.parent
    while h.parent is not None and h.parent is not r:
        nxt = h.parent
        h.parent = r
        h = nxt
    return r


cdef Heap heap_merge(Heap a, Heap b):
    """Merge two heaps (their roots) into one; returns the root of the result."""
    a = heap_root(a)
    b = heap_root(b)
    if a is b:
        return a
    if len(a.refs) + len(a.instances) < len(b.refs) + len(b.instances):
        a, b = b, a
    a.refs.update(b.refs)
    a.instances.extend(b.instances)
    a.tables |= b.tables
    a.globals_ |= b.globals_
    a.active += b.active
    a.next_sweep = max(a.next_sweep, len(a.refs) + SWEEP_MIN)
    gc_merge(&a.gc, &b.gc)
    b.refs = {}
    b.instances = []
    b.tables = set()
    b.globals_ = set()
    b.active = 0
    b.parent = a
    return a


cdef inline void heap_keep(Heap h, uint64_t bits, object obj):
    # Enter a host function or externref object (its slot bits) in the heap.
    heap_root(h).refs[bits] = obj


cdef void heap_adopt_func(Heap h, Func f):
    # A function becomes reachable from heap h: a host function is entered; a wasm function's
    # instance (and its whole heap) joins h.
    if f.instance is None:
        heap_keep(h, <uint64_t>&f.rec, f)
    else:
        heap_merge(h, (<Store>(<InstanceCore>f.instance).store).heap)


cdef inline void heap_mark(dict refs, dict live, uint64_t b):
    if not (b & 1):
        b &= ~(<uint64_t>2)          # an anyref to a host object (code.pxd, GC references)
    if b != 0 and b in refs:
        o = refs[b]
        live[b] = o
        if type(o) is Exn:
            heap_mark_exn(live, <Exn>o)     # and what the exception's payload holds


cdef void heap_sweep(Heap h):
    # Drop the refs no table, global or element segment of the heap holds. Only called while
    # no call of the heap runs: then no frame holds a ref of it.
    cdef dict refs = h.refs
    cdef dict live = {}
    cdef Py_ssize_t scanned = 0, i
    cdef uint32_t k
    cdef TableRec* t
    cdef SegRec* s
    cdef InstanceCore ic
    for tab in h.tables:
        t = &(<Table>tab).rec
        scanned += t.size
        for k in range(t.size):
            heap_mark(refs, live, t.elems[k])
    for g in h.globals_:
        heap_mark(refs, live, (<Global>g).bits[0])
    scanned += heap_mark_gc(h, refs, live)
    for inst in h.instances:
        ic = <InstanceCore>inst
        for i in range(ic.nelems):
            s = &ic.ctx.elems[i]
            scanned += s.n
            for k in range(s.n):
                heap_mark(refs, live, s.items[k])
    h.refs = live
    h.next_sweep = 2 * len(live) + max(<Py_ssize_t>SWEEP_MIN, scanned // 16)


cdef Py_ssize_t heap_mark_gc(Heap h, dict refs, dict live):
    # The host functions and objects that GC objects' reference fields hold; returns the
    # fields scanned. Their bits are copied out under the GC lock (a collection from another
    # thread may be running), then looked up without it (dict operations may run Python's
    # collector, whose handle deallocations take the lock).
    cdef GcHeap* g
    cdef GcObj* o
    cdef GcChunk* c
    cdef uint8_t* p
    cdef uint32_t k
    cdef uint64_t* bits = NULL
    cdef uint64_t nb = 0, cap = 0
    cdef bint ok = True
    if not refs:
        return 0
    whisk_gc_lock()
    g = gc_root(&h.gc)
    o = g.objects
    while o != NULL and ok:
        ok = heap_gather_fields(o, &bits, &nb, &cap)
        o = o.next
    c = g.chunks
    while c != NULL and ok:
        p = (<uint8_t*>c) + GC_CHUNK_HDR
        for k in range(c.nslots):
            o = <GcObj*>(p + <uint64_t>k * c.slot)
            if o.type != NULL and not heap_gather_fields(o, &bits, &nb, &cap):
                ok = False
                break
        c = c.next
    whisk_gc_unlock()
    if not ok:                  # no memory to look: keep every ref this time
        live.update(refs)
        return 0
    try:
        for k in range(nb):
            heap_mark(refs, live, bits[k])
    finally:
        free(bits)
    return <Py_ssize_t>nb


cdef bint heap_gather_fields(GcObj* o, uint64_t** bits, uint64_t* nb, uint64_t* cap) noexcept nogil:
    # append o's reference fields (non-null, non-i31) to bits; False if out of memory
    cdef const GcType* t = o.type
    cdef uint64_t* p = <uint64_t*>gc_payload(o)
    cdef uint64_t n = 0, k, v
    cdef uint64_t* grown
    if t.nrefs == 0:
        return True
    n = o.len if t.kind == GC_ARRAY else t.nrefs
    if nb[0] + n > cap[0]:
        grown = <uint64_t*>realloc(bits[0], (2 * cap[0] + n + 64) * sizeof(uint64_t))
        if grown == NULL:
            free(bits[0])
            bits[0] = NULL
            return False
        bits[0] = grown
        cap[0] = 2 * cap[0] + n + 64
    for k in range(n):
        v = p[k] if t.kind == GC_ARRAY else (<uint64_t*>((<uint8_t*>p) + t.refoff[k]))[0]
        if v != 0 and not (v & 1):
            bits[0][nb[0]] = v
            nb[0] += 1
    return True


cdef inline void heap_maybe_sweep(Heap h):
    # Sweep when enough refs were entered since the last sweep and no call of the heap runs.
    h = heap_root(h)
    if h.active == 0 and len(h.refs) >= h.next_sweep:
        heap_sweep(h)


cdef Heap heap_of_table(Table t):
    if t.heap is None:
        t.heap = Heap()
        t.heap.tables.add(t)
        gc_add_root(&t.heap.gc, ROOT_TABLE, t.ptr())
    return t.heap


cdef Heap heap_of_global(Global g):
    if g.heap is None:
        g.heap = Heap()
        if is_ref_code(g.code):
            g.heap.globals_.add(g)
            gc_add_root(&g.heap.gc, ROOT_SLOT, g.ptr())
    return g.heap
