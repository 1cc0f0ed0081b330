# Part of the pre-decoder (lower.pyx, which includes this file after the Lowerer class): the
# vector instructions, the 0xFD group (spec 3.3.3, 5.4.8; relaxed SIMD): one generic function
# driven by the opcode table's W_* rows (immediate kind, operand and result types), lowered to
# tools/gen_core.py's simd_layout.

cdef int lower_simd(Lowerer self, int idx) except -1:
    # A 0xFD instruction (spec 3.3.3 typing, 5.4.8 encoding), lowered to the layout of
    # tools/gen_core.py's simd_layout: op [d] operands... [offset] [lane] [4 immediate words].
    cdef int k, np_ = W_NP[idx], imm = W_IMM[idx]
    cdef int ent[3]
    cdef uint32_t slots[3]
    cdef vtype ptypes[3]
    cdef uint64_t offset = 0
    cdef int lane = 0, m = 0
    cdef bint far = False
    cdef uint32_t words[4]
    ptypes[0] = W_P0[idx]; ptypes[1] = W_P1[idx]; ptypes[2] = W_P2[idx]
    if imm == 2 or imm == 3:                    # memarg, memarg + lane
        m = memarg(self, W_WIDTH[idx], &offset)
        ptypes[0] = addr_type(self, m)           # the address operand
        far = is_far(self, m)
    if imm == 1 or imm == 3:                    # lane index
        lane = self.byte()
        if lane >= W_LANES[idx]:
            self.invalid("invalid lane index")
    if imm == 4 or imm == 5:                    # 16 bytes: v128.const, i8x16.shuffle
        if self.end - self.pos < 16:
            self.malformed("unexpected end of section or function")
        memcpy(words, self.p + self.pos, 16)
        if imm == 5:
            for k in range(16):
                if self.p[self.pos + k] >= 32:
                    self.invalid("invalid lane index")
        self.pos += 16
    for k in range(np_ - 1, -1, -1):
        ent[k] = self.pop(ptypes[k])
    if not self.emitting:
        if W_R[idx]:
            self.push(W_R[idx], K_SLOT, 0)
        return 0
    for k in range(np_):
        slots[k] = self.operand(ent[k])
    if far:
        emit_far(self, m, offset)
        offset = 0
    if W_R[idx]:
        self.produce(W_OP[idx], W_R[idx])
    else:
        self.start(W_OP[idx])
    for k in range(np_):
        self.emit(slots[k])
    if imm == 2 or imm == 3:
        self.emit(<uint32_t>offset)
    if imm == 1 or imm == 3:
        self.emit(<uint32_t>lane)
    if imm == 4 or imm == 5:
        for k in range(4):
            self.emit(words[k])
    if W_R[idx]:
        self.end_producer()
    return 0
