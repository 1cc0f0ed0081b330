# Part of the pre-decoder (lower.pyx, which includes this file after the Lowerer class): exception
# handling, as module-level functions taking the Lowerer: throw, throw_ref, try_table with its
# catch clauses (3.0 spec 3.3.8.6-8, 5.4.1), and the legacy proposal's try, catch, catch_all,
# delegate, rethrow; the handler table entries they add (code.pxd, "Exceptions"; see the
# design comment at the top of lower.pyx).

cdef int tag_index(Lowerer self) except -1:
    cdef int64_t x = self.u32()
    if x >= self.ntags:
        self.invalid(f"unknown tag {x}")
    return <int>x

cdef int lower_throw(Lowerer self) except -1:
    # throw x (3.0 spec 3.3.8.7): the payload goes to consecutive canonical slots, as call
    # arguments do; layout: throw tagidx base.
    cdef int k, first, x = tag_index(self)
    cdef int ti = self.tagtype[x]
    cdef int np_ = self.tnp[ti]
    cdef uint32_t base
    check_vals(self, ti, False, "instruction")
    self.pop_types(ti, False)
    first = self.vn
    if self.emitting:
        for k in range(np_):
            self.materialize(first + k)
        base = self.nloc + (self.vp[first] if np_ > 0 else self.next_pos())
        self.start(OP_throw); self.emit(<uint32_t>x); self.emit(base)
    return self.set_unreachable()

cdef int try_table(Lowerer self) except -1:
    # try_table bt catch* (3.0 spec 3.3.8.6): each clause's label (in the context outside
    # the try_table) must take the tag's payload, then the exnref for catch_ref and
    # catch_all_ref. The handler is added at `end` (end_try).
    cdef int ti = self.blocktype()
    cdef int64_t n = self.u32()
    cdef int64_t k
    cdef int kind, x, l, cnt, j, np_ = 0
    cdef uint32_t off, toff = 0
    cdef Ctrl* c
    cdef list clauses = []
    for k in range(n):
        kind = self.byte()
        if kind > 3:
            self.pos -= 1
            self.malformed("malformed catch clause")
        x = tag_index(self) if kind < 2 else -1
        l = label_index(self)
        c = &self.cs[self.cn - 1 - l]
        if x >= 0:
            np_ = self.tnp[self.tagtype[x]]
            toff = self.toff[self.tagtype[x]]
        else:
            np_ = 0
        cnt = self.label_type_count(c)
        off = self.label_type_off(c)
        if cnt != np_ + (kind & 1):
            self.invalid("type mismatch")
        for j in range(np_):
            if not is_subtype(self, self.tdata[toff + j], self.tdata[off + j]):
                self.invalid("type mismatch")
        # (3.0: the clause gives [t* (ref exn)], which must match the label's types)
        if kind & 1 and not is_subtype(self, ref_vt(False, H_EXN), self.tdata[off + np_]):
            self.invalid("type mismatch")
        clauses.append((NO_TAG if x < 0 else x, kind & 1, self.cn - 1 - l))
    self.hpend.append([0, clauses])
    return enter_block(self, C_TRY_TABLE, ti, -1)

cdef int legacy_catch(Lowerer self, bint all) except -1:
    # catch x / catch_all of a legacy try: the try body (or the previous catch body) ends
    # like an if's then-branch; the new body starts with the hidden exnref entry at the
    # try's base slot, then the tag's payload.
    cdef Ctrl* fr = &self.cs[self.cn - 1]
    cdef int x = -1
    cdef uint32_t dst
    if fr.kind != C_TRY and fr.kind != C_CATCH:
        self.malformed("unexpected catch" if fr.kind != C_CATCH_ALL else "catch after catch_all")
    if not all:
        x = tag_index(self)
    end_results(self, fr)
    pend = self.hpend[len(self.hpend) - 1]
    if self.emitting:
        self.start(OP_br)
        self.emit(fr.fixups)
        fr.fixups = <uint32_t>(self.n - 1)
    if fr.kind == C_TRY:
        pend[0] = self.n
    self.place_label()
    self.vn = fr.height - fr.hid
    if not fr.hid:
        fr.hid = 1
        fr.height += 1
    self.push(T_EXNREF, K_SLOT, 0)
    if x >= 0:
        self.push_types(self.tagtype[x], False)
    dst = self.nloc + fr.base_pos
    pend[1].append((NO_TAG if x < 0 else x, 0, dst + 1, <uint32_t>self.n))
    fr.kind = C_CATCH_ALL if all else C_CATCH
    fr.unreachable = 0
    self.emitting = not fr.dead
    return 0

cdef int delegate(Lowerer self) except -1:
    # try ... delegate l (legacy): ends the try like `end`; an exception from its body is
    # handled as if thrown at label l (outside the try), by the handlers of depth <= l's.
    cdef Ctrl* fr = &self.cs[self.cn - 1]
    cdef int64_t l
    if fr.kind != C_TRY:
        self.malformed("unexpected delegate")
    l = self.u32()
    if l >= self.cn - 1:
        self.invalid("unknown label")
    end_results(self, fr)
    add_handler(self, fr, fr.target, <uint32_t>self.n, HK_DELEGATE,
                     <uint32_t>(self.cn - 2 - l), [])
    self.hpend.pop()
    return close_block(self, fr)

cdef int end_try(Lowerer self, Ctrl* fr) except -1:
    # `end` of a try_table or legacy try: add its handler (code.pxd, "Exceptions").
    pend = self.hpend.pop()
    if fr.kind == C_TRY_TABLE:
        add_handler(self, fr, fr.target, <uint32_t>self.n, HK_CATCH, NO_TAG, pend[1])
    elif fr.kind != C_TRY:
        add_handler(self, fr, fr.target, pend[0], HK_CATCH, self.nloc + fr.base_pos, pend[1])
    return 0

cdef int add_handler(Lowerer self, Ctrl* fr, uint32_t start, uint32_t end, uint32_t kind,
                         uint32_t hidden, list clauses) except -1:
    # Append a handler of the frame fr (the top of the control stack) covering start..end.
    # try_table clauses are (tag, flags, control index of the label), whose targets join
    # the label's chain; legacy ones (tag, flags, dst, target) are final.
    cdef list h = self.htab
    cdef Ctrl* c
    if fr.dead or start >= end:
        return 0
    h += [start, end, <uint32_t>(self.cn - 1), kind, hidden, len(clauses)]
    for cl in clauses:
        if len(cl) == 4:
            h += list(cl)
            continue
        c = &self.cs[<int>cl[2]]
        h += [cl[0], cl[1]]
        if c.kind == C_FUNC:
            h += [0, self.ret_chain]
            self.ret_chain = <uint32_t>(len(h) - 1)
        elif c.kind == C_LOOP:
            h += [self.nloc + c.base_pos, c.target]
        else:
            h += [self.nloc + c.base_pos, c.hfixups]
            c.hfixups = <uint32_t>(len(h) - 1)
    self.nhandlers += 1
    return 0

cdef int lower_throw_ref(Lowerer self) except -1:
    # throw_ref (3.0 spec 3.3.8.8).
    cdef uint32_t sa
    cdef int i = self.pop(T_EXNREF)
    if self.emitting:
        sa = self.operand(i)
        self.start(OP_throw_ref); self.emit(sa)
    return self.set_unreachable()

cdef int lower_try(Lowerer self) except -1:
    # try bt (legacy): like a block; its handler is added at catch/delegate/end.
    cdef int ti = self.blocktype()
    self.hpend.append([0, []])
    return enter_block(self, C_TRY, ti, -1)

cdef int lower_rethrow(Lowerer self) except -1:
    # rethrow l (legacy): l must be a catch body's label; rethrows the exnref it keeps.
    cdef int l = label_index(self)
    cdef Ctrl* fr = &self.cs[self.cn - 1 - l]
    if fr.kind != C_CATCH and fr.kind != C_CATCH_ALL:
        self.invalid("invalid rethrow label")
    if self.emitting:
        self.start(OP_throw_ref); self.emit(self.nloc + fr.base_pos)
    return self.set_unreachable()
