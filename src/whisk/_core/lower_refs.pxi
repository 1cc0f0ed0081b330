# Part of the pre-decoder (lower.pyx, which includes this file after the Lowerer class): reference
# and table instructions, as module-level functions taking the Lowerer: ref.null, ref.is_null,
# ref.func, ref.as_non_null (spec 3.3.2, 5.4.2; 3.0 valid/instructions), br_on_null /
# br_on_non_null (3.0 function references), table.get / table.set and the 0xFC table ops
# table.init, elem.drop, table.copy, table.grow, table.size, table.fill (3.3.6, 5.4.5), with
# the narrowing of table64 (i64) indices and counts to saturated u32s (narrow; call_indirect
# uses it too).

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

# ------------------------------------------------------------------ the instructions' arms
cdef int lower_ref(Lowerer self, int b) except -1:
    # ref.null ht (0xD0), ref.is_null (0xD1), ref.func x (0xD2), ref.as_non_null (0xD4):
    # spec 3.3.2, 3.0 valid/instructions.
    cdef int i
    cdef int64_t x
    cdef vtype t
    cdef uint32_t sa
    if b == 0xD0:                                 # ref.null (3.0: any heap type)
        self.push(ref_vt(True, heaptype(self)), K_CONST, 0)
    elif b == 0xD1:                               # ref.is_null
        i = self.pop_ref()
        if self.emitting:
            sa = self.operand(i)
            self.produce(OP_ref_is_null, T_I32); self.emit(sa); self.end_producer()
        else:
            self.push(T_I32, K_SLOT, 0)
    elif b == 0xD2:                               # ref.func: (ref $t), non-null
        x = self.u32()
        if x >= self.nfuncs:
            self.invalid(f"unknown function {x}")
        if not self.refs[x]:
            self.invalid(f"undeclared function reference")
        t = ref_vt(False, H_CONCRETE + self.ftype[x])
        if self.emitting:
            self.produce(OP_ref_func, t); self.emit(<uint32_t>x); self.end_producer()
        else:
            self.push(t, K_SLOT, 0)
    else:                                         # ref.as_non_null
        i = self.pop_ref()
        t = self.type_of(i)
        if t != T_UNKNOWN:
            t = t & ~(<vtype>NULL_BIT)
        if self.emitting:
            sa = self.operand(i)
            self.produce(OP_ref_as_non_null, t); self.emit(sa); self.end_producer()
        else:
            self.push(t, K_SLOT, 0)
    return 0

cdef int lower_table_get_set(Lowerer self, bint set_) except -1:
    # table.get x / table.set x (spec 3.3.6); a table64 index is narrowed.
    cdef int i, j
    cdef int64_t x
    cdef vtype t, t1
    cdef uint32_t sa, sb
    x = table_index(self)
    t = self.ttype[x]
    t1 = table_addr_type(self, x)
    if not set_:
        i = self.pop(t1)
        if self.emitting:
            if t1 == T_I64:
                narrow(self, i)
            sa = self.operand(i)
            self.produce(OP_table_get, t); self.emit(<uint32_t>x); self.emit(sa)
            self.end_producer()
        else:
            self.push(t, K_SLOT, 0)
    else:
        j = self.pop(t)
        i = self.pop(t1)
        if self.emitting:
            if t1 == T_I64:
                narrow(self, i)
            sa = self.operand(i); sb = self.operand(j)
            self.start(OP_table_set); self.emit(<uint32_t>x); self.emit(sa); self.emit(sb)
    return 0

cdef int lower_table_op(Lowerer self, int sub) except -1:
    # 0xFC 12-17: table.init, elem.drop, table.copy, table.grow, table.size, table.fill
    # (spec 3.3.6, 5.4.5).
    cdef int64_t x, y
    cdef int i, j, k
    cdef uint32_t s0, s1, s2
    cdef vtype t
    if sub == 12:                                     # table.init
        y = self.u32()
        x = table_index(self)
        if y >= self.nelems:
            self.invalid(f"unknown elem segment {y}")
        if not is_subtype(self, self.etype[y], self.ttype[x]):
            self.invalid("type mismatch")
        return lower_three(self, OP_table_init, <uint32_t>x, 2, T_I32, <uint32_t>y,
                          table_addr_type(self, x))
    if sub == 13:                                     # elem.drop
        y = self.u32()
        if y >= self.nelems:
            self.invalid(f"unknown elem segment {y}")
        if self.emitting:
            self.start(OP_elem_drop); self.emit(<uint32_t>y)
        return 0
    if sub == 14:                                     # table.copy
        x = table_index(self)
        y = table_index(self)
        if not is_subtype(self, self.ttype[y], self.ttype[x]):
            self.invalid("type mismatch")
        return lower_three(self, OP_table_copy, <uint32_t>x, 2,
                          T_I64 if self.taddr[x] and self.taddr[y] else T_I32, <uint32_t>y,
                          table_addr_type(self, x), table_addr_type(self, y))
    if sub == 15:                                     # table.grow
        x = table_index(self)
        t = table_addr_type(self, x)
        j = self.pop(t)
        i = self.pop(self.ttype[x])
        if self.emitting:
            if t == T_I64:
                narrow(self, j)
            s0 = self.operand(i); s1 = self.operand(j)
            self.produce(OP_table_grow, t); self.emit(<uint32_t>x); self.emit(s0); self.emit(s1)
            self.end_producer()
            if t == T_I64:                            # -1 (failure) as an i64
                self.start(OP_grow_result64); self.emit(self.canon(self.vn - 1))
        else:
            self.push(t, K_SLOT, 0)
        return 0
    if sub == 16:                                     # table.size
        x = table_index(self)
        t = table_addr_type(self, x)
        if self.emitting:
            self.produce(OP_table_size, t); self.emit(<uint32_t>x); self.end_producer()
        else:
            self.push(t, K_SLOT, 0)
        return 0
    if sub == 17:                                     # table.fill
        x = table_index(self)
        t = table_addr_type(self, x)
        k = self.pop(t)
        j = self.pop(self.ttype[x])
        i = self.pop(t)
        if self.emitting:
            if t == T_I64:
                narrow(self, i); narrow(self, k)
            s0 = self.operand(i); s1 = self.operand(j); s2 = self.operand(k)
            self.start(OP_table_fill); self.emit(<uint32_t>x)
            self.emit(s0); self.emit(s1); self.emit(s2)
        return 0
    return 0
