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

cdef const uint32_t* gc_step(ExecCtx* ctx, InstCtx* inst, FuncRec* cur, const uint32_t* pc,
                             uint64_t* fp, int* trap) noexcept nogil:
    # Run the GC op at pc; the next pc, or NULL with *trap set.
    cdef uint32_t op = pc[0]

    if op == OP_struct_new:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 4
    elif op == OP_struct_new_default:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 3
    elif op == OP_struct_get:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_struct_get_s:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_struct_get_u:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_struct_set:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_array_new:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_array_new_default:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 4
    elif op == OP_array_new_fixed:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_array_new_data:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 6
    elif op == OP_array_new_elem:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 6
    elif op == OP_array_get:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_array_get_s:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_array_get_u:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_array_set:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_array_len:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 3
    elif op == OP_array_fill:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 6
    elif op == OP_array_copy:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 8
    elif op == OP_array_init_data:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 7
    elif op == OP_array_init_elem:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 7
    elif op == OP_ref_test:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_ref_cast:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_br_on_cast:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_br_on_cast_fail:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 5
    elif op == OP_any_convert_extern:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 3
    elif op == OP_extern_convert_any:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 3
    elif op == OP_ref_i31:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 3
    elif op == OP_i31_get_s:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 3
    elif op == OP_i31_get_u:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 3
    elif op == OP_ref_eq:
        trap[0] = TRAP_UNREACHABLE
        return NULL if trap[0] else pc + 4
    trap[0] = TRAP_UNREACHABLE
    return NULL
