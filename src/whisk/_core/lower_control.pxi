# Part of the pre-decoder (lower.pyx, which includes this file after the Lowerer class): control
# and variable instructions, as module-level functions taking the Lowerer.
# * labels and branches (spec 3.3.8 control instructions, 5.4.1): label lookup, copies of a
#   label's values to its slots, forward targets patched through chains, fused compare-and-
#   branch (emit_cond), returns; block / loop / if / else / end, br, br_if, br_table, return,
#   unreachable;
# * parametric instructions: select (3.3.4, 5.4.3);
# * variable instructions: local.set/tee's store to a local (set_local), global.get/set (3.3.5,
#   5.4.4). local.get and the local.set/tee arms stay in Lowerer.body, with the constants.
# br_on_null / br_on_non_null are in lower_refs.pxi; try_table, try and delegate's block
# handling in lower_exceptions.pxi.

cdef int pop_label(Lowerer self, int l, int* first) except -1:
    # Pop label l's types; first[0] = index of the first popped entry (entries stay readable).
    cdef Ctrl* c = &self.cs[self.cn - 1 - l]
    cdef int k, cnt = self.label_type_count(c)
    cdef uint32_t off = self.label_type_off(c)
    for k in range(cnt - 1, -1, -1):
        self.pop(self.tdata[off + k])
    first[0] = self.vn
    return cnt

cdef int label_index(Lowerer self) except -1:
    cdef int64_t l = self.u32()
    if l >= self.cn:
        self.invalid("unknown label")
    return <int>l

# ------------------------------------------------------------------ branches
cdef bint needs_copies(Lowerer self, int l, int first, int cnt):
    cdef Ctrl* c = &self.cs[self.cn - 1 - l]
    cdef int k
    cdef uint32_t dst
    if c.kind == C_FUNC:
        return True
    dst = self.nloc + c.base_pos
    for k in range(cnt):
        if self.vk[first + k] != K_SLOT or self.canon(first + k) != dst:
            return True
        dst += slot_size(self.vt[first + k])
    return False

cdef inline bint is_back(Lowerer self, int l):
    # A branch to a loop goes backward: the loop polls there (fuel, interruption).
    return self.cs[self.cn - 1 - l].kind == C_LOOP

cdef int emit_target(Lowerer self, int l) except -1:
    # The target word of a branch to label l; for a backward branch also its fuel cost, the
    # instructions from the loop's start to here.
    cdef Ctrl* c = &self.cs[self.cn - 1 - l]
    if c.kind == C_LOOP:
        self.emit(c.target)
        return self.emit(self.icount - c.icount)
    self.emit(c.fixups)
    c.fixups = <uint32_t>(self.n - 1)
    return 0

cdef int prep_return(Lowerer self, int first, int cnt) except -1:
    # Results go to fp[0..nres), which are locals: pending reads of those locals must take
    # their values first. Called before any conditional path that may return.
    cdef int k
    cdef uint32_t nres = 0
    for k in range(cnt):
        nres += slot_size(self.vt[first + k])
    for k in range(cnt):
        if self.vk[first + k] == K_LOCAL and self.vv[first + k] < nres:
            self.materialize(first + k)
    return 0

cdef int emit_return(Lowerer self, int first, int cnt) except -1:
    # Results (entries first..first+cnt) to fp[0..], then return. Copies in increasing
    # order of destination never overwrite a later source (sources sit at or above their
    # destinations once prep_return has run).
    cdef int k
    cdef uint32_t dst = 0, src
    if cnt == 1 and slot_size(self.vt[first]) == 1 and self.vk[first] != K_CONST:
        # One result: the instruction that just produced it writes fp[0] itself (nothing
        # reads its slot after the return), or `return1 a` copies it and returns (one copy:
        # no order to keep, so no prep_return).
        if fusable(self, first):
            self.code[self.last_dst] = 0
            self.last_dst = -1
            return self.start(OP_return)
        src = self.operand(first)
        if src == 0:
            return self.start(OP_return)
        self.start(OP_return1)
        return self.emit(src)
    prep_return(self, first, cnt)
    for k in range(cnt):
        move_to(self, first + k, dst)
        dst += slot_size(self.vt[first + k])
    return self.start(OP_return)

cdef int move_to(Lowerer self, int i, uint32_t dst) except -1:
    if self.vk[i] == K_CONST:
        return self.emit_const(dst, self.vt[i], self.vv[i])
    return self.emit_copy(dst, self.operand(i), self.vt[i])

cdef int emit_branch(Lowerer self, int l, int first, int cnt) except -1:
    # Unconditional branch to label l carrying entries first..first+cnt.
    cdef Ctrl* c = &self.cs[self.cn - 1 - l]
    cdef int k
    cdef uint32_t dst
    if c.kind == C_FUNC:
        return emit_return(self, first, cnt)
    dst = self.nloc + c.base_pos
    for k in range(cnt):
        move_to(self, first + k, dst)
        dst += slot_size(self.vt[first + k])
    self.start(OP_br_back if c.kind == C_LOOP else OP_br)
    return emit_target(self, l)

cdef bint fusable(Lowerer self, int i):
    # Was entry i produced by the instruction just emitted (so that it can be rewritten)?
    return (i >= 0 and self.vk[i] == K_SLOT and self.last_dst >= 0 and self.last_end == self.n
            and self.code[self.last_dst] == self.canon(i))

cdef int fuse_last(Lowerer self, uint32_t* a, uint32_t* k) except -1:
    # Remove the `op d a imm` instruction just emitted (fusable: its result is the operand
    # being consumed), giving its operand slot and 32-bit immediate: the instruction being
    # lowered takes it over as one superinstruction (shr_u+and, shl+add).
    cdef Py_ssize_t s = self.last_start
    a[0] = self.code[s + 2]
    k[0] = self.code[s + 3]
    self.n = s
    if self.rec_at is not None:
        self.note_retract(self.n)
    self.last_dst = -1
    return 0

cdef int emit_cond(Lowerer self, int cond, bint negate, bint back) except -1:
    # Emit a conditional branch on entry `cond` (taken when cond != 0, or == 0 if negate),
    # fusing a just-emitted compare or i32.eqz; `back` picks the polling variant of a
    # backward branch. The caller emits the target word(s) (emit_target).
    cdef uint32_t op = self.last_op
    cdef Py_ssize_t k, s = self.last_start, e = self.last_end
    cdef uint32_t words[4]
    cdef int nw = 0
    if not back and (op == OP_i32_and_ri or op == OP_i32_and_eqz_ri) and fusable(self, cond):
        # br_if on (a & mask) or on its eqz: one test-and-branch (forward branches only)
        words[0] = self.code[s + 2]
        words[1] = self.code[s + 3]
        self.n = s
        if self.rec_at is not None:
            self.note_retract(self.n)
        if op == OP_i32_and_eqz_ri:
            negate = not negate
        self.start(OP_br_and_eqz_ri if negate else OP_br_and_nez_ri)
        self.emit(words[0])
        return self.emit(words[1])
    if fusable(self, cond) and (I_BR[op] != 0 or op == OP_i32_eqz):
        for k in range(s + 2, e):
            words[nw] = self.code[k]
            nw += 1
        self.n = s
        if self.rec_at is not None:
            self.note_retract(self.n)
        if op == OP_i32_eqz:
            op = OP_br_nez if negate else OP_br_eqz
        else:
            op = I_BRNEG[op] if negate else I_BR[op]
        self.start(I_BACK[op] if back else op)
        for k in range(nw):
            self.emit(words[k])
        return 0
    cdef uint32_t sc = self.operand(cond)        # may emit: before the branch's words
    op = OP_br_eqz if negate else OP_br_nez
    self.start(I_BACK[op] if back else op)
    return self.emit(sc)

cdef int local_index(Lowerer self) except -1:
    cdef int64_t x = self.u32()
    if x >= self.nlocals:
        self.invalid(f"unknown local {x}")
    return <int>x

cdef int global_index(Lowerer self) except -1:
    cdef int64_t x = self.u32()
    if x >= self.nglobals:
        self.invalid(f"unknown global {x}")
    return <int>x

cdef int end_results(Lowerer self, Ctrl* fr) except -1:
    # At else/end: check the block's results (pop_ctrl) and put them in canonical slots.
    # (A legacy catch body's results sit one slot above the label's, past the hidden
    # exnref entry: they are moved down, in increasing order, one slot at a time.)
    cdef int k, cnt = self.tnr[fr.type_index]
    cdef uint32_t dst, src
    check_vals(self, fr.type_index, True, "instruction")
    self.pop_types(fr.type_index, True)
    if self.vn != fr.height:
        self.invalid(f"type mismatch: block requires {types_text(self, fr.type_index, True)} "
                     f"but stack has {stack_text(self, self.vn - fr.height)}")
    if self.emitting and fr.kind != C_FUNC:
        for k in range(cnt):
            self.materialize(self.vn + k)
        if fr.hid:
            dst = self.nloc + fr.base_pos
            for k in range(cnt):
                src = self.canon(self.vn + k)
                self.start(OP_copy); self.emit(dst); self.emit(src)
                if self.vt[self.vn + k] == T_V128:
                    self.start(OP_copy); self.emit(dst + 1); self.emit(src + 1)
                dst += slot_size(self.vt[self.vn + k])
    return 0

cdef int close_block(Lowerer self, Ctrl* fr) except -1:
    # The end of a block other than the function's (end, or a legacy delegate): branch
    # targets are patched, the frame is popped and its results pushed.
    cdef Py_ssize_t here = self.n
    cdef int ti
    self.patch_chain(fr.fixups, <uint32_t>here)
    if fr.else_fixup != NO_CHAIN:
        self.patch_chain(fr.else_fixup, <uint32_t>here)
    if fr.hfixups != NO_CHAIN:
        self.patch_hchain(fr.hfixups, <uint32_t>here)
    self.place_label()
    self.vn = fr.height - fr.hid
    ti = fr.type_index
    self.reset_inits(fr)
    self.cn -= 1
    self.emitting = not (self.cs[self.cn - 1].unreachable or self.cs[self.cn - 1].dead)
    self.push_types(ti, True)
    return 0

cdef int push_label_types(Lowerer self, Ctrl* fr) except -1:
    if fr.kind == C_LOOP:
        return self.push_types(fr.type_index, False)
    return self.push_types(fr.type_index, True)

cdef int enter_block(Lowerer self, int kind, int ti, int cond) except -1:
    # block / loop / if (spec 3.3.8.3-5): check and materialize the parameters, open a frame.
    cdef int k, np_ = self.tnp[ti]
    cdef uint32_t off = self.toff[ti]
    cdef uint32_t words[4]
    cdef int nw = 0
    cdef uint32_t bop = 0
    cdef Ctrl* fr
    cdef int saved = self.vn
    # type-check the parameters, then put them back
    for k in range(np_ - 1, -1, -1):
        self.pop(self.tdata[off + k])
    if self.emitting:
        if cond >= 0:
            # decide the branch to `else` before materializing (a fused compare is removed)
            if fusable(self, cond) and (self.last_op == OP_i32_and_ri
                                        or self.last_op == OP_i32_and_eqz_ri):
                # if on (a & mask) (or its eqz): to else when a & mask == 0 (!= 0)
                words[0] = self.code[self.last_start + 2]
                words[1] = self.code[self.last_start + 3]
                nw = 2
                bop = OP_br_and_eqz_ri if self.last_op == OP_i32_and_ri else OP_br_and_nez_ri
                self.n = self.last_start
                if self.rec_at is not None:
                    self.note_retract(self.n)
            elif fusable(self, cond) and (I_BR[self.last_op] != 0 or self.last_op == OP_i32_eqz):
                for k in range(self.last_start + 2, self.last_end):
                    words[nw] = self.code[k]
                    nw += 1
                self.n = self.last_start
                if self.rec_at is not None:
                    self.note_retract(self.n)
                bop = OP_br_nez if self.last_op == OP_i32_eqz else I_BRNEG[self.last_op]
            else:
                words[0] = self.operand(cond)
                nw = 1
                bop = OP_br_eqz
        self.vn = saved
        self.materialize_for_block(np_)
    else:
        self.push_types(ti, False)
    self.place_label()
    self.push_ctrl(kind, ti)
    fr = &self.cs[self.cn - 1]
    fr.target = <uint32_t>self.n
    if kind == C_LOOP:
        fr.icount = self.icount
        self.loops += 1
    if kind == C_IF and self.emitting:
        self.start(bop)
        for k in range(nw):
            self.emit(words[k])
        self.emit(NO_CHAIN)
        fr.else_fixup = <uint32_t>(self.n - 1)
    return 0

cdef int set_local(Lowerer self, int l, int i, bint tee) except -1:
    # local.set / local.tee (spec 3.3.5) with entry i (already popped) as the value.
    cdef uint32_t slot = self.lslot[l]
    cdef vtype t = self.ltype[l]
    cdef bint pending = False
    cdef int k
    for k in range(self.vn):
        if self.vk[k] == K_LOCAL and self.vv[k] == slot:
            pending = True
            break
    if fusable(self, i) and not pending:
        self.code[self.last_dst] = slot                 # the producer writes the local
        self.last_dst = -1
    else:
        self.materialize_local(slot)
        if self.vk[i] == K_CONST:
            self.emit_const(slot, t, self.vv[i])
        elif self.vk[i] == K_LOCAL:
            self.emit_copy(slot, <uint32_t>self.vv[i], t)
        else:
            self.emit_copy(slot, self.canon(i), t)
    if tee:
        self.push(t, K_LOCAL, slot)
    return 0

cdef int emit_br_if(Lowerer self, int l, int c, int first, int cnt) except -1:
    cdef Py_ssize_t skip
    if self.cs[self.cn - 1 - l].kind == C_FUNC:
        prep_return(self, first, cnt)
    if not needs_copies(self, l, first, cnt):
        emit_cond(self, c, False, is_back(self, l))
        return emit_target(self, l)
    # not taken: skip the copies; taken: copy the values, then branch
    emit_cond(self, c, True, False)
    self.emit(NO_CHAIN)
    skip = self.n - 1
    emit_branch(self, l, first, cnt)
    self.code[skip] = <uint32_t>self.n
    self.place_label()
    return 0

cdef int lower_br_table(Lowerer self) except -1:
    # br_table (spec 3.3.8.8): every label with the arity of the default; a jump table.
    cdef int64_t nl = self.u32()
    cdef int64_t k
    cdef int l, d, arity, i, first, c, kk
    cdef Ctrl* fr
    cdef Py_ssize_t table_at
    cdef uint32_t sc, addend = 0
    cdef bint add = False
    if nl > 1000000:
        self.malformed("too many labels")  # unreachable for valid binaries
    if nl + 1 > self.labels_cap:
        self.labels_cap = <int>(nl + 1)
        self.labels = <uint32_t*>realloc(self.labels, sizeof(uint32_t) * self.labels_cap)
        if self.labels == NULL:
            raise MemoryError()
    for k in range(nl + 1):
        self.labels[k] = label_index(self)
    d = self.labels[nl]
    c = self.pop(T_I32)
    arity = self.label_type_count(&self.cs[self.cn - 1 - d])
    for k in range(nl):
        l = self.labels[k]
        fr = &self.cs[self.cn - 1 - l]
        if self.label_type_count(fr) != arity:
            self.invalid("type mismatch")
        check_label_types(self, fr, arity)
    pop_label(self, d, &first)
    if self.emitting:
        if self.last_op == OP_i32_add_ri and fusable(self, c):
            # br_table on a + k (a switch whose cases start at -k): br_table_add a k
            fuse_last(self, &sc, &addend)
            add = True
        else:
            sc = self.operand(c)
        prep_return(self, first, arity)
        self.start(OP_br_table_add if add else OP_br_table)
        self.emit(sc)
        if add:
            self.emit(addend)
        self.emit(<uint32_t>nl)
        table_at = self.n
        for k in range(nl + 1):
            self.emit(0)
        for k in range(nl + 1):
            l = self.labels[k]
            if needs_copies(self, l, first, arity) or is_back(self, l):
                self.code[table_at + k] = <uint32_t>self.n
                self.place_label()
                emit_branch(self, l, first, arity)
            else:
                fr = &self.cs[self.cn - 1 - l]
                if fr.kind == C_LOOP:
                    self.code[table_at + k] = fr.target
                else:
                    self.code[table_at + k] = fr.fixups
                    fr.fixups = <uint32_t>(table_at + k)
    self.set_unreachable()
    return 0

cdef int check_label_types(Lowerer self, Ctrl* fr, int arity) except -1:
    # push_vals(pop_vals(label_types)) without changing the stack.
    cdef int k, i
    cdef int saved = self.vn
    cdef uint32_t off = self.label_type_off(fr)
    cdef vtype* popped = <vtype*>malloc(sizeof(vtype) * (arity + 1))
    cdef bint unknown = False
    if popped == NULL:
        raise MemoryError()
    try:
        for k in range(arity):
            i = self.pop(self.tdata[off + arity - 1 - k])
            popped[k] = self.type_of(i)
            unknown = unknown or i < 0
        if not unknown:
            self.vn = saved                 # the same entries, untouched
        else:                               # unreachable code: push the popped types back
            for k in range(arity - 1, -1, -1):
                self.push(popped[k], K_SLOT, 0)
    finally:
        free(popped)
    return 0

cdef int retype_label(Lowerer self, int l, int first, int cnt) except -1:
    # A branch not taken leaves the label's types on the stack (3.0 valid/instructions:
    # br_if and br_on_* give [t*] of the label, which may be supertypes of the operands').
    cdef Ctrl* fr = &self.cs[self.cn - 1 - l]
    cdef uint32_t off = self.label_type_off(fr)
    cdef int k
    for k in range(cnt):
        self.vt[first + k] = self.tdata[off + k]
    return 0

cdef int repush(Lowerer self, int i, vtype t) except -1:
    # Put popped entry i (the top) back with type t.
    self.vn = i + 1
    self.vt[i] = t
    return 0

cdef int lower_select(Lowerer self, bint typed) except -1:
    # select (spec 3.3.4): numeric or vector operands of one type; select t any type.
    cdef int c, i, j
    cdef int64_t cnt
    cdef vtype t = T_UNKNOWN, t1, t2
    cdef uint32_t sa, sb, sc
    if typed:
        cnt = self.u32()
        if cnt != 1:
            self.invalid("invalid result arity")
        t = valtype(self)
    c = self.pop(T_I32)
    if typed:
        j = self.pop(t)
        i = self.pop(t)
    else:
        j = self.pop_any()
        i = self.pop_any()
        t1 = self.type_of(i)
        t2 = self.type_of(j)
        if is_ref(t1) or is_ref(t2):
            self.invalid("type mismatch")
        if t1 != t2 and t1 != T_UNKNOWN and t2 != T_UNKNOWN:
            self.invalid("type mismatch")
        t = t1 if t1 != T_UNKNOWN else t2
    if self.emitting:
        sc = self.operand(c)
        sa = self.operand(i)
        sb = self.operand(j)
        self.produce(OP_select2 if t == T_V128 else OP_select, t)
        self.emit(sc); self.emit(sa); self.emit(sb)
        self.end_producer()
    else:
        self.push(t, K_SLOT, 0)
    return 0

# ------------------------------------------------------------------ the instructions' arms
cdef int lower_block(Lowerer self, int b) except -1:
    # block / loop / if bt (spec 3.3.8.3-5).
    cdef int ti = self.blocktype()
    cdef int c
    if b == 0x04:
        c = self.pop(T_I32)
        return enter_block(self, C_IF, ti, c)
    return enter_block(self, C_BLOCK if b == 0x02 else C_LOOP, ti, -1)

cdef int lower_else(Lowerer self) except -1:
    # else (spec 3.3.8.5): the then-branch ends; it branches past the else-branch.
    cdef Ctrl* fr = &self.cs[self.cn - 1]
    if fr.kind != C_IF:
        self.malformed("unexpected else")   # the binary grammar has else only in if
    end_results(self, fr)
    if self.emitting:
        self.start(OP_br)
        self.emit(fr.fixups)
        fr.fixups = <uint32_t>(self.n - 1)
    if fr.else_fixup != NO_CHAIN:
        self.patch_chain(fr.else_fixup, <uint32_t>self.n)
        fr.else_fixup = NO_CHAIN
    self.place_label()
    self.vn = fr.height
    self.push_types(fr.type_index, False)
    self.reset_inits(fr)
    fr.kind = C_ELSE
    fr.unreachable = 0
    self.emitting = not fr.dead
    return 0

cdef int lower_end(Lowerer self) except -1:
    # end (spec 3.3.8.3-5, 3.0 3.3.8.6 for try_table): returns 1 at the function's end (which
    # must be the body's last byte), else 0.
    cdef Ctrl* fr = &self.cs[self.cn - 1]
    end_results(self, fr)
    if fr.kind == C_IF:
        if not same_params_results(self, fr.type_index):
            self.invalid("type mismatch")
    if fr.kind == C_FUNC:
        if self.emitting:
            emit_return(self, self.vn, self.tnr[fr.type_index])
        self.cn -= 1
        if self.pos != self.end:
            self.malformed("section size mismatch")
        return 1
    if fr.kind == C_LOOP:
        self.loops -= 1
    if fr.kind >= C_TRY_TABLE:
        end_try(self, fr)
    close_block(self, fr)
    return 0

cdef int lower_br(Lowerer self) except -1:
    # br l (spec 3.3.8.6).
    cdef int first, cnt
    cdef int l = label_index(self)
    cnt = pop_label(self, l, &first)
    if self.emitting:
        emit_branch(self, l, first, cnt)
    return self.set_unreachable()

cdef int lower_br_if(Lowerer self) except -1:
    # br_if l (spec 3.3.8.7).
    cdef int c, first, cnt
    cdef Ctrl* fr
    cdef int l = label_index(self)
    c = self.pop(T_I32)
    cnt = pop_label(self, l, &first)
    if self.emitting:
        emit_br_if(self, l, c, first, cnt)
        self.vn += cnt                          # the values stay, unchanged
        retype_label(self, l, first, cnt)        # ... typed as the label's
    else:
        fr = &self.cs[self.cn - 1 - l]
        push_label_types(self, fr)
    return 0

cdef int lower_return(Lowerer self) except -1:
    # return (spec 3.3.8.9).
    cdef int first, cnt
    cnt = pop_label(self, self.cn - 1, &first)
    if self.emitting:
        emit_return(self, first, cnt)
    return self.set_unreachable()

cdef int lower_unreachable(Lowerer self) except -1:
    # unreachable (spec 3.3.8.2).
    if self.emitting:
        self.start(OP_unreachable)
    return self.set_unreachable()

cdef int lower_global(Lowerer self, bint set_) except -1:
    # global.get x / global.set x (spec 3.3.5).
    cdef int i
    cdef int64_t x
    cdef vtype t
    cdef uint32_t sa
    if not set_:
        x = global_index(self)
        t = self.gtype[x]
        if self.emitting:
            self.produce(OP_global_get2 if t == T_V128 else OP_global_get, t)
            self.emit(<uint32_t>x)
            self.end_producer()
        else:
            self.push(t, K_SLOT, 0)
        return 0
    x = global_index(self)
    if not self.gmut[x]:
        # the reference interpreter's wording changed with 3.0 (both suites assert it)
        self.invalid("immutable global" if self.wasm3_messages else "global is immutable")
    i = self.pop(self.gtype[x])
    if self.emitting:
        sa = self.operand(i)
        self.start(OP_global_set2 if self.gtype[x] == T_V128 else OP_global_set)
        self.emit(<uint32_t>x); self.emit(sa)
    return 0
