cdef int prefixed(Lowerer self, int sub) except -1:
    # The 0xFC group: bulk memory and table instructions (spec 3.3.6-7, 5.4.5-6).
    cdef int64_t x, y
    cdef int i, j, k
    cdef uint32_t s0, s1, s2
    cdef vtype t
    if sub == 8 or sub == 9:                          # memory.init / data.drop
        x = self.u32()
        if self.ndatas < 0:
            self.malformed("data count section required")
        if sub == 8:
            k = memidx(self)
        if x >= self.ndatas:
            self.invalid(f"unknown data segment {x}")
        if sub == 9:
            if self.emitting:
                self.start(OP_data_drop); self.emit(<uint32_t>x)
            return 0
        if is_far(self, k):                               # [at i32 i32] -> []
            return three_far(self, OP_memory_init_far, <uint32_t>k, <uint32_t>x,
                                  addr_type(self, k), T_I32, T_I32)
        return lower_three(self, OP_memory_init, <uint32_t>x, 1, T_I32)
    if sub == 10:                                     # memory.copy
        i = memidx(self)
        j = memidx(self)
        if is_far(self, i) or is_far(self, j):                # [at1 at2 min(at1, at2)] -> []
            return three_far(self, OP_memory_copy_far, <uint32_t>i, <uint32_t>j,
                                  addr_type(self, i), addr_type(self, j),
                                  T_I64 if self.maddr[i] and self.maddr[j] else T_I32)
        return lower_three(self, OP_memory_copy, 0, 0, T_I32)
    if sub == 11:                                     # memory.fill
        k = memidx(self)
        if is_far(self, k):                               # [at i32 at] -> []
            return three_far(self, OP_memory_fill_far, <uint32_t>k, 0, addr_type(self, k),
                                  T_I32, addr_type(self, k))
        return lower_three(self, OP_memory_fill, 0, 0, T_I32)
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
    # 0..7: the saturating truncations are regular (unary) ops handled by the caller
    return self.malformed(f"illegal opcode fc {sub:x}")
