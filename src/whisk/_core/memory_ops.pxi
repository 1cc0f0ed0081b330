# The general path of the memory instructions (3.0 spec 4.4.7): memories other than memory 0
# (multi-memory) and memories with i64 addresses (memory64). Included by runtime.pyx before
# the dispatch loop. Memory 0 with i32 addresses keeps the loop's own arms; everything else
# comes here, out of line, so the loop's registers stay with the common case. Bounds checks
# are exact at 64 bits: an address plus an offset that wraps is out of bounds.

cdef uint64_t FAR_OOB = ~(<uint64_t>0)


cdef inline uint64_t far_addr(MemRec* m, uint64_t a) noexcept nogil:
    # An address operand at memory m's address type (an i32 address is the slot's low 32 bits).
    return a if m.is64 else <uint32_t>a


cdef inline uint64_t far_ea(MemRec* m, uint64_t a, uint64_t off, uint64_t width) noexcept nogil:
    # The effective address of a `width`-byte access at address a + offset (spec 4.4.7.1,
    # steps 8-11), or FAR_OOB if any byte of it lies outside the memory.
    cdef uint64_t ea
    a = far_addr(m, a)
    ea = a + off
    if ea < a or ea > m.size or width > m.size - ea:
        return FAR_OOB
    return ea


cdef inline bint in_bounds(uint64_t start, uint64_t n, uint64_t size) noexcept nogil:
    return start <= size and n <= size - start


cdef uint64_t mem_grow_far(MemRec* m, uint64_t delta) noexcept nogil:
    """memory.grow (spec 4.4.7.8) at m's address type: the old size in pages, or -1 (of that
    type) on failure."""
    cdef int64_t r = mem_grow(m, far_addr(m, delta))
    if r < 0:
        return ~(<uint64_t>0) if m.is64 else <uint64_t>0xFFFFFFFFU
    return <uint64_t>r


cdef int mem_bulk_far(const uint32_t* pc, uint64_t* fp, InstCtx* inst) noexcept nogil:
    """memory.fill / memory.copy / memory.init (spec 4.4.7.10-12) of the general path; a trap
    code. Layout: op imm imm2 a b c (see loop.pxi.in)."""
    cdef MemRec* m = inst.mems[pc[1]]
    cdef MemRec* src
    cdef SegRec* seg
    cdef uint64_t d = far_addr(m, fp[pc[3]]), s, n
    if pc[0] == OP_memory_fill_far:
        n = far_addr(m, fp[pc[5]])
        if not in_bounds(d, n, m.size):
            return TRAP_OOB_MEMORY
        memset(m.base + d, <uint8_t>fp[pc[4]], n)
    elif pc[0] == OP_memory_copy_far:
        src = inst.mems[pc[2]]
        s = far_addr(src, fp[pc[4]])
        n = fp[pc[5]] if m.is64 and src.is64 else <uint32_t>fp[pc[5]]   # min of the two types
        if not in_bounds(d, n, m.size) or not in_bounds(s, n, src.size):
            return TRAP_OOB_MEMORY
        memmove(m.base + d, src.base + s, n)
    else:
        seg = &inst.datas[pc[2]]
        s = <uint32_t>fp[pc[4]]
        n = <uint32_t>fp[pc[5]]
        if not in_bounds(d, n, m.size) or not in_bounds(s, n, seg.n):
            return TRAP_OOB_MEMORY
        memcpy(m.base + d, seg.bytes + s, n)
    return TRAP_NONE
