# Part of the pre-decoder (lower.pyx, which includes this file after the Lowerer class): memory
# instructions (spec 3.3.7, 5.4.6), as module-level functions taking the Lowerer: memarg and
# memory index immediates (multi_memory, memory64 offsets), scalar loads and stores (the i32.add_ri
# address fusion of memory 0), the general path (OP_mem_far: any memory but 0, and memory64),
# memory.size / memory.grow, and the bulk memory instructions of the 0xFC group (memory.init,
# data.drop, memory.copy, memory.fill; lower_three also serves the table ops). Vector loads and
# stores are in lower_simd.pxi.

cdef bint take_add(Lowerer self, int i, uint32_t* a, uint32_t* c):
    # If entry i (a memory address about to be consumed) was produced by the i32.add_ri just
    # emitted, remove that add and give its operand slot and constant: the access computes
    # the wrapped sum itself, one dispatch instead of two.
    cdef Py_ssize_t s = self.last_start
    if not (fusable(self, i) and self.last_op == OP_i32_add_ri):
        return False
    a[0] = self.code[s + 2]
    c[0] = self.code[s + 3]
    self.n = s
    if self.rec_at is not None:
        self.note_retract(self.n)
    self.last_dst = -1
    return True

cdef int far_access(Lowerer self, int idx, int kind, int m, uint64_t offset) except -1:
    # A scalar load (kind 3) or store (kind 4) on memory m by the general path: OP_mem_far,
    # then the access op with its address operand of memory m's address type, offset 0.
    cdef int i, j = -1
    cdef uint32_t sa, sb
    if kind == 4:
        j = self.pop(W_P1[idx])
    i = self.pop(addr_type(self, m))
    if not self.emitting:
        if kind == 3:
            self.push(W_R[idx], K_SLOT, 0)
        return 0
    sa = self.operand(i)
    if kind == 4:
        sb = self.operand(j)
    emit_far(self, m, offset)
    if kind == 3:
        self.produce(W_OP[idx], W_R[idx]); self.emit(sa); self.emit(0)
        self.end_producer()
    else:
        self.start(W_OP[idx]); self.emit(sa); self.emit(sb); self.emit(0)
    return 0

cdef int far_size_grow(Lowerer self, int m, bint grow) except -1:
    # memory.size / memory.grow of memory m (3.0 spec 3.3.7): i64 sizes for memory64.
    cdef uint8_t at = addr_type(self, m)
    cdef int i
    cdef uint32_t sa
    if grow:
        i = self.pop(at)
        if self.emitting:
            sa = self.operand(i)
            self.produce(OP_memory_grow_far, at); self.emit(<uint32_t>m); self.emit(sa)
            self.end_producer()
        else:
            self.push(at, K_SLOT, 0)
    elif self.emitting:
        self.produce(OP_memory_size_far, at); self.emit(<uint32_t>m); self.end_producer()
    else:
        self.push(at, K_SLOT, 0)
    return 0

cdef int need_memory(Lowerer self, int64_t x=0) except -1:
    if x >= self.nmems:
        self.invalid(f"unknown memory {x}")
    return <int>x

cdef int memidx(Lowerer self) except -1:
    # A memory index immediate (3.0 spec 5.4.6): a u32 with multi-memory, else the reserved
    # 0x00 byte of 2.0. Checked to name a memory; returns it.
    if self.multi_memory:
        return need_memory(self, self.u32())
    if self.pos < self.end and self.p[self.pos] != 0:
        self.malformed("zero byte expected (multiple memories are not enabled)")
    self.zero_byte()
    return need_memory(self, 0)

cdef inline uint8_t addr_type(Lowerer self, int m):
    # The address type of memory m: the type of its address operands (3.0 spec 3.3.7).
    return T_I64 if self.maddr[m] else T_I32

cdef bint is_far(Lowerer self, int m):
    # Whether accesses to memory m take the general path (OP_mem_far): any memory but 0,
    # and memory64. Memory 0 of i32 addresses keeps the dispatch loop's own arms.
    return m != 0 or self.maddr[m] != 0

cdef int memarg(Lowerer self, int width, uint64_t* offset) except -1:
    # memarg (3.0 spec 5.4.6): flags n (n < 64: alignment n, memory 0; 64 <= n < 128:
    # alignment n - 64, then a memory index), then the offset (u64; u32 in 2.0).
    # Validation (3.3.7): 2**align <= width; offset < 2**|addrtype|. Returns the memory.
    cdef int64_t flags = self.u32()
    cdef int m = 0
    if self.multi_memory:
        if flags >= 128:
            self.malformed("malformed memop flags")
        if flags >= 64:
            flags -= 64
            m = <int>self.u32()
    elif flags >= 32:
        self.malformed("malformed memop flags" + (" (multiple memories are not enabled)"
                                                  if 64 <= flags < 128 else ""))
    if self.memory64:
        offset[0] = self.u64()
    else:
        offset[0] = <uint64_t>self.u32()
    need_memory(self, m)
    if flags >= 63 or ((<int64_t>1) << flags) > width:
        self.invalid("alignment must not be larger than natural")
    if not self.maddr[m] and offset[0] > 0xFFFFFFFF:
        self.invalid("offset out of range")
    return m

cdef int emit_far(Lowerer self, int m, uint64_t offset) except -1:
    # The prefix of a general memory access: OP_mem_far m offset(lo, hi), then the access op
    # itself with offset 0 (see loop.pxi.in).
    self.start(OP_mem_far)
    self.emit(<uint32_t>m)
    return self.emit64(offset)

cdef int three_far(Lowerer self, uint32_t op, uint32_t imm, uint32_t imm2, vtype t0, vtype t1,
                       vtype t2) except -1:
    # A bulk memory op of the general path: op imm imm2 a b c, operands of types t0 t1 t2
    # (the far ops read each memory's operands at its address type).
    cdef int i, j, k
    cdef uint32_t s0, s1, s2
    k = self.pop(t2)
    j = self.pop(t1)
    i = self.pop(t0)
    if self.emitting:
        s0 = self.operand(i); s1 = self.operand(j); s2 = self.operand(k)
        self.start(op); self.emit(imm); self.emit(imm2)
        self.emit(s0); self.emit(s1); self.emit(s2)
    return 0

cdef int lower_three(Lowerer self, uint32_t op, uint32_t imm, int nimm, vtype t, uint32_t imm2=0,
                         vtype t0=0, vtype t1=0) except -1:
    # An op taking three operands of types t0 t1 t (t0, t1 default to t), after `nimm`
    # leading immediates (imm, imm2). i64 operands (table64 indices and counts) are
    # narrowed to saturated u32s: the table ops' arms read 32 bits.
    cdef int i, j, k
    cdef uint32_t s0, s1, s2
    k = self.pop(t)
    j = self.pop(t1 if t1 else t)
    i = self.pop(t0 if t0 else t)
    if (t0 if t0 else t) == T_I64: narrow(self, i)
    if (t1 if t1 else t) == T_I64: narrow(self, j)
    if t == T_I64: narrow(self, k)
    if self.emitting:
        s0 = self.operand(i); s1 = self.operand(j); s2 = self.operand(k)
        self.start(op)
        if nimm >= 1:
            self.emit(imm)
        if nimm >= 2:
            self.emit(imm2)
        self.emit(s0); self.emit(s1); self.emit(s2)
    return 0

# ------------------------------------------------------------------ the instructions' arms
cdef int lower_access(Lowerer self, int idx, int kind) except -1:
    # A scalar load (kind 3) or store (kind 4) memarg (spec 3.3.7): memory 0 of i32 addresses
    # by the loop's own arms (an i32.add_ri address folds into the access: the _add ops),
    # any other by the general path (far_access).
    cdef int i, j, a
    cdef int64_t y
    cdef uint64_t off
    cdef uint32_t sa, sb, sc, k
    cdef Py_ssize_t s
    a = memarg(self, W_WIDTH[idx], &off)
    if is_far(self, a):
        far_access(self, idx, kind, a, off)
    elif kind == 3:
        y = <int64_t>off
        i = self.pop(T_I32)
        if self.emitting:
            if take_add(self, i, &sa, &sc):          # address = a + c (i32.add_ri)
                s = self.n
                if (self.prev_start >= 0 and self.prev_start + 4 == s
                        and self.prev_op == OP_i32_shl_ri and self.code[self.prev_start + 1] == sa
                        and sa >= self.nloc):
                    # ... and a = x << k, a temporary the add consumed: address (x << k) + c
                    sb = self.code[self.prev_start + 2]
                    k = self.code[self.prev_start + 3]
                    self.n = self.prev_start
                    if self.rec_at is not None:
                        self.note_retract(self.n)
                    self.prev_start = -1
                    self.produce(W_IDX[idx], W_R[idx])
                    self.emit(sb); self.emit(k); self.emit(sc)
                else:
                    self.produce(W_ADD[idx], W_R[idx])
                    self.emit(sa); self.emit(sc)
            elif self.vk[i] == K_CONST:               # a constant address
                sa = <uint32_t>self.vv[i]               # (produce reuses entry i)
                self.produce(W_ABS[idx], W_R[idx])
                self.emit(sa)
            else:
                sa = self.operand(i)
                self.produce(W_OP[idx], W_R[idx])
                self.emit(sa)
            self.emit(<uint32_t>y)
            self.end_producer()
        else:
            self.push(W_R[idx], K_SLOT, 0)
    else:
        y = <int64_t>off
        j = self.pop(W_P1[idx])
        i = self.pop(T_I32)
        if self.emitting:
            if self.vk[i] != K_CONST and self.vk[j] == K_CONST:
                # a constant value: an immediate (after the address, a + c or a slot)
                if take_add(self, i, &sa, &sc):
                    self.start(W_ADDI[idx]); self.emit(sa); self.emit(sc)
                else:
                    sa = self.operand(i)
                    self.start(W_RI[idx]); self.emit(sa)
                self.emit(<uint32_t>y)
                if W_P1[idx] == T_I64 or W_P1[idx] == T_F64:
                    return self.emit64(self.vv[j])
                return self.emit(<uint32_t>self.vv[j])
            if self.vk[i] == K_CONST:
                # a constant address
                sb = self.operand(j)
                self.start(W_ABS[idx]); self.emit(<uint32_t>self.vv[i]); self.emit(sb)
                return self.emit(<uint32_t>y)
            if take_add(self, i, &sa, &sc):
                if self.vk[j] == K_CONST and self.canon(j) == sa:
                    # The add's operand sits where the constant value would be
                    # written (after a swapped `c + x`): the value goes to the
                    # address's own slot instead, which the removed add freed.
                    sb = self.canon(i)
                    self.emit_const(sb, self.vt[j], self.vv[j])
                    self.vk[j] = K_SLOT
                else:
                    sb = self.operand(j)
                self.start(W_ADD[idx]); self.emit(sa); self.emit(sb); self.emit(sc)
            else:
                sa = self.operand(i)
                sb = self.operand(j)
                self.start(W_OP[idx]); self.emit(sa); self.emit(sb)
            self.emit(<uint32_t>y)
    return 0

cdef int lower_memory_size_grow(Lowerer self, bint grow) except -1:
    # memory.size / memory.grow x (spec 3.3.7).
    cdef int i, a
    cdef uint32_t sa
    a = memidx(self)
    if is_far(self, a):
        far_size_grow(self, a, grow)
    elif grow:
        i = self.pop(T_I32)
        if self.emitting:
            sa = self.operand(i)
            self.produce(OP_memory_grow, T_I32); self.emit(sa); self.end_producer()
        else:
            self.push(T_I32, K_SLOT, 0)
    elif self.emitting:
        self.produce(OP_memory_size, T_I32); self.end_producer()
    else:
        self.push(T_I32, K_SLOT, 0)
    return 0

cdef int lower_bulk_memory(Lowerer self, int sub) except -1:
    # 0xFC 8-11: memory.init, data.drop, memory.copy, memory.fill (spec 3.3.7, 5.4.6).
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
    return 0
