# The GC instructions (3.0 spec 4.4.6 aggregate instructions, 4.4.2 ref.i31/ref.eq/ref.test/
# ref.cast/br_on_cast*, any.convert_extern/extern.convert_any), run out of line by gc_step.
# Included by runtime.pyx (after gc.pxi). tools/gen_core.py numbers the ops of the arms below
# (OP_GC_FIRST up) and HAND_LAYOUTS gives their operand layouts.
#
# Lowered layouts (d destination slot, a b c e f source slots, type a type index of the module,
# seg a data or element segment index, heap a heap type as code.pxd's H_* encode it (an abstract
# one, or H_CONCRETE + a type index), null 1 if the target type is nullable):

#   struct_new d type:u32 base:u32
#   struct_new_default d type:u32
#   struct_get d type:u32 field:u32 a
#   struct_get_s d type:u32 field:u32 a
#   struct_get_u d type:u32 field:u32 a
#   struct_set type:u32 field:u32 a b
#   array_new d type:u32 a b
#   array_new_default d type:u32 a
#   array_new_fixed d type:u32 base:u32 n:u32
#   array_new_data d type:u32 seg:u32 a b
#   array_new_elem d type:u32 seg:u32 a b
#   array_get d type:u32 a b
#   array_get_s d type:u32 a b
#   array_get_u d type:u32 a b
#   array_set type:u32 a b c
#   array_len d a
#   array_fill type:u32 a b c e
#   array_copy dtype:u32 stype:u32 a b c e f
#   array_init_data type:u32 seg:u32 a b c e
#   array_init_elem type:u32 seg:u32 a b c e
#   ref_test d a heap:u32 null:u32
#   ref_cast d a heap:u32 null:u32
#   br_on_cast a heap:u32 null:u32 target
#   br_on_cast_fail a heap:u32 null:u32 target
#   any_convert_extern d a
#   extern_convert_any d a
#   ref_i31 d a
#   i31_get_s d a
#   i31_get_u d a
#   ref_eq d a b

cdef inline uint64_t* frame_top(FuncRec* cur, uint64_t* fp) noexcept nogil:
    return fp + cur.nslots

cdef inline const GcType* gctype(InstCtx* inst, uint32_t x) noexcept nogil:
    return inst.gctypes[x]

cdef inline uint64_t i31_value(uint64_t v) noexcept nogil:
    return (v >> 1) & 0x7FFFFFFF

cdef const uint32_t* gc_step(ExecCtx* ctx, InstCtx* inst, FuncRec* cur, const uint32_t* pc,
                             uint64_t* fp, int* trap) noexcept nogil:
    # Run the GC op at pc (3.0 exec/instructions); the next pc, or NULL with *trap set.
    cdef uint32_t op = pc[0]
    cdef const GcType* t
    cdef const GcType* t2
    cdef GcObj* o
    cdef GcObj* o2
    cdef uint64_t v, i, j, n, k
    cdef uint32_t f, slot, size
    cdef SegRec* seg
    cdef uint8_t* p
    if op == OP_struct_get or op == OP_struct_get_s or op == OP_struct_get_u:
        v = fp[pc[4]]
        if v == 0:
            trap[0] = TRAP_NULL_STRUCT
            return NULL
        o = <GcObj*>v
        t = o.type
        f = pc[3]
        gc_get(gc_payload(o) + t.foff[f], t.fkind[f], op == OP_struct_get_s, fp + pc[1])
        return pc + 5
    elif op == OP_struct_set:
        v = fp[pc[3]]
        if v == 0:
            trap[0] = TRAP_NULL_STRUCT
            return NULL
        o = <GcObj*>v
        t = o.type
        f = pc[2]
        gc_put(gc_payload(o) + t.foff[f], t.fkind[f], fp + pc[4])
        return pc + 5
    elif op == OP_struct_new or op == OP_struct_new_default:
        t = gctype(inst, pc[2])
        o = gc_alloc(ctx, inst, frame_top(cur, fp), t, 0, trap)
        if o == NULL:
            return NULL
        if op == OP_struct_new:
            slot = pc[3]
            p = gc_payload(o)
            for f in range(t.nfields):
                gc_put(p + t.foff[f], t.fkind[f], fp + slot)
                slot += slots_of_kind(t.fkind[f])
            fp[pc[1]] = <uint64_t>o
            return pc + 4
        fp[pc[1]] = <uint64_t>o
        return pc + 3
    elif op == OP_array_get or op == OP_array_get_s or op == OP_array_get_u:
        v = fp[pc[3]]
        if v == 0:
            trap[0] = TRAP_NULL_ARRAY
            return NULL
        o = <GcObj*>v
        i = <uint32_t>fp[pc[4]]
        if i >= o.len:
            trap[0] = TRAP_OOB_ARRAY
            return NULL
        t = o.type
        gc_get(gc_payload(o) + i * t.size, t.fkind[0], op == OP_array_get_s, fp + pc[1])
        return pc + 5
    elif op == OP_array_set:
        v = fp[pc[2]]
        if v == 0:
            trap[0] = TRAP_NULL_ARRAY
            return NULL
        o = <GcObj*>v
        i = <uint32_t>fp[pc[3]]
        if i >= o.len:
            trap[0] = TRAP_OOB_ARRAY
            return NULL
        t = o.type
        gc_put(gc_payload(o) + i * t.size, t.fkind[0], fp + pc[4])
        return pc + 5
    elif op == OP_array_len:
        v = fp[pc[2]]
        if v == 0:
            trap[0] = TRAP_NULL_ARRAY
            return NULL
        fp[pc[1]] = (<GcObj*>v).len
        return pc + 3
    elif op == OP_array_new or op == OP_array_new_default:
        t = gctype(inst, pc[2])
        n = <uint32_t>fp[pc[4] if op == OP_array_new else pc[3]]
        o = gc_alloc(ctx, inst, frame_top(cur, fp), t, n, trap)
        if o == NULL:
            return NULL
        if op == OP_array_new_default:
            fp[pc[1]] = <uint64_t>o
            return pc + 4
        gc_fill(o, 0, fp + pc[3], n)
        fp[pc[1]] = <uint64_t>o
        return pc + 5
    elif op == OP_array_new_fixed:
        t = gctype(inst, pc[2])
        n = pc[4]
        o = gc_alloc(ctx, inst, frame_top(cur, fp), t, n, trap)
        if o == NULL:
            return NULL
        slot = pc[3]
        p = gc_payload(o)
        for i in range(n):
            gc_put(p + i * t.size, t.fkind[0], fp + slot)
            slot += slots_of_kind(t.fkind[0])
        fp[pc[1]] = <uint64_t>o
        return pc + 5
    elif op == OP_array_new_data or op == OP_array_new_elem:
        t = gctype(inst, pc[2])
        i = <uint32_t>fp[pc[4]]
        n = <uint32_t>fp[pc[5]]
        if op == OP_array_new_data:
            seg = &inst.datas[pc[3]]
            if i + n * t.size > seg.n:
                trap[0] = TRAP_OOB_MEMORY
                return NULL
        else:
            seg = &inst.elems[pc[3]]
            if i + n > seg.n:
                trap[0] = TRAP_OOB_TABLE
                return NULL
        o = gc_alloc(ctx, inst, frame_top(cur, fp), t, n, trap)
        if o == NULL:
            return NULL
        if n:
            if op == OP_array_new_data:
                memcpy(gc_payload(o), seg.bytes + i, n * t.size)
            else:
                memcpy(gc_payload(o), seg.items + i, n * 8)
        fp[pc[1]] = <uint64_t>o
        return pc + 6
    elif op == OP_array_fill:
        v = fp[pc[2]]
        if v == 0:
            trap[0] = TRAP_NULL_ARRAY
            return NULL
        o = <GcObj*>v
        i = <uint32_t>fp[pc[3]]
        n = <uint32_t>fp[pc[5]]
        if i + n > o.len:
            trap[0] = TRAP_OOB_ARRAY
            return NULL
        gc_fill(o, i, fp + pc[4], n)
        return pc + 6
    elif op == OP_array_copy:
        v = fp[pc[3]]
        k = fp[pc[5]]
        if v == 0 or k == 0:
            trap[0] = TRAP_NULL_ARRAY
            return NULL
        o = <GcObj*>v
        o2 = <GcObj*>k
        i = <uint32_t>fp[pc[4]]
        j = <uint32_t>fp[pc[6]]
        n = <uint32_t>fp[pc[7]]
        if i + n > o.len or j + n > o2.len:
            trap[0] = TRAP_OOB_ARRAY
            return NULL
        size = o.type.size
        if n:
            memmove(gc_payload(o) + i * size, gc_payload(o2) + j * size, n * size)
        return pc + 8
    elif op == OP_array_init_data or op == OP_array_init_elem:
        v = fp[pc[3]]
        if v == 0:
            trap[0] = TRAP_NULL_ARRAY
            return NULL
        o = <GcObj*>v
        t = o.type
        i = <uint32_t>fp[pc[4]]
        j = <uint32_t>fp[pc[5]]
        n = <uint32_t>fp[pc[6]]
        if i + n > o.len:
            trap[0] = TRAP_OOB_ARRAY
            return NULL
        if op == OP_array_init_data:
            seg = &inst.datas[pc[2]]
            if j + n * t.size > seg.n:
                trap[0] = TRAP_OOB_MEMORY
                return NULL
            if n:
                memcpy(gc_payload(o) + i * t.size, seg.bytes + j, n * t.size)
        else:
            seg = &inst.elems[pc[2]]
            if j + n > seg.n:
                trap[0] = TRAP_OOB_TABLE
                return NULL
            if n:
                memcpy(gc_payload(o) + i * 8, seg.items + j, n * 8)
        return pc + 7
    elif op == OP_ref_test:
        fp[pc[1]] = gc_matches(inst, fp[pc[2]], pc[3], pc[4])
        return pc + 5
    elif op == OP_ref_cast:
        v = fp[pc[2]]
        if not gc_matches(inst, v, pc[3], pc[4]):
            trap[0] = TRAP_CAST
            return NULL
        fp[pc[1]] = v
        return pc + 5
    elif op == OP_br_on_cast:
        if gc_matches(inst, fp[pc[1]], pc[2], pc[3]):
            return inst.code + pc[4]
        return pc + 5
    elif op == OP_br_on_cast_fail:
        if not gc_matches(inst, fp[pc[1]], pc[2], pc[3]):
            return inst.code + pc[4]
        return pc + 5
    elif op == OP_any_convert_extern or op == OP_extern_convert_any:
        v = fp[pc[2]]
        fp[pc[1]] = v if v == 0 or (v & 1) else v ^ 2
        return pc + 3
    elif op == OP_ref_i31:
        fp[pc[1]] = ((fp[pc[2]] & 0x7FFFFFFF) << 1) | 1
        return pc + 3
    elif op == OP_i31_get_s or op == OP_i31_get_u:
        v = fp[pc[2]]
        if v == 0:
            trap[0] = TRAP_NULL_I31
            return NULL
        v = i31_value(v)
        if op == OP_i31_get_s and (v & 0x40000000):
            v |= <uint64_t>0x80000000U
        fp[pc[1]] = v
        return pc + 3
    elif op == OP_ref_eq:
        fp[pc[1]] = 1 if fp[pc[2]] == fp[pc[3]] else 0
        return pc + 4
    trap[0] = TRAP_UNREACHABLE
    return NULL


cdef void gc_fill(GcObj* o, uint64_t i, const uint64_t* value, uint64_t n) noexcept nogil:
    # elements i..i+n of array o := the value at `value` (slot bits)
    cdef const GcType* t = o.type
    cdef uint8_t* p = gc_payload(o) + i * t.size
    cdef uint64_t k
    if value[0] == 0 and (t.fkind[0] != SK_V128 or value[1] == 0):
        memset(p, 0, n * t.size)
        return
    for k in range(n):
        gc_put(p + k * t.size, t.fkind[0], value)
