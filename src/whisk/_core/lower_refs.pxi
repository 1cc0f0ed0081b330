cdef int table_index(Lowerer self) except -1:
    cdef int64_t x = self.u32()
    if x >= self.ntables:
        self.invalid(f"unknown table {x}")
    return <int>x

cdef inline uint8_t table_addr_type(Lowerer self, int x):
    return T_I64 if self.taddr[x] else T_I32

cdef int narrow(Lowerer self, int i) except -1:
    # Entry i, an i64 index or count of a table64 table, becomes a u32 in its canonical slot,
    # saturated at 0xFFFFFFFF: every table holds fewer elements (TableRec.limit), so an
    # index beyond 2**32 stays out of bounds and a count beyond it still fails.
    cdef uint64_t v
    if i < 0 or not self.emitting:
        return 0
    if self.vk[i] == K_CONST:
        v = self.vv[i]
        self.vv[i] = v if v <= 0xFFFFFFFF else 0xFFFFFFFF
        return 0
    cdef uint32_t s = self.operand(i)
    self.start(OP_sat32); self.emit(self.canon(i)); self.emit(s)
    self.vk[i] = K_SLOT
    return 0

cdef int br_on_null(Lowerer self, bint on_null) except -1:
    # br_on_null l / br_on_non_null l (3.0 valid/instructions). br_on_null: branch with
    # the values below the reference when it is null, else go on with (ref ht) on top.
    # br_on_non_null: branch with the (non-null) reference on top of the label's values,
    # else drop it.
    cdef int l = label_index(self)
    cdef int i, first, cnt, last
    cdef vtype t, lt
    cdef Ctrl* fr = &self.cs[self.cn - 1 - l]
    cdef Py_ssize_t skip
    i = self.pop_ref()
    t = self.type_of(i)
    if t != T_UNKNOWN:
        t = t & ~(<vtype>NULL_BIT)
    if on_null:
        cnt = pop_label(self, l, &first)
        if self.emitting:
            emit_br_ref(self, l, i, first, cnt, True)
            self.vn += cnt
            retype_label(self, l, first, cnt)
            repush(self, i, t)
        else:
            push_label_types(self, fr)
            self.push(t, K_SLOT, 0)
        return 0
    cnt = self.label_type_count(fr)
    if cnt == 0:
        self.invalid("type mismatch")
    lt = self.tdata[self.label_type_off(fr) + cnt - 1]
    if not is_ref(lt) and lt != T_UNKNOWN:
        self.invalid("type mismatch")
    if self.emitting:
        repush(self, i, t)
    else:
        self.push(t, K_SLOT, 0)
    cnt = pop_label(self, l, &first)
    if self.emitting:
        emit_br_ref(self, l, first + cnt - 1, first, cnt, False)
        self.vn += cnt
        retype_label(self, l, first, cnt)
    else:
        push_label_types(self, fr)
    self.vn -= 1                                   # not taken: the null is dropped
    return 0

cdef int emit_br_ref(Lowerer self, int l, int r, int first, int cnt, bint on_null) except -1:
    # Branch to label l with entries first..first+cnt when entry r is null (on_null) or
    # not null: br_on_null / br_on_non_null r target, around the copies when needed.
    cdef Py_ssize_t skip
    cdef uint32_t sr = self.operand(r)
    if self.cs[self.cn - 1 - l].kind == C_FUNC:
        prep_return(self, first, cnt)
    if not needs_copies(self, l, first, cnt) and not is_back(self, l):
        self.start(OP_br_on_null if on_null else OP_br_on_non_null)
        self.emit(sr)
        return emit_target(self, l)
    # the opposite test skips the copies and the branch
    self.start(OP_br_on_non_null if on_null else OP_br_on_null)
    self.emit(sr)
    self.emit(NO_CHAIN)
    skip = self.n - 1
    emit_branch(self, l, first, cnt)
    self.code[skip] = <uint32_t>self.n
    self.place_label()
    return 0
