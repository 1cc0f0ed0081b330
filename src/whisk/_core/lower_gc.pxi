# Part of the pre-decoder (lower.pyx, which includes this file after the Lowerer class): the GC
# instructions (WebAssembly 3.0), as module-level functions taking the Lowerer:
# * aggregate instructions (3.0 spec 3.3 valid/instructions "Aggregate Instructions", binary
#   5.4 0xFB 0-19): struct.new, struct.new_default, struct.get(_s/_u), struct.set, array.new,
#   array.new_default, array.new_fixed, array.new_data, array.new_elem, array.get(_s/_u),
#   array.set, array.len, array.fill, array.copy, array.init_data, array.init_elem;
# * reference instructions (valid/instructions "Reference Instructions", 0xFB 20-30, 0xD3):
#   ref.test, ref.cast, br_on_cast, br_on_cast_fail, any.convert_extern, extern.convert_any,
#   ref.i31, i31.get_s, i31.get_u, ref.eq.
# Each is validated by its typing rule (with the reference interpreter's messages: "immutable
# field", "immutable array", "array types do not match", "array type is not numeric or
# vector", "field is packed", ...) and lowered into one GC op of gc_ops.pxi (its header gives
# the layouts). Struct fields and array elements come from the module's types (setup's
# ``fields``: per type its storage types, T_I8 / T_I16 for the packed ones, and mutability);
# a packed field reads and writes as an i32. Operands that a GC op takes as a run of values
# (struct.new's fields, array.new_fixed's elements) go to consecutive canonical slots, as call
# arguments do (one slot each, two for a v128); the result's slot may be the run's first one.

cdef int gc_type(Lowerer self, int kind) except -1:
    # A type index immediate naming a struct (kind 1) or array (kind 2) type.
    cdef int64_t x = self.u32()
    if x >= self.ntypes:
        self.invalid(f"unknown type {x}")
    if self.tkind[x] != kind:
        self.invalid(f"type mismatch: {'non-structure' if kind == 1 else 'non-array'} type {x}")
    return <int>x

cdef inline vtype unpacked(vtype t) noexcept nogil:
    # The value type a storage type reads and writes as (3.0 syntax/types, unpack).
    return T_I32 if t == T_I8 or t == T_I16 else t

cdef inline bint is_packed(vtype t) noexcept nogil:
    return t == T_I8 or t == T_I16

cdef inline vtype field_type(Lowerer self, int x, int i) noexcept:
    return self.fdata[self.foff[x] + i]

cdef inline vtype def_ref(int x, bint nullable) noexcept nogil:
    # (ref null? x) for a type index x of the module
    return ref_vt(nullable, H_CONCRETE + <uint32_t>x)

cdef int segment_index(Lowerer self, bint data) except -1:
    # A data (data) or element segment index immediate.
    cdef int64_t y = self.u32()
    if data:
        if self.ndatas < 0:
            self.malformed("data count section required")
        if y >= self.ndatas:
            self.invalid(f"unknown data segment {y}")
    elif y >= self.nelems:
        self.invalid(f"unknown elem segment {y}")
    return <int>y

cdef uint32_t top_heap(Lowerer self, uint32_t h):
    # The top heap type of heap type h (3.0 valid/matching): func, extern, exn or any.
    if h >= H_CONCRETE:
        return H_FUNC if self.tkind[h - H_CONCRETE] == 0 else H_ANY
    if h == H_FUNC or h == H_NOFUNC:
        return H_FUNC
    if h == H_EXTERN or h == H_NOEXTERN:
        return H_EXTERN
    if h == H_EXN or h == H_NOEXN:
        return H_EXN
    return H_ANY

cdef int emit_values_op(Lowerer self, uint32_t op, int x, int first, int cnt, bint fixed
                        ) except -1:
    # struct.new / array.new_fixed: the popped entries first..first+cnt to consecutive
    # canonical slots; then `op d x base` (+ n for array.new_fixed), producing (ref x).
    cdef int k
    cdef uint32_t base
    if not self.emitting:
        self.push(def_ref(x, False), K_SLOT, 0)
        return 0
    for k in range(cnt):
        self.materialize(first + k)
    base = self.nloc + (self.vp[first] if cnt > 0 else self.next_pos())
    self.produce(op, def_ref(x, False))
    self.emit(<uint32_t>x)
    self.emit(base)
    if fixed:
        self.emit(<uint32_t>cnt)
    self.end_producer()
    return 0

cdef int emit_slots(Lowerer self, uint32_t op, vtype rt, int nimm, uint32_t imm0, uint32_t imm1,
                    int* ents, int cnt) except -1:
    # `op [d] imm* a b ...`: the slots of entries ents[0..cnt) after nimm immediates; with a
    # result type rt (not 0) a destination slot first, the result pushed.
    cdef uint32_t s[6]
    cdef int k
    if not self.emitting:
        if rt:
            self.push(rt, K_SLOT, 0)
        return 0
    for k in range(cnt):
        s[k] = self.operand(ents[k])
    if rt:
        self.produce(op, rt)
    else:
        self.start(op)
    if nimm >= 1:
        self.emit(imm0)
    if nimm >= 2:
        self.emit(imm1)
    for k in range(cnt):
        self.emit(s[k])
    if rt:
        self.end_producer()
    return 0

cdef int lower_struct(Lowerer self, int sub) except -1:
    # 0xFB 0-5: struct.new x, struct.new_default x, struct.get(_s/_u) x i, struct.set x i.
    cdef int x = gc_type(self, 1)
    cdef int k, n = self.fcnt[x], first
    cdef int64_t i
    cdef int ents[2]
    cdef vtype ft
    if sub == 0:                                            # struct.new
        for k in range(n - 1, -1, -1):
            self.pop(unpacked(field_type(self, x, k)))
        first = self.vn
        return emit_values_op(self, OP_struct_new, x, first, n, False)
    if sub == 1:                                            # struct.new_default
        for k in range(n):
            if not defaultable(field_type(self, x, k)):
                self.invalid("field type is not defaultable")
        return emit_slots(self, OP_struct_new_default, def_ref(x, False), 1, x, 0, ents, 0)
    i = self.u32()
    if i >= n:
        self.invalid(f"unknown field {i}")
    ft = field_type(self, x, <int>i)
    if sub == 5:                                            # struct.set
        if not self.fmut[self.foff[x] + i]:
            self.invalid("immutable field")
        ents[1] = self.pop(unpacked(ft))
        ents[0] = self.pop(def_ref(x, True))
        return emit_slots(self, OP_struct_set, 0, 2, x, <uint32_t>i, ents, 2)
    if (sub != 2) != is_packed(ft):
        self.invalid("field is packed" if sub == 2 else "field is unpacked")
    ents[0] = self.pop(def_ref(x, True))
    return emit_slots(self, OP_struct_get if sub == 2 else
                      (OP_struct_get_s if sub == 3 else OP_struct_get_u),
                      unpacked(ft), 2, x, <uint32_t>i, ents, 1)

cdef int lower_array(Lowerer self, int sub) except -1:
    # 0xFB 6-19: array.new .. array.init_elem.
    cdef int x, y, k, first, avail
    cdef int64_t n
    cdef int ents[5]
    cdef vtype ft, t, st
    cdef bint mut
    if sub == 15:                                           # array.len
        ents[0] = self.pop(ref_vt(True, H_ARRAY))
        return emit_slots(self, OP_array_len, T_I32, 0, 0, 0, ents, 1)
    x = gc_type(self, 2)
    ft = field_type(self, x, 0)
    t = unpacked(ft)
    mut = self.fmut[self.foff[x]]
    if sub == 6:                                            # array.new: [t i32]
        ents[1] = self.pop(T_I32)
        ents[0] = self.pop(t)
        return emit_slots(self, OP_array_new, def_ref(x, False), 1, x, 0, ents, 2)
    if sub == 7:                                            # array.new_default: [i32]
        if not defaultable(ft):
            self.invalid("array type is not defaultable")
        ents[0] = self.pop(T_I32)
        return emit_slots(self, OP_array_new_default, def_ref(x, False), 1, x, 0, ents, 1)
    if sub == 8:                                            # array.new_fixed x n: [t^n]
        n = self.u32()
        avail = self.vn - self.cs[self.cn - 1].height
        if n > avail:
            if not self.cs[self.cn - 1].unreachable:
                self.invalid("type mismatch")
            n = avail                               # the rest are of the unknown type
        for k in range(<int>n):
            self.pop(t)
        first = self.vn
        return emit_values_op(self, OP_array_new_fixed, x, first, <int>n, True)
    if sub == 9 or sub == 10:                               # array.new_data / array.new_elem
        y = segment_index(self, sub == 9)
        if sub == 9:
            if not is_num(t):
                self.invalid("array type is not numeric or vector")
        elif not is_subtype(self, self.etype[y], t):
            self.invalid("type mismatch")
        ents[1] = self.pop(T_I32)
        ents[0] = self.pop(T_I32)
        return emit_slots(self, OP_array_new_data if sub == 9 else OP_array_new_elem,
                          def_ref(x, False), 2, x, y, ents, 2)
    if sub == 11 or sub == 12 or sub == 13:                 # array.get(_s/_u)
        if (sub != 11) != is_packed(ft):
            self.invalid("array is packed" if sub == 11 else "array is unpacked")
        ents[1] = self.pop(T_I32)
        ents[0] = self.pop(def_ref(x, True))
        return emit_slots(self, OP_array_get if sub == 11 else
                          (OP_array_get_s if sub == 12 else OP_array_get_u),
                          t, 1, x, 0, ents, 2)
    if not mut:                                             # the rest write the array
        self.invalid("immutable array")
    if sub == 14:                                           # array.set: [ref i32 t]
        ents[2] = self.pop(t)
        ents[1] = self.pop(T_I32)
        ents[0] = self.pop(def_ref(x, True))
        return emit_slots(self, OP_array_set, 0, 1, x, 0, ents, 3)
    if sub == 16:                                           # array.fill: [ref i32 t i32]
        ents[3] = self.pop(T_I32)
        ents[2] = self.pop(t)
        ents[1] = self.pop(T_I32)
        ents[0] = self.pop(def_ref(x, True))
        return emit_slots(self, OP_array_fill, 0, 1, x, 0, ents, 4)
    if sub == 17:                                           # array.copy x y
        y = gc_type(self, 2)
        st = field_type(self, y, 0)
        # the source's storage type matches the destination's (packed: equal)
        if is_packed(ft) or is_packed(st):
            if ft != st:
                self.invalid("array types do not match")
        elif not is_subtype(self, st, ft):
            self.invalid("array types do not match")
        ents[4] = self.pop(T_I32)
        ents[3] = self.pop(T_I32)
        ents[2] = self.pop(def_ref(y, True))
        ents[1] = self.pop(T_I32)
        ents[0] = self.pop(def_ref(x, True))
        return emit_slots(self, OP_array_copy, 0, 2, x, y, ents, 5)
    # array.init_data x y / array.init_elem x y: [ref i32 i32 i32]
    y = segment_index(self, sub == 18)
    if sub == 18:
        if not is_num(t):
            self.invalid("array type is not numeric or vector")
    elif not is_subtype(self, self.etype[y], t):
        self.invalid("type mismatch")
    ents[3] = self.pop(T_I32)
    ents[2] = self.pop(T_I32)
    ents[1] = self.pop(T_I32)
    ents[0] = self.pop(def_ref(x, True))
    return emit_slots(self, OP_array_init_data if sub == 18 else OP_array_init_elem, 0, 2, x, y,
                      ents, 4)

cdef int lower_ref_test_cast(Lowerer self, bint cast, bint nullable) except -1:
    # ref.test rt / ref.cast rt (0xFB 20-23): [(ref null top(rt))] -> [i32] / [rt]. The
    # operand may be any reference below rt's top type.
    cdef uint32_t h = heaptype(self)
    cdef int i = self.pop(ref_vt(True, top_heap(self, h)))
    cdef uint32_t sa
    cdef vtype rt = T_I32 if not cast else ref_vt(nullable, h)
    if not self.emitting:
        self.push(rt, K_SLOT, 0)
        return 0
    sa = self.operand(i)
    self.produce(OP_ref_cast if cast else OP_ref_test, rt)
    self.emit(sa); self.emit(h); self.emit(1 if nullable else 0)
    self.end_producer()
    return 0

cdef int emit_br_cast(Lowerer self, int l, int r, int first, int cnt, bint on_fail,
                      uint32_t h, bint nullable) except -1:
    # Branch to label l with entries first..first+cnt (the reference r the last of them) when
    # the cast of r to (ref null? h) succeeds (br_on_cast) or fails (on_fail): the op
    # straight to the label, or, when the branch needs copies (or polls), the opposite test
    # around the copies and an unconditional branch (as emit_br_ref does).
    cdef Py_ssize_t skip
    cdef uint32_t sr = self.operand(r)
    if self.cs[self.cn - 1 - l].kind == C_FUNC:
        prep_return(self, first, cnt)
    if not needs_copies(self, l, first, cnt) and not is_back(self, l):
        self.start(OP_br_on_cast_fail if on_fail else OP_br_on_cast)
        self.emit(sr); self.emit(h); self.emit(1 if nullable else 0)
        return emit_target(self, l)
    self.start(OP_br_on_cast if on_fail else OP_br_on_cast_fail)
    self.emit(sr); self.emit(h); self.emit(1 if nullable else 0)
    self.emit(NO_CHAIN)
    skip = self.n - 1
    emit_branch(self, l, first, cnt)
    self.code[skip] = <uint32_t>self.n
    self.place_label()
    return 0

cdef int lower_br_on_cast(Lowerer self, bint on_fail) except -1:
    # br_on_cast l rt1 rt2 / br_on_cast_fail l rt1 rt2 (0xFB 24, 25; 3.0 valid/instructions):
    # rt2 <: rt1; the label's last type takes rt2 (br_on_cast) or rt1 \ rt2 (br_on_cast_fail,
    # the source type, non-null if rt2 is nullable); the instruction is
    # [t* rt1] -> [t* rt1 \ rt2] (br_on_cast) or [t* rt1] -> [t* rt2] (br_on_cast_fail).
    cdef int flags, l, i, cnt, first
    cdef uint32_t h1, h2
    cdef vtype rt1, rt2, diff, carried, kept, lt
    cdef Ctrl* fr
    flags = self.byte()
    if flags & 0xFC:
        self.pos -= 1
        self.malformed("malformed br_on_cast flags")
    l = label_index(self)
    h1 = heaptype(self)
    h2 = heaptype(self)
    rt1 = ref_vt(flags & 1, h1)
    rt2 = ref_vt(flags & 2, h2)
    if not is_subtype(self, rt2, rt1):
        self.invalid(f"type mismatch on cast: type {vt_name(rt2)} does not match {vt_name(rt1)}")
    diff = rt1 & ~(<vtype>NULL_BIT) if (rt2 & NULL_BIT) else rt1
    carried = diff if on_fail else rt2
    kept = rt2 if on_fail else diff
    fr = &self.cs[self.cn - 1 - l]
    cnt = self.label_type_count(fr)
    if cnt == 0:
        self.invalid(f"type mismatch: instruction requires type {vt_name(carried)} but label "
                     f"has []")
    lt = self.tdata[self.label_type_off(fr) + cnt - 1]
    if not is_subtype(self, carried, lt):
        self.invalid(f"type mismatch: instruction requires type {vt_name(carried)} but label "
                     f"has {vt_name(lt)}")
    i = self.pop(rt1)
    if self.emitting:
        repush(self, i, carried)
    else:
        self.push(carried, K_SLOT, 0)
    cnt = pop_label(self, l, &first)
    if self.emitting:
        emit_br_cast(self, l, first + cnt - 1, first, cnt, on_fail, h2, (flags & 2) != 0)
        self.vn += cnt
        retype_label(self, l, first, cnt)
    else:
        push_label_types(self, fr)
    self.vt[self.vn - 1] = kept                    # not taken: the reference, retyped
    return 0

cdef int lower_gc_ref(Lowerer self, int sub) except -1:
    # 0xFB 26-30: any.convert_extern, extern.convert_any, ref.i31, i31.get_s, i31.get_u.
    cdef int ents[1]
    cdef int i
    cdef vtype t
    if sub == 26 or sub == 27:
        i = self.pop(ref_vt(True, H_EXTERN if sub == 26 else H_ANY))
        t = self.type_of(i)
        ents[0] = i
        return emit_slots(self, OP_any_convert_extern if sub == 26 else OP_extern_convert_any,
                          ref_vt(t != T_UNKNOWN and (t & NULL_BIT) != 0,
                                 H_ANY if sub == 26 else H_EXTERN), 0, 0, 0, ents, 1)
    if sub == 28:
        ents[0] = self.pop(T_I32)
        return emit_slots(self, OP_ref_i31, ref_vt(False, H_I31), 0, 0, 0, ents, 1)
    ents[0] = self.pop(ref_vt(True, H_I31))
    return emit_slots(self, OP_i31_get_s if sub == 29 else OP_i31_get_u, T_I32, 0, 0, 0, ents, 1)

cdef int lower_ref_eq(Lowerer self) except -1:
    # ref.eq (0xD3): [eqref eqref] -> [i32].
    cdef int ents[2]
    ents[1] = self.pop(ref_vt(True, H_EQ))
    ents[0] = self.pop(ref_vt(True, H_EQ))
    return emit_slots(self, OP_ref_eq, T_I32, 0, 0, 0, ents, 2)

cdef int lower_gc(Lowerer self, int sub) except -1:
    # The 0xFB group (3.0 spec 5.4): sub is the opcode after the prefix.
    if sub <= 5:
        return lower_struct(self, sub)
    if sub <= 19:
        return lower_array(self, sub)
    if sub <= 23:
        return lower_ref_test_cast(self, sub >= 22, sub == 21 or sub == 23)
    if sub <= 25:
        return lower_br_on_cast(self, sub == 25)
    return lower_gc_ref(self, sub)
