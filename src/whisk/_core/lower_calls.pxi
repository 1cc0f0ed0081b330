# Part of the pre-decoder (lower.pyx, which includes this file after the Lowerer class): call
# instructions, as module-level functions taking the Lowerer: call, call_indirect (spec
# 3.3.8.10-11, 5.4.1), call_ref, return_call, return_call_indirect, return_call_ref (3.0
# valid/instructions; tail calls). Arguments go to consecutive canonical slots, where the
# callee's frame begins; results land in the same slots.

cdef int lower_call(Lowerer self, int ti, uint32_t op, uint32_t a, uint32_t b, int elem) except -1:
    # call / call_indirect (spec 3.3.8.10-11): arguments to consecutive canonical slots.
    cdef int k, first, np_ = self.tnp[ti]
    cdef uint32_t base, se = 0
    self.pop_types(ti, False)
    first = self.vn
    if self.emitting:
        for k in range(np_):
            self.materialize(first + k)
        if elem >= 0:
            se = self.operand(elem)
        base = self.nloc + (self.vp[first] if np_ > 0 else self.next_pos())
        self.start(op)
        if op == OP_call_ref:
            self.emit(se)
        else:
            self.emit(a)
        if op == OP_call_indirect:
            self.emit(b)
            self.emit(se)
        self.emit(base)
    self.push_types(ti, True)
    # the callee's results land in the slots the arguments occupied
    return 0

cdef int type_index(Lowerer self) except -1:
    # A function type index (call_ref, return_call_ref).
    cdef int64_t x = self.u32()
    if x >= self.ntypes:
        self.invalid(f"unknown type {x}")
    if self.tkind[x] != 0:
        self.invalid("type mismatch")
    return <int>x

cdef int lower_return_call(Lowerer self, int b) except -1:
    # return_call / return_call_indirect / return_call_ref (3.0 valid/instructions): the
    # callee's results must match the function's; arguments go to consecutive canonical
    # slots as for a call, and the callee's frame then replaces this one (loop.pxi.in).
    cdef int64_t x, y = 0
    cdef int ti, k, first, c = -1, np_
    cdef int fti = self.cs[0].type_index
    cdef uint32_t base, se = 0, op
    if b == 0x12:
        x = self.u32()
        if x >= self.nfuncs:
            self.invalid(f"unknown function {x}")
        ti = self.ftype[x]
        op = OP_return_call
    elif b == 0x13:
        x = self.u32()
        y = self.u32()
        if y >= self.ntables:
            self.invalid(f"unknown table {y}")
        if x >= self.ntypes:
            self.invalid(f"unknown type {x}")
        if self.tkind[x] != 0 or not is_subtype(self, self.ttype[y], T_FUNCREF):
            self.invalid("type mismatch")
        ti = <int>x
        op = OP_return_call_indirect
    else:
        ti = type_index(self)
        x = ti
        op = OP_return_call_ref
    if self.tnr[ti] != self.tnr[fti]:
        self.invalid("type mismatch")
    for k in range(self.tnr[ti]):
        if not is_subtype(self, self.tdata[self.toff[ti] + self.tnp[ti] + k],
                        self.tdata[self.toff[fti] + self.tnp[fti] + k]):
            self.invalid("type mismatch")
    if b == 0x13:
        c = self.pop(table_addr_type(self, <int>y))       # an i64 index for table64
        if self.taddr[y]:
            narrow(self, c)
    elif b == 0x15:
        c = self.pop(ref_vt(True, H_CONCRETE + <uint32_t>ti))
    np_ = self.tnp[ti]
    self.pop_types(ti, False)
    first = self.vn
    if self.emitting:
        for k in range(np_):
            self.materialize(first + k)
        if c >= 0:
            se = self.operand(c)
        base = self.nloc + (self.vp[first] if np_ > 0 else self.next_pos())
        self.start(op)
        if op == OP_return_call:
            self.emit(<uint32_t>x)
        elif op == OP_return_call_indirect:
            self.emit(<uint32_t>x); self.emit(<uint32_t>y); self.emit(se)
        else:
            self.emit(se)
        self.emit(base)
    return self.set_unreachable()

cdef int lower_call_op(Lowerer self, int b) except -1:
    # call x (0x10), call_indirect x y (0x11), call_ref x (0x14): spec 3.3.8.10-11, 3.0
    # valid/instructions for call_ref; the table64 index of call_indirect is narrowed.
    cdef int64_t x, y
    cdef int c
    if b == 0x10:
        x = self.u32()
        if x >= self.nfuncs:
            self.invalid(f"unknown function {x}")
        return lower_call(self, self.ftype[x], OP_call, <uint32_t>x, 0, -1)
    if b == 0x11:
        x = self.u32()
        y = self.u32()
        if y >= self.ntables:
            self.invalid(f"unknown table {y}")
        if x >= self.ntypes:
            self.invalid(f"unknown type {x}")
        if self.tkind[x] != 0 or not is_subtype(self, self.ttype[y], T_FUNCREF):
            self.invalid("type mismatch")
        c = self.pop(table_addr_type(self, y))
        if self.taddr[y]:
            narrow(self, c)
        return lower_call(self, <int>x, OP_call_indirect, <uint32_t>x, <uint32_t>y, c)
    x = type_index(self)
    c = self.pop(ref_vt(True, H_CONCRETE + <uint32_t>x))
    return lower_call(self, <int>x, OP_call_ref, 0, 0, c)
