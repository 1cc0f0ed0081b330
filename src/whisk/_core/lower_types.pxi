# Part of the pre-decoder (lower.pyx, which includes this file after the Lowerer class): value
# types, block types and subtyping, as module-level functions taking the Lowerer.
# * code_of / add_pseudo / single_type: the module's types as vtypes (spec 2.3, 3.0 syntax/types),
#   and the pseudo types of single-value block types (5.4.1 blocktype);
# * is_subtype / heap_sub: 3.0 valid/matching (the iso-recursive canonical ids of rec groups);
# * heaptype / valtype / check_ref_feature: reading a value type in a body (5.3, 3.0 binary/types);
# * check_vals / types_text / stack_text: the reference interpreter's "type mismatch: ... requires
#   [t*] but stack has [t'*]" messages.

cdef vtype code_of(Lowerer self, object t) except? 0xFFFFFFFF:
    # A value type from Python (a name or a whisk.types.RefType) as a vtype.
    cdef object c
    if type(t) is str:
        c = _NUM_CODES.get(t)
        if c is not None:
            return c
    heap = getattr(t, "heap", None)
    if isinstance(heap, int):
        if heap >= self.ntypes:
            raise ValidationError(f"unknown type {heap}")
        return ref_vt(t.nullable, H_CONCRETE + heap)
    if isinstance(heap, str) and heap in _HEAP_BY_NAME:
        return ref_vt(t.nullable, _HEAP_BY_NAME[heap])
    raise ValueError(f"unknown value type {t!r}")

cdef int add_pseudo(Lowerer self, int np_, int nr, vtype t) except -1:
    # Append the type [] -> [t] (nr == 1) or [] -> [] to the extended type table.
    cdef int ti = self.ntypes_ext
    if ti >= self.tcap:
        self.tcap *= 2
        self.toff = <uint32_t*>realloc(self.toff, sizeof(uint32_t) * self.tcap)
        self.tnp = <uint32_t*>realloc(self.tnp, sizeof(uint32_t) * self.tcap)
        self.tnr = <uint32_t*>realloc(self.tnr, sizeof(uint32_t) * self.tcap)
        if self.toff == NULL or self.tnp == NULL or self.tnr == NULL:
            raise MemoryError()
    if self.tdn + 1 >= self.tdcap:
        self.tdcap *= 2
        self.tdata = <vtype*>realloc(self.tdata, sizeof(vtype) * self.tdcap)
        if self.tdata == NULL:
            raise MemoryError()
    self.toff[ti] = self.tdn
    self.tnp[ti] = 0
    self.tnr[ti] = nr
    if nr:
        self.tdata[self.tdn] = t
        self.tdn += 1
    self.ntypes_ext += 1
    return ti

cdef int single_type(Lowerer self, vtype t) except -1:
    # The (extended) type index of the block type [] -> [t].
    cdef int i
    for i in range(self.ntypes + 1, self.ntypes_ext):
        if self.tdata[self.toff[i]] == t:
            return i
    return add_pseudo(self, 0, 1, t)

# ------------------------------------------------------------------ subtyping (3.0 valid/matching)
cdef bint is_subtype(Lowerer self, vtype a, vtype b):
    # a matches b: a <: b. T_UNKNOWN (bottom) matches everything.
    if a == b or a == T_UNKNOWN or b == T_UNKNOWN:
        return True
    if not (a & REF_BIT) or not (b & REF_BIT):
        return False
    if (a & NULL_BIT) and not (b & NULL_BIT):
        return False
    return heap_sub(self, heap_of(a), heap_of(b))

cdef bint heap_sub(Lowerer self, uint32_t ha, uint32_t hb):
    cdef int x, y, kind
    if ha == hb:
        return True
    if ha >= H_CONCRETE and hb >= H_CONCRETE:
        x = ha - H_CONCRETE
        y = hb - H_CONCRETE
        while x >= 0:
            if self.tcanon[x] == self.tcanon[y]:
                return True
            x = self.tsuper[x]
        return False
    if ha >= H_CONCRETE:
        kind = self.tkind[ha - H_CONCRETE]
        if kind == 0:
            return hb == H_FUNC
        return hb == H_ANY or hb == H_EQ or hb == (H_STRUCT if kind == 1 else H_ARRAY)
    if hb >= H_CONCRETE:
        return ha == (H_NOFUNC if self.tkind[hb - H_CONCRETE] == 0 else H_NONE)
    if hb == H_FUNC:
        return ha == H_NOFUNC
    if hb == H_EXTERN:
        return ha == H_NOEXTERN
    if hb == H_EXN:
        return ha == H_NOEXN
    if hb == H_ANY:
        return ha == H_EQ or ha == H_I31 or ha == H_STRUCT or ha == H_ARRAY or ha == H_NONE
    if hb == H_EQ:
        return ha == H_I31 or ha == H_STRUCT or ha == H_ARRAY or ha == H_NONE
    if hb == H_I31 or hb == H_STRUCT or hb == H_ARRAY:
        return ha == H_NONE
    return False

cdef uint32_t heaptype(Lowerer self) except 0:
    # A heap type (3.0 binary/types): an abstract code byte or a non-negative s33 index.
    cdef int64_t x
    cdef int b
    if self.pos >= self.end:
        self.malformed("unexpected end of section or function")
    b = self.p[self.pos]
    if HEAP_CODE[b]:
        if not self.typed_refs and b != 0x70 and b != 0x6F:
            check_ref_feature(self, b, "malformed reference type")
        if not self.gc_refs and is_gc_heap(HEAP_CODE[b]):
            ref_disabled(self, "gc", "malformed reference type")
        self.pos += 1
        return HEAP_CODE[b]
    if not self.typed_refs:
        ref_disabled(self, "function_references", "malformed reference type")
    x = self.sleb(33)
    if x < 0:
        self.malformed("malformed heap type")
    if x >= self.ntypes:
        self.invalid(f"unknown type {x}")
    return H_CONCRETE + <uint32_t>x

cdef inline bint is_gc_heap(uint32_t h) noexcept nogil:
    # any, eq, i31, struct, array, none: the abstract heap types of the GC feature
    return h == H_ANY or h == H_EQ or h == H_I31 or h == H_STRUCT or h == H_ARRAY or h == H_NONE

cdef int check_ref_feature(Lowerer self, int b, str what) except -1:
    # A reference shorthand beyond funcref/externref with typed references off: exnref and
    # nullexnref are the exceptions feature's, the rest typed function references'.
    if b == 0x69 or b == 0x74:
        if not self.exn_refs:
            ref_disabled(self, "exceptions", what)
        return 0
    return ref_disabled(self, "function_references", what)

cdef int ref_disabled(Lowerer self, str name, str what) except -1:
    # The 2.0 decoder's message for what it meets, then the feature that would allow it.
    from whisk.features import disabled_message
    return self.malformed(f"{what} ({disabled_message(name)})")

cdef vtype valtype(Lowerer self) except 0:
    # A value type (spec 5.3.4; 3.0 binary/types): a number/vector code, a reference
    # shorthand, or 0x63 (ref null ht) / 0x64 (ref ht).
    cdef int b = self.byte()
    if is_num(b):
        return b
    if HEAP_CODE[b]:
        if not self.typed_refs and b != 0x70 and b != 0x6F:
            self.pos -= 1
            check_ref_feature(self, b, "malformed value type")
            self.pos += 1
        if not self.gc_refs and is_gc_heap(HEAP_CODE[b]):
            self.pos -= 1
            ref_disabled(self, "gc", "malformed value type")
        return ref_vt(True, HEAP_CODE[b])
    if b == 0x63 or b == 0x64:
        if not self.typed_refs:
            self.pos -= 1
            ref_disabled(self, "function_references", "malformed value type")
        return ref_vt(b == 0x63, heaptype(self))
    if b & 0x80:
        self.malformed("integer representation too long")
    self.pos -= 1
    self.malformed("malformed value type")
    return 0

cdef inline int check_exnref(Lowerer self, vtype t, str what) except -1:
    # exnref (0x69) is a type of the exceptions feature
    if t == T_EXNREF and self.feat_off & FEAT_EXCEPTIONS:
        self.disabled_feature("exceptions", what)
    return 0

cdef bint same_params_results(Lowerer self, int ti):
    cdef uint32_t k, off = self.toff[ti]
    if self.tnp[ti] != self.tnr[ti]:
        return False
    for k in range(self.tnp[ti]):
        if self.tdata[off + k] != self.tdata[off + self.tnp[ti] + k]:
            return False
    return True

cdef str types_text(Lowerer self, int ti, bint results):
    cdef int k, cnt = self.tnr[ti] if results else self.tnp[ti]
    cdef uint32_t off = self.toff[ti] + (self.tnp[ti] if results else 0)
    return "[" + " ".join([vt_name(self.tdata[off + k]) for k in range(cnt)]) + "]"

cdef str stack_text(Lowerer self, int n):
    # the top n operand types, as the reference interpreter prints a stack
    cdef int k
    return "[" + " ".join([vt_name(self.vt[self.vn - n + k]) for k in range(n)]) + "]"

cdef int check_vals(Lowerer self, int ti, bint results, str what) except -1:
    # Before pop_types(ti, results): the reference interpreter's detailed message for a
    # mismatch, "type mismatch: instruction requires [t*] but stack has [t'*]" (the top
    # values of the block, at most as many as required).
    cdef Ctrl* c = &self.cs[self.cn - 1]
    cdef int k, cnt = self.tnr[ti] if results else self.tnp[ti]
    cdef uint32_t off = self.toff[ti] + (self.tnp[ti] if results else 0)
    cdef int avail = self.vn - c.height
    cdef int n = cnt if cnt < avail else avail
    cdef bint ok = avail >= cnt or c.unreachable
    cdef vtype want, have
    for k in range(n):
        want = self.tdata[off + cnt - n + k]
        have = self.vt[self.vn - n + k]
        if want != have and not is_subtype(self, have, want):
            ok = False
    if not ok:
        self.invalid(f"type mismatch: {what} requires {types_text(self, ti, results)} but "
                     f"stack has {stack_text(self, n)}")
    return 0
