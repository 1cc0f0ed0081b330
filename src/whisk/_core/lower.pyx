# The pre-decoder: validates each function body and lowers it, once, into the core's flat
# instruction format (code.pxd) with operands resolved to frame slots.
#
# Validation follows the spec's appendix "Validation Algorithm" (operand stack of value types,
# control stack of frames, the polymorphic stack of unreachable code) and implements the typing
# rules of spec 3.3 for every instruction; it runs fused with lowering, which needs the same
# stack of types to place values in slots. Decoding errors inside a body (spec 5.4) raise
# DecodeError; typing errors ValidationError, both with the spec test suite's wording.
#
# Lowering ("register" style):
# * each operand stack entry is SLOT (its value is in its canonical temporary slot,
#   nlocal_slots + pos), LOCAL (a pending local.get: the value is the local's slot) or CONST (a
#   constant not yet written anywhere);
# * consumers read LOCAL operands straight from the local's slot and CONST right operands as
#   immediates (the _ri ops); a local.set/tee right after the producer of the value rewrites the
#   producer's destination to the local;
# * a compare (or i32.eqz) followed by br_if / if becomes one fused compare-and-branch op;
# * pending LOCAL entries are written to their canonical slots before a write to that local and
#   at block, loop and if entry; block parameters and results always live in canonical slots;
# * call arguments are written to consecutive canonical slots, where the callee's frame begins;
# * branches copy the label's values to the label's slots, then jump to an absolute code index;
#   forward targets are patched at `end` through a chain threaded through the target words.
#
# Exceptions (3.0 spec 3.3.8 try_table, throw, throw_ref; the legacy proposal's try, catch,
# catch_all, delegate, rethrow) emit nothing on entry to a try block: each try_table or try
# adds an entry to the module's handler table (code.pxd, "Exceptions"), whose targets are
# patched like branch targets (a second chain per label, Ctrl.hfixups, through htab). A catch
# clause writes the payload (and exnref) straight to the label's slots; one that targets the
# function's label continues at a bare `return` emitted after the function's code. A legacy
# catch body keeps the caught exnref (for rethrow) in a hidden operand-stack entry at the try's
# base slot, below the body's own values, so calls in the body do not overwrite it; the body's
# results are moved down one slot at its end.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t, int64_t
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memset, memcpy
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE

from whisk._core.ops cimport *
from whisk._core.code cimport HK_CATCH, HK_DELEGATE, NO_TAG
from whisk._core.code cimport (H_FUNC, H_EXTERN, H_EXN, H_NOFUNC, H_NOEXTERN, H_NOEXN, H_ANY,
                               H_EQ, H_I31, H_STRUCT, H_ARRAY, H_NONE, H_CONCRETE)
from whisk.errors import DecodeError, ValidationError

include "optable.pxi"
fill_optable()

# Value types (3.0 syntax/types) as one uint32 ``vtype``: a number or vector type is its binary
# code (0x7F i32 .. 0x7B v128); a reference type sets REF_BIT, NULL_BIT if nullable, and holds
# its heap type in the bits from HEAP_SHIFT up: an abstract heap type H_FUNC .. H_NONE, or
# H_CONCRETE + a type index of the module. T_UNKNOWN (0) is the bottom type of unreachable code.
# Subtyping (3.0 valid/matching) is ``is_subtype(lw, a, b)``: equality first, then heap_sub.
ctypedef uint32_t vtype

cdef enum:
    T_UNKNOWN = 0
    T_I32 = 0x7F
    T_I64 = 0x7E
    T_F32 = 0x7D
    T_F64 = 0x7C
    T_V128 = 0x7B
    T_I8 = 0x78             # packed storage types (3.0 syntax/types): struct fields and
    T_I16 = 0x77            # array elements only, never on the operand stack
    REF_BIT = 0x100
    NULL_BIT = 0x200
    HEAP_SHIFT = 12
    MAX_TYPES = 1000000
    T_FUNCREF = REF_BIT | NULL_BIT | (H_FUNC << HEAP_SHIFT)
    T_EXTERNREF = REF_BIT | NULL_BIT | (H_EXTERN << HEAP_SHIFT)
    T_EXNREF = REF_BIT | NULL_BIT | (H_EXN << HEAP_SHIFT)

# abstract heap types: binary code -> H_*, and names (whisk.types) -> H_*
_HEAP_BY_CODE = {0x70: H_FUNC, 0x6F: H_EXTERN, 0x69: H_EXN, 0x73: H_NOFUNC, 0x72: H_NOEXTERN,
                 0x74: H_NOEXN, 0x6E: H_ANY, 0x6D: H_EQ, 0x6C: H_I31, 0x6B: H_STRUCT,
                 0x6A: H_ARRAY, 0x71: H_NONE}
_HEAP_BY_NAME = {"func": H_FUNC, "extern": H_EXTERN, "exn": H_EXN, "nofunc": H_NOFUNC,
                 "noextern": H_NOEXTERN, "noexn": H_NOEXN, "any": H_ANY, "eq": H_EQ,
                 "i31": H_I31, "struct": H_STRUCT, "array": H_ARRAY, "none": H_NONE}
cdef uint8_t HEAP_CODE[256]
memset(HEAP_CODE, 0, 256)
for _c, _h in _HEAP_BY_CODE.items():
    HEAP_CODE[_c] = _h

cdef inline vtype ref_vt(bint nullable, uint32_t heap) noexcept nogil:
    return REF_BIT | (NULL_BIT if nullable else 0) | (heap << HEAP_SHIFT)

cdef inline uint32_t heap_of(vtype t) noexcept nogil:
    return t >> HEAP_SHIFT

cdef inline bint is_num(uint32_t b) noexcept nogil:
    return b == T_I32 or b == T_I64 or b == T_F32 or b == T_F64 or b == T_V128

cdef enum:
    FEAT_EXCEPTIONS = 1 << 2    # whisk.features.feature_bit("exceptions") (checked in setup)

cdef enum:
    K_SLOT = 0
    K_LOCAL = 1
    K_CONST = 2

cdef enum:
    C_FUNC = 0
    C_BLOCK = 1
    C_LOOP = 2
    C_IF = 3
    C_ELSE = 4
    C_TRY_TABLE = 5
    C_TRY = 6               # legacy try, before its first catch
    C_CATCH = 7             # legacy try, in a catch body
    C_CATCH_ALL = 8         # legacy try, in its catch_all body

cdef enum:
    MAX_LOCALS = 50000
    NO_CHAIN = 0xFFFFFFFF

cdef struct Ctrl:
    int kind
    int type_index          # index into the (extended) type table
    int height              # operand stack height below the block's parameters
    uint32_t base_pos       # slot position of the first parameter / result
    int unreachable         # the rest of the block is unreachable (polymorphic stack)
    int dead                # the block itself sits in unreachable code: nothing is emitted
    uint32_t target         # loop: code index of its start
    uint32_t fixups         # head of the chain of target words that want the end address
    uint32_t else_fixup     # if: the target word that wants the else address
    uint32_t icount         # loop: instructions decoded before its start (for fuel costs)
    int init_height         # entries of the init stack at its start (3.0 local initialisation)
    uint32_t hfixups        # head of the chain of handler-table words that want the end address
    int hid                 # 1 in a legacy catch body: the hidden exnref entry is part of height

cdef inline int slot_size(vtype t) noexcept nogil:
    return 2 if t == T_V128 else 1

cdef inline bint is_ref(vtype t) noexcept nogil:
    return (t & REF_BIT) != 0

cdef inline bint defaultable(vtype t) noexcept nogil:
    # 3.0 valid/types: every type but a non-nullable reference has a default value
    return not (t & REF_BIT) or (t & NULL_BIT) != 0

_TYPE_NAMES = {T_I32: "i32", T_I64: "i64", T_F32: "f32", T_F64: "f64", T_V128: "v128",
               T_I8: "i8", T_I16: "i16",
               T_FUNCREF: "funcref", T_EXTERNREF: "externref", T_EXNREF: "exnref", T_UNKNOWN: "_"}
_HEAP_NAMES = {v: k for k, v in _HEAP_BY_NAME.items()}


def vt_name(vtype t):
    """A vtype in the spec's text form ("i32", "funcref", "(ref null 3)"; "_" unknown)."""
    if t in _TYPE_NAMES:
        return _TYPE_NAMES[t]
    if not (t & REF_BIT):
        return "?"
    h = heap_of(t)
    hs = str(h - H_CONCRETE) if h >= H_CONCRETE else _HEAP_NAMES.get(h, "?")
    return f"(ref {'null ' if t & NULL_BIT else ''}{hs})"


_NUM_CODES = {"i32": T_I32, "i64": T_I64, "f32": T_F32, "f64": T_F64, "v128": T_V128,
              "funcref": T_FUNCREF, "externref": T_EXTERNREF, "exnref": T_EXNREF}


cdef class LoweredModule:
    """The lowered code of one module: ``code`` (all functions, concatenated) and, per defined
    function, ``entry`` (word index), ``nparams``/``nresults``/``nlocals`` (in slots) and
    ``nslots`` (frame size in 64-bit slots); ``htab`` the handler table (code.pxd,
    "Exceptions"), empty for a module without try_table or try."""
    def __dealloc__(self):
        free(self.code)
        free(self.htab)

    def handlers(self):
        """The handler table as a tuple of ints (for tests and the disassembler)."""
        return tuple(self.htab[i] for i in range(self.nh))

    cdef const uint32_t* htab_ptr(self):
        return self.htab

    def words(self):
        """The code as a tuple of ints (for tests and the disassembler)."""
        return tuple(self.code[i] for i in range(self.n))

    cdef const uint32_t* code_ptr(self):
        return self.code


cdef class Lowerer:
    # ---- module context ----
    cdef vtype* tdata          # types: params then results, concatenated
    cdef uint32_t* toff
    cdef uint32_t* tnp
    cdef uint32_t* tnr
    cdef int ntypes              # module types
    cdef int ntypes_ext          # + the pseudo types of single-value block types
    cdef uint32_t* ftype         # type index of each function
    cdef int nfuncs
    cdef vtype* gtype
    cdef uint8_t* gmut
    cdef int nglobals
    cdef vtype* ttype          # element type of each table
    cdef int ntables
    cdef int nmems
    cdef uint8_t* maddr          # 1 for each memory whose address type is i64 (memory64)
    cdef uint8_t* taddr          # 1 for each table whose address type is i64 (table64)
    cdef bint multi_memory       # the multi-memory feature: memarg flag bit 6 carries a memidx
    cdef bint memory64           # the memory64 feature: u64 memarg offsets
    cdef bint wasm3_messages     # word messages as the 3.0 reference interpreter does
    cdef vtype* etype            # element type of each element segment
    cdef int nelems
    cdef int ndatas              # -1: no data count section
    cdef uint8_t* refs           # 1 for functions in C.refs
    cdef uint8_t* tkind          # per type: 0 func, 1 struct, 2 array
    cdef int32_t* tsuper         # per type: its declared supertype, or -1
    cdef uint32_t* tcanon        # per type: its canonical id (equal ids: equivalent types)
    cdef uint32_t* foff          # per type: its first field in fdata/fmut (struct, array types)
    cdef uint32_t* fcnt          # per type: its fields (an array type: 1, its element)
    cdef vtype* fdata            # field storage types (T_I8 / T_I16 packed)
    cdef uint8_t* fmut           # field mutability
    cdef int tcap                # capacity of toff/tnp/tnr (pseudo types are added on demand)
    cdef uint32_t tdcap          # capacity of tdata
    cdef uint32_t tdn            # entries used in tdata
    cdef uint8_t* linit          # per local: initialised (3.0 valid/instructions, local.get)
    cdef int32_t* inits          # locals set since the enclosing blocks began (to reset at end)
    cdef int ninits, inits_cap
    cdef bint typed_refs         # the function_references feature: (ref null? ht), heap types
    cdef bint exn_refs           # the exceptions feature: exnref, nullexnref
    cdef bint gc_refs            # the gc feature: the heap types any, eq, i31, struct, array, none
    cdef uint32_t* tagtype       # type index of each tag
    cdef int ntags
    # ---- handler table (code.pxd, "Exceptions") ----
    cdef list htab               # handler entries of the module so far (words; chains patched)
    cdef list hfuncs             # (entry, first word, count) per function with handlers
    cdef list hpend              # a stack, per open try_table / try: [body end, clauses]
    cdef int nhandlers           # handlers of the current function
    cdef uint32_t ret_chain      # htab words that want the current function's return stub
    cdef uint32_t feat_off       # the DISABLED features' bits (whisk.features.Features.mask)
    # ---- code buffer ----
    cdef uint32_t* code
    cdef Py_ssize_t n, cap
    cdef Py_ssize_t last_start, last_dst, last_end
    cdef Py_ssize_t prev_start   # the producer just before the last one, when contiguous (or -1)
    cdef uint32_t prev_op
    cdef Py_ssize_t last_copy    # where the last OP_copy / OP_const32 begins (-1: none, or a
                                 # label since): a move right after it joins it (copy_pair ...)
    cdef uint32_t last_op
    # ---- body reader ----
    cdef const uint8_t* p
    cdef Py_ssize_t pos, end, base_offset
    cdef int func_index
    # ---- locals ----
    cdef vtype* ltype
    cdef uint32_t* lslot
    cdef int nlocals
    cdef uint32_t nloc           # local slots
    # ---- operand stack ----
    cdef vtype* vt
    cdef uint8_t* vk
    cdef uint64_t* vv
    cdef uint32_t* vp
    cdef int vn, vcap
    cdef uint32_t max_pos
    # ---- control stack ----
    cdef Ctrl* cs
    cdef int cn, ccap
    cdef uint32_t icount         # instructions decoded in this body so far
    cdef uint32_t flat           # ... of which outside every loop: the fuel cost of a call
    cdef int loops               # loops open
    cdef bint emitting
    # br_table scratch
    cdef uint32_t* labels
    cdef int labels_cap
    # instruction_offsets() only (None otherwise): per wasm instruction, the code words
    # [start, end) written while lowering it and its byte offset in the module
    cdef list rec_start, rec_end, rec_at

    def __cinit__(self):
        self.code = NULL
        self.cap = 0

    def __dealloc__(self):
        free(self.tdata); free(self.toff); free(self.tnp); free(self.tnr); free(self.ftype)
        free(self.gtype); free(self.gmut); free(self.ttype); free(self.etype); free(self.refs)
        free(self.maddr); free(self.taddr)
        free(self.code); free(self.ltype); free(self.lslot); free(self.vt); free(self.vk)
        free(self.vv); free(self.vp); free(self.cs); free(self.labels)
        free(self.tkind); free(self.tsuper); free(self.tcanon); free(self.linit); free(self.inits)
        free(self.tagtype)
        free(self.foff); free(self.fcnt); free(self.fdata); free(self.fmut)

    def setup(self, list types, list func_types, list globals, list tables, list mems,
              list elem_types, ndatas, refs, features=None, list table_addrs=None,
              tags=(), tuple typeinfo=None, list fields=None):
        """Module context (spec 3.1.1, C): ``types`` [(params, results)] of value types (names
        or whisk.types.RefType; struct and array types give ((), ())), ``func_types`` type
        index per function, ``globals`` [(valtype, mutable)], ``tables`` [reftype], ``mems``
        the address type of each memory ("i32" or "i64"), ``elem_types`` [reftype], ``ndatas``
        (None: no data count section), ``refs`` the function indices in C.refs, ``features``
        the enabled features' bits (``whisk.features.Features.mask``; None: all),
        ``table_addrs`` the address type of each table (default all "i32"), ``tags`` the type
        index of each tag, ``typeinfo``
        (kinds, supers, canonical ids) per type (None: all function types, final, distinct;
        kinds and supers None: all function types without supertypes), ``fields`` per type
        None (a function type) or the [(storage type, mutable)] of a struct type's fields or
        an array type's element (storage: a value type or "i8" / "i16"; None: no struct or
        array types). An instruction whose
        feature (opcode table, W_FEAT) is disabled is malformed ("relaxed SIMD is not
        enabled"); code that checks a non-instruction feature here tests ``self.feat_off &
        <bit>`` (bit i is ``whisk.features.FEATURE_NAMES[i]``) and reports with
        ``self.disabled_feature(name)``."""
        setup_context(self, types, func_types, globals, tables, mems, elem_types, ndatas, refs,
                      features, table_addrs, tags, typeinfo, fields)

    # ------------------------------------------------------------------ errors
    cdef int invalid(self, str msg) except -1:
        raise ValidationError(f"{msg} (function {self.func_index}, byte offset {self.base_offset + self.pos})")

    cdef int malformed(self, str msg) except -1:
        raise DecodeError(f"{msg} (function {self.func_index})", self.base_offset + self.pos)

    cdef int disabled_feature(self, str name, str what=None) except -1:
        # A construct of a disabled feature (whisk.features): malformed, as to a 2.0 decoder.
        from whisk.features import disabled_message
        self.malformed(disabled_message(name) + (f" ({what})" if what else ""))

    cdef int disabled_op(self, int idx) except -1:
        # The op at compact index idx (gen_core.wasm_index) belongs to a disabled feature.
        from whisk.opcodes import BY_CODE
        cdef int key = idx
        if idx >= WASM_FB_BASE:
            key = (0xFB << 16) | (idx - WASM_FB_BASE)
        elif idx >= WASM_FD_BASE:
            key = (0xFD << 16) | (idx - WASM_FD_BASE)
        elif idx >= WASM_FC_BASE:
            key = (0xFC << 16) | (idx - WASM_FC_BASE)
        op = BY_CODE[key]
        if idx < 256:                   # a single-byte opcode: 2.0 decoders say "illegal opcode"
            from whisk.features import disabled_message
            self.malformed(f"illegal opcode {idx:02x}: {disabled_message(op.feature)} ({op.name})")
        self.disabled_feature(op.feature, op.name)

    # ------------------------------------------------------------------ reading (spec 5.2)
    cdef inline int byte(self) except -1:
        if self.pos >= self.end:
            self.malformed("unexpected end of section or function")
        self.pos += 1
        return self.p[self.pos - 1]

    cdef uint64_t uleb(self, int bits) except? 0xFFFFFFFFFFFFFFFF:
        # Unsigned LEB128 of at most `bits` bits (32 or 64): at most ceil(bits / 7) bytes, and
        # the last one may carry only the bits left over.
        cdef uint64_t result = 0
        cdef int shift = 0
        cdef int b, last = (bits - 1) // 7 * 7
        while True:
            b = self.byte()
            if shift == last:
                if b & 0x80:
                    self.malformed("integer representation too long")
                if (b & 0x7F) >> (bits - last):
                    self.malformed("integer too large")
            result |= <uint64_t>(b & 0x7F) << shift
            if not (b & 0x80):
                return result
            shift += 7

    cdef inline int64_t u32(self) except -1:
        return <int64_t>self.uleb(32)

    cdef inline uint64_t u64(self) except? 0xFFFFFFFFFFFFFFFF:
        return self.uleb(64)

    cdef int64_t sleb(self, int bits) except? -1:
        # Signed LEB128 of `bits` bits (32, 33 or 64), returned sign-extended.
        cdef uint64_t result = 0
        cdef int shift = 0
        cdef int b, rest, last = (bits - 1) // 7 * 7
        while True:
            b = self.byte()
            if shift == last:
                if b & 0x80:
                    self.malformed("integer representation too long")
                # bits of the last byte beyond `bits` must all equal the sign bit
                rest = (b & 0x7F) >> (bits - 1 - last)
                if rest != 0 and rest != (0x7F >> (bits - 1 - last)):
                    self.malformed("integer too large")
            result |= <uint64_t>(b & 0x7F) << shift
            shift += 7
            if not (b & 0x80):
                if shift < 64 and (b & 0x40):
                    result |= (~<uint64_t>0) << shift
                return <int64_t>result

    cdef uint64_t fixed(self, int nbytes) except? 0xFFFFFFFFFFFFFFFF:
        cdef uint64_t v = 0
        cdef int i
        if self.pos + nbytes > self.end:
            self.pos = self.end
            self.malformed("unexpected end of section or function")
        for i in range(nbytes):
            v |= <uint64_t>self.p[self.pos + i] << (8 * i)
        self.pos += nbytes
        return v

    cdef int blocktype(self) except -1:
        # Block type (spec 5.4.1): 0x40, a value type, or an s33 type index.
        cdef int b
        cdef int64_t x
        if self.pos >= self.end:
            self.malformed("unexpected end of section or function")
        b = self.p[self.pos]
        if b == 0x40:
            self.pos += 1
            return self.ntypes
        if is_num(b) or HEAP_CODE[b] or b == 0x63 or b == 0x64:
            return single_type(self, valtype(self))
        x = self.sleb(33)
        if x < 0:
            self.malformed("malformed block type")
        if x >= self.ntypes:
            self.invalid(f"unknown type {x}")
        if self.tkind[x] != 0:
            self.invalid("type mismatch")
        return <int>x

    cdef int zero_byte(self) except -1:
        if self.byte() != 0:
            self.malformed("zero byte expected")
        return 0

    # ------------------------------------------------------------------ code buffer
    cdef int grow_code(self, Py_ssize_t need) except -1:
        cdef uint32_t* c
        cdef Py_ssize_t cap = self.cap
        while self.n + need > cap:
            cap *= 2
        c = <uint32_t*>realloc(self.code, sizeof(uint32_t) * cap)
        if c == NULL:
            raise MemoryError()
        self.code = c
        self.cap = cap
        return 0

    cdef inline int emit(self, uint32_t w) except -1:
        if self.n >= self.cap:
            self.grow_code(1)
        self.code[self.n] = w
        self.n += 1
        return 0

    cdef inline int start(self, uint32_t op) except -1:
        # Begin an instruction (not producing into a fusable slot).
        self.last_dst = -1
        return self.emit(op)

    cdef inline int emit64(self, uint64_t v) except -1:
        self.emit(<uint32_t>v)
        return self.emit(<uint32_t>(v >> 32))

    cdef int emit_const(self, uint32_t dst, vtype t, uint64_t bits) except -1:
        if bits <= 0xFFFFFFFF:
            if self.last_copy >= 0 and self.last_copy + 3 == self.n:
                # right after a copy or const32 (no label between): one op does both
                self.code[self.last_copy] = (OP_copy_const if self.code[self.last_copy] == OP_copy
                                             else OP_const_pair)
                self.last_copy = -1
                self.last_dst = -1
                self.emit(dst)
                return self.emit(<uint32_t>bits)
            self.start(OP_const32)
            self.last_copy = self.n - 1
            self.emit(dst); self.emit(<uint32_t>bits)
        else:
            self.start(OP_const64); self.emit(dst); self.emit64(bits)
        return 0

    cdef int emit_copy(self, uint32_t dst, uint32_t src, vtype t) except -1:
        if dst == src:
            return 0
        if t != T_V128 and self.last_copy >= 0 and self.last_copy + 3 == self.n:
            # a copy right after a copy (no label between): one copy_pair, which does both in
            # order (the arguments of a call, the values a branch carries)
            self.code[self.last_copy] = (OP_copy_pair if self.code[self.last_copy] == OP_copy
                                         else OP_const_copy)
            self.last_copy = -1
            self.last_dst = -1
            self.emit(dst)
            return self.emit(src)
        self.start(OP_copy2 if t == T_V128 else OP_copy)
        if t != T_V128:
            self.last_copy = self.n - 1
        self.emit(dst)
        return self.emit(src)

    cdef void place_label(self):
        # A branch target begins here: no peephole may look back across it.
        self.last_dst = -1
        self.last_end = -1
        self.last_copy = -1

    cdef void patch_chain(self, uint32_t head, uint32_t addr):
        cdef uint32_t nxt
        while head != NO_CHAIN:
            nxt = self.code[head]
            self.code[head] = addr
            head = nxt

    cdef int patch_hchain(self, uint32_t head, uint32_t addr) except -1:
        # patch_chain for the handler table's target words
        cdef uint32_t nxt
        cdef list h = self.htab
        while head != NO_CHAIN:
            nxt = h[head]
            h[head] = addr
            head = nxt
        return 0

    # ------------------------------------------------------------------ operand stack
    cdef int grow_vals(self) except -1:
        cdef int cap = self.vcap * 2
        self.vt = <vtype*>realloc(self.vt, sizeof(vtype) * cap)
        self.vk = <uint8_t*>realloc(self.vk, cap)
        self.vv = <uint64_t*>realloc(self.vv, sizeof(uint64_t) * cap)
        self.vp = <uint32_t*>realloc(self.vp, sizeof(uint32_t) * cap)
        if self.vt == NULL or self.vk == NULL or self.vv == NULL or self.vp == NULL:
            raise MemoryError()
        self.vcap = cap
        return 0

    cdef inline uint32_t next_pos(self):
        if self.vn == 0:
            return 0
        return self.vp[self.vn - 1] + slot_size(self.vt[self.vn - 1])

    cdef int push(self, vtype t, int kind, uint64_t v) except -1:
        cdef uint32_t p = self.next_pos()
        if self.vn >= self.vcap:
            self.grow_vals()
        self.vt[self.vn] = t
        self.vk[self.vn] = kind
        self.vv[self.vn] = v
        self.vp[self.vn] = p
        self.vn += 1
        if p + slot_size(t) > self.max_pos:
            self.max_pos = p + slot_size(t)
        return self.vn - 1

    cdef inline uint32_t canon(self, int i):
        return self.nloc + self.vp[i]

    cdef uint32_t push_slot(self, vtype t) except? 0xFFFFFFFF:
        # Push a value produced into its canonical slot; returns that slot.
        cdef int i = self.push(t, K_SLOT, 0)
        return self.canon(i)

    cdef int pop_any(self) except -2:
        # pop_val() of the algorithm: the index of the popped entry, or -1 for an unknown type.
        cdef Ctrl* c = &self.cs[self.cn - 1]
        if self.vn == c.height:
            if c.unreachable:
                return -1
            self.invalid("type mismatch")
        self.vn -= 1
        return self.vn

    cdef int pop(self, vtype expect) except -2:
        # pop_val(expect): the popped entry's type must match `expect` (3.0: subtyping).
        cdef int i = self.pop_any()
        if i >= 0 and self.vt[i] != expect and not is_subtype(self, self.vt[i], expect):
            self.invalid("type mismatch")
        return i

    cdef int pop_ref(self) except -2:
        # pop a value of some reference type (or of the unknown type: -1)
        cdef int i = self.pop_any()
        if i >= 0 and not is_ref(self.vt[i]) and self.vt[i] != T_UNKNOWN:
            self.invalid("type mismatch")
        return i

    cdef inline vtype type_of(self, int i):
        return T_UNKNOWN if i < 0 else self.vt[i]

    cdef int pop_types(self, int ti, bint results) except -1:
        # pop_vals(): pop the params (or results) of type ti, last first.
        cdef int k, cnt = self.tnr[ti] if results else self.tnp[ti]
        cdef uint32_t off = self.toff[ti] + (self.tnp[ti] if results else 0)
        for k in range(cnt - 1, -1, -1):
            self.pop(self.tdata[off + k])
        return 0

    cdef int push_types(self, int ti, bint results) except -1:
        cdef int k, cnt = self.tnr[ti] if results else self.tnp[ti]
        cdef uint32_t off = self.toff[ti] + (self.tnp[ti] if results else 0)
        for k in range(cnt):
            self.push(self.tdata[off + k], K_SLOT, 0)
        return 0

    cdef uint32_t operand(self, int i) except? 0xFFFFFFFF:
        # The slot holding entry i's value; a CONST is first written to its canonical slot.
        if self.vk[i] == K_LOCAL:
            return <uint32_t>self.vv[i]
        if self.vk[i] == K_CONST:
            self.emit_const(self.canon(i), self.vt[i], self.vv[i])
            self.vk[i] = K_SLOT
        return self.canon(i)

    cdef int materialize(self, int i) except -1:
        # Move entry i's value to its canonical slot.
        if self.vk[i] == K_LOCAL:
            self.emit_copy(self.canon(i), <uint32_t>self.vv[i], self.vt[i])
        elif self.vk[i] == K_CONST:
            self.emit_const(self.canon(i), self.vt[i], self.vv[i])
        self.vk[i] = K_SLOT
        return 0

    cdef int materialize_local(self, uint32_t slot) except -1:
        # Before a write to the local at `slot`: pending reads of it take their value now.
        cdef int i
        for i in range(self.vn):
            if self.vk[i] == K_LOCAL and self.vv[i] == slot:
                self.materialize(i)
        return 0

    cdef int materialize_for_block(self, int nparams) except -1:
        cdef int i
        for i in range(self.vn):
            if self.vk[i] == K_LOCAL or (i >= self.vn - nparams and self.vk[i] == K_CONST):
                self.materialize(i)
        return 0

    # ------------------------------------------------------------------ control stack
    cdef int push_ctrl(self, int kind, int ti) except -1:
        # Called with the parameters still on the stack (already type-checked and materialized).
        cdef Ctrl* c
        cdef bint dead = not self.emitting
        if self.cn >= self.ccap:
            self.ccap *= 2
            self.cs = <Ctrl*>realloc(self.cs, sizeof(Ctrl) * self.ccap)
            if self.cs == NULL:
                raise MemoryError()
        c = &self.cs[self.cn]
        self.cn += 1
        c.kind = kind
        c.type_index = ti
        c.height = self.vn - (self.tnp[ti] if kind != C_FUNC else 0)
        c.base_pos = self.vp[c.height] if c.height < self.vn else self.next_pos()
        c.unreachable = 0
        c.dead = dead
        c.target = <uint32_t>self.n
        c.fixups = NO_CHAIN
        c.else_fixup = NO_CHAIN
        c.init_height = self.ninits
        c.hfixups = NO_CHAIN
        c.hid = 0
        self.emitting = not dead
        return 0

    cdef int reset_inits(self, Ctrl* c) except -1:
        # At else/end: locals set inside the block are uninitialised again (3.0
        # valid/instructions, local initialisation is tracked per block).
        while self.ninits > c.init_height:
            self.ninits -= 1
            self.linit[self.inits[self.ninits]] = 0
        return 0

    cdef int mark_init(self, int l) except -1:
        if self.linit[l]:
            return 0
        if self.ninits >= self.inits_cap:
            self.inits_cap *= 2
            self.inits = <int32_t*>realloc(self.inits, sizeof(int32_t) * self.inits_cap)
            if self.inits == NULL:
                raise MemoryError()
        self.linit[l] = 1
        self.inits[self.ninits] = l
        self.ninits += 1
        return 0

    cdef int set_unreachable(self) except -1:
        cdef Ctrl* c = &self.cs[self.cn - 1]
        self.vn = c.height
        c.unreachable = 1
        self.emitting = False
        return 0

    cdef inline int label_type_count(self, Ctrl* c):
        return self.tnp[c.type_index] if c.kind == C_LOOP else self.tnr[c.type_index]

    cdef inline uint32_t label_type_off(self, Ctrl* c):
        return self.toff[c.type_index] + (0 if c.kind == C_LOOP else self.tnp[c.type_index])

    # ------------------------------------------------------------------ producers
    cdef int produce(self, uint32_t op, vtype rt) except -1:
        # Start an instruction whose first operand is the destination slot of a new value.
        cdef uint32_t dst = self.push_slot(rt)
        if self.last_dst >= 0 and self.last_end == self.n:
            self.prev_start = self.last_start        # (a producer ending where this one begins)
            self.prev_op = self.last_op
        else:
            self.prev_start = -1
        self.last_start = self.n
        self.last_op = op
        self.emit(op)
        self.last_dst = self.n
        self.emit(dst)
        return 0

    cdef inline void end_producer(self):
        self.last_end = self.n

    cdef int note_instr(self) except -1:
        # instruction_offsets: a wasm instruction begins at self.pos
        if self.rec_end:
            self.rec_end[len(self.rec_end) - 1] = self.n
        self.rec_start.append(self.n)
        self.rec_end.append(self.n)
        self.rec_at.append(self.base_offset + self.pos)
        return 0

    cdef int note_retract(self, Py_ssize_t s) except -1:
        # instruction_offsets: the current instruction rewrites the code from word s on (fusion)
        cdef Py_ssize_t k = len(self.rec_start) - 1
        if k >= 0 and s < self.rec_start[k]:
            self.rec_start[k] = s
        return 0

    # ------------------------------------------------------------------ the body
    def lower_function(self, int func_index, int type_index, list local_runs, bytes body,
                       Py_ssize_t offset):
        """Validate and lower one function body; returns (entry, nparams, nresults, nlocals,
        nslots, cost) in words/slots, cost being the fuel a call charges (instructions outside
        loops, at least 1). Raises DecodeError or ValidationError (spec 3.3.10, 5.5.13)."""
        cdef int i, k, total, np_, nr
        cdef uint32_t s
        cdef Py_ssize_t entry = self.n
        cdef vtype t
        self.func_index = func_index
        self.p = <const uint8_t*>PyBytes_AS_STRING(body)
        self.pos = 0
        self.end = PyBytes_GET_SIZE(body)
        self.base_offset = offset
        np_ = self.tnp[type_index]
        nr = self.tnr[type_index]
        if np_ + sum([run[0] for run in local_runs]) > MAX_LOCALS:
            self.invalid("too many locals")
        total = np_ + sum([run[0] for run in local_runs])
        free(self.ltype); free(self.lslot)
        self.ltype = <vtype*>malloc(sizeof(vtype) * (total + 1))
        self.lslot = <uint32_t*>malloc(sizeof(uint32_t) * (total + 1))
        if self.ltype == NULL or self.lslot == NULL:
            raise MemoryError()
        free(self.linit)
        self.linit = <uint8_t*>malloc(total + 1)
        if self.linit == NULL:
            raise MemoryError()
        k = 0
        s = 0
        for i in range(np_):
            t = self.tdata[self.toff[type_index] + i]
            self.ltype[k] = t; self.lslot[k] = s; self.linit[k] = 1; s += slot_size(t); k += 1
        cdef uint32_t param_slots = s
        for cnt, name in local_runs:
            t = code_of(self, name)
            check_exnref(self, t, "exnref local")
            for i in range(cnt):
                self.ltype[k] = t; self.lslot[k] = s; self.linit[k] = defaultable(t)
                s += slot_size(t); k += 1
        self.ninits = 0
        self.nlocals = total
        self.nloc = s
        self.vn = 0
        self.cn = 0
        self.max_pos = 0
        self.icount = 0
        self.flat = 0
        self.loops = 0
        self.emitting = True
        self.last_dst = -1
        self.last_end = -1
        self.last_copy = -1
        self.nhandlers = 0
        self.ret_chain = NO_CHAIN
        cdef Py_ssize_t first_handler = len(self.htab)
        self.push_ctrl(C_FUNC, type_index)
        self.body()
        if self.ret_chain != NO_CHAIN:
            # catch clauses that target the function's label: their values are in fp[0..]
            self.patch_hchain(self.ret_chain, <uint32_t>self.n)
            self.start(OP_return)
        if self.nhandlers:
            self.hfuncs.append((entry, first_handler, self.nhandlers))
        cdef uint32_t res_slots = 0
        for i in range(nr):
            res_slots += slot_size(self.tdata[self.toff[type_index] + np_ + i])
        cdef uint32_t nslots = self.nloc + self.max_pos
        if nslots < res_slots:
            nslots = res_slots
        return (entry, param_slots, res_slots, self.nloc, nslots, max(self.flat, 1))

    def instruction_offsets(self, int func_index, int type_index, list local_runs, bytes body,
                            Py_ssize_t offset):
        """Lower one function body (arguments as lower_function) recording where each wasm
        instruction went: returns (starts, ends, offsets), per instruction in order, the code
        words [start, end) from the function's entry written while lowering it (a fused
        instruction's range includes the words it took over) and its byte offset in the module
        binary. The core op at word w implements the last instruction whose range holds w.
        Only for a trap's backtrace (Trap.frames): lowering itself records nothing."""
        self.rec_start = []
        self.rec_end = []
        self.rec_at = []
        try:
            entry = self.lower_function(func_index, type_index, local_runs, body, offset)[0]
            if self.rec_end:
                self.rec_end[len(self.rec_end) - 1] = self.n
            return ([x - entry for x in self.rec_start], [x - entry for x in self.rec_end],
                    self.rec_at)
        finally:
            self.rec_start = self.rec_end = self.rec_at = None

    def finish(self):
        """Hand the code over as a LoweredModule (the Lowerer is spent)."""
        cdef LoweredModule m = LoweredModule()
        cdef Py_ssize_t i, hdr
        m.code = self.code
        m.n = self.n
        self.code = NULL
        m.funcs = []
        m.htab = NULL
        m.nh = 0
        if self.hfuncs:
            # header: F, then (entry, first, count) per function; offsets count from word 0
            hdr = 1 + 3 * len(self.hfuncs)
            words = [len(self.hfuncs)]
            for entry, first, count in self.hfuncs:
                words += [entry, hdr + first, count]
            words += self.htab
            m.nh = len(words)
            m.htab = <uint32_t*>malloc(sizeof(uint32_t) * m.nh)
            if m.htab == NULL:
                raise MemoryError()
            for i in range(m.nh):
                m.htab[i] = words[i] & 0xFFFFFFFF     # (NO_TAG reads as -1 in Python)
        return m

    cdef int body(self) except -1:
        # The dispatcher (spec 5.4 decoding, 3.3 typing): the opcode table's generated W_*
        # arrays (optable.pxi) classify each instruction. The regular kinds (unary, binary),
        # the constants and local.get/set/tee are lowered here; every other instruction by its
        # family's function: lower_control.pxi (blocks, branches, select, globals),
        # lower_calls.pxi, lower_memory.pxi, lower_refs.pxi (references, tables),
        # lower_exceptions.pxi, lower_simd.pxi (kind 5, the 0xFD group), lower_gc.pxi (the
        # 0xFB group and ref.eq).
        cdef int b, idx, kind, i, j, l
        cdef int64_t x
        cdef uint32_t sa, sb, sc, op
        while True:
            if self.pos >= self.end:
                self.malformed("unexpected end of section or function")
            b = self.p[self.pos]
            if self.rec_at is not None:
                self.note_instr()
            self.pos += 1
            self.icount += 1
            if self.loops == 0:
                self.flat += 1
            if b == 0xFC:
                x = self.u32()
                if x >= WASM_FC_COUNT:
                    self.malformed(f"illegal opcode fc {x:x}")
                idx = WASM_FC_BASE + <int>x
            elif b == 0xFD:
                x = self.u32()
                if x >= WASM_FD_COUNT:
                    self.malformed(f"illegal opcode fd {x:x}")
                idx = WASM_FD_BASE + <int>x
            elif b == 0xFB:
                x = self.u32()
                if x >= WASM_FB_COUNT:
                    self.malformed(f"illegal opcode fb {x:x}")
                idx = WASM_FB_BASE + <int>x
            else:
                idx = b
            if not W_KNOWN[idx]:
                self.malformed(f"illegal opcode {b:02x}")
            if W_FEAT[idx] & self.feat_off:
                self.disabled_op(idx)
            kind = W_KIND[idx]
            if kind == 5:                                   # SIMD (0xFD)
                lower_simd(self, idx)
            elif kind == 2:                                 # binary
                j = self.pop(W_P1[idx])
                i = self.pop(W_P0[idx])
                if self.emitting:
                    if self.vk[i] == K_CONST and self.vk[j] != K_CONST and W_COMM[idx]:
                        i, j = j, i
                    if self.vk[j] == K_CONST:
                        x = <int64_t>self.vv[j]
                        op = W_RI[idx]
                        if op == OP_i32_and_ri and self.last_op == OP_i32_shr_u_ri and fusable(self, i):
                            # (a >> k) & mask: one superinstruction
                            fuse_last(self, &sa, &sb)
                            self.produce(OP_i32_shr_u_and_ri, W_R[idx])
                            self.emit(sa)
                            self.emit(sb)
                            self.emit(<uint32_t>x)
                            self.end_producer()
                            continue
                        sa = self.operand(i)
                        self.produce(op, W_R[idx])
                        self.emit(sa)
                        if W_P1[idx] == T_I64 or W_P1[idx] == T_F64:
                            self.emit64(<uint64_t>x)
                        else:
                            self.emit(<uint32_t>x)
                    elif W_P0[idx] == T_F64 and (fusable(self, i) or fusable(self, j)) and \
                            self.vk[i if fusable(self, j) else j] != K_CONST and \
                            f64_pair(self.last_op, W_OP[idx], fusable(self, j)) != 0:
                        # (a X b) Y c or c Y (a X b): one f64 superinstruction (gen_core F64_PAIRS);
                        # not with a constant c, whose operand() would emit code before the
                        # instruction fuse_last removes
                        op = f64_pair(self.last_op, W_OP[idx], fusable(self, j))
                        sc = self.operand(i if fusable(self, j) else j)
                        fuse_last(self, &sa, &sb)
                        self.produce(op, W_R[idx])
                        self.emit(sa)
                        self.emit(sb)
                        self.emit(sc)
                    elif W_OP[idx] == OP_i32_xor and (self.last_op == OP_i32_rotl_ri
                            or self.last_op == OP_i32_shr_u_ri or self.last_op == OP_i32_shl_ri) and (
                            fusable(self, i) or fusable(self, j)):
                        # (a <shift> k) ^ b, either operand order: one superinstruction
                        op = (OP_i32_rotl_xor_ri if self.last_op == OP_i32_rotl_ri else
                              OP_i32_shr_u_xor_ri if self.last_op == OP_i32_shr_u_ri else
                              OP_i32_shl_xor_ri)
                        sb = self.operand(j if fusable(self, i) else i)
                        fuse_last(self, &sa, &sc)
                        self.produce(op, W_R[idx])
                        self.emit(sa)
                        self.emit(sc)
                        self.emit(sb)
                    elif W_OP[idx] == OP_i32_add and self.last_op == OP_i32_shl_ri and (
                            fusable(self, i) or fusable(self, j)):
                        # (a << k) + b, either operand order: one superinstruction
                        sb = self.operand(j if fusable(self, i) else i)
                        fuse_last(self, &sa, &op)
                        self.produce(OP_i32_shl_add_ri, W_R[idx])
                        self.emit(sa)
                        self.emit(op)
                        self.emit(sb)
                    else:
                        sa = self.operand(i)
                        sb = self.operand(j)
                        self.produce(W_OP[idx], W_R[idx])
                        self.emit(sa)
                        self.emit(sb)
                    self.end_producer()
                else:
                    self.push(W_R[idx], K_SLOT, 0)
            elif kind == 1:                                 # unary
                i = self.pop(W_P0[idx])
                if self.emitting:
                    if W_OP[idx] == OP_i32_eqz and self.last_op == OP_i32_and_ri and fusable(self, i):
                        # (a & mask) == 0: one superinstruction (and a branch on it, one more)
                        fuse_last(self, &sa, &sb)
                        self.produce(OP_i32_and_eqz_ri, T_I32)
                        self.emit(sa)
                        self.emit(sb)
                        self.end_producer()
                        continue
                    sa = self.operand(i)
                    self.produce(W_OP[idx], W_R[idx])
                    self.emit(sa)
                    self.end_producer()
                else:
                    self.push(W_R[idx], K_SLOT, 0)
            elif kind == 3 or kind == 4:                    # load / store
                lower_access(self, idx, kind)
            elif b == 0x20:                                 # local.get
                l = local_index(self)
                if not self.linit[l]:
                    self.invalid("uninitialized local")
                self.push(self.ltype[l], K_LOCAL, self.lslot[l])
            elif b == 0x21 or b == 0x22:                    # local.set / local.tee
                l = local_index(self)
                i = self.pop(self.ltype[l])
                if not self.linit[l]:
                    self.mark_init(l)
                if self.emitting:
                    set_local(self, l, i, b == 0x22)
                elif b == 0x22:
                    self.push(self.ltype[l], K_SLOT, 0)
            elif b == 0x41:                                 # i32.const
                x = self.sleb(32)
                self.push(T_I32, K_CONST, <uint32_t>x)
            elif b == 0x42:
                x = self.sleb(64)
                self.push(T_I64, K_CONST, <uint64_t>x)
            elif b == 0x43:
                self.push(T_F32, K_CONST, self.fixed(4))
            elif b == 0x44:
                self.push(T_F64, K_CONST, self.fixed(8))
            elif b == 0x02 or b == 0x03 or b == 0x04:       # block / loop / if
                lower_block(self, b)
            elif b == 0x05:
                lower_else(self)
            elif b == 0x0B:
                if lower_end(self):                         # the function's end
                    return 0
            elif b == 0x0C:
                lower_br(self)
            elif b == 0x0D:
                lower_br_if(self)
            elif b == 0x0E:
                lower_br_table(self)
            elif b == 0x08:
                lower_throw(self)
            elif b == 0x0A:
                lower_throw_ref(self)
            elif b == 0x1F:
                try_table(self)
            elif b == 0x06:
                lower_try(self)
            elif b == 0x07 or b == 0x19:                    # catch x / catch_all (legacy)
                legacy_catch(self, b == 0x19)
            elif b == 0x18:                                 # delegate l (legacy)
                delegate(self)
            elif b == 0x09:
                lower_rethrow(self)
            elif b == 0x0F:
                lower_return(self)
            elif b == 0x00:
                lower_unreachable(self)
            elif b == 0x01:                                 # nop
                pass
            elif b == 0x10 or b == 0x11 or b == 0x14:       # call / call_indirect / call_ref
                lower_call_op(self, b)
            elif b == 0x1A:                                 # drop
                self.pop_any()
            elif b == 0x1B or b == 0x1C:                    # select
                lower_select(self, b == 0x1C)
            elif b == 0x23 or b == 0x24:                    # global.get / global.set
                lower_global(self, b == 0x24)
            elif b == 0x3F or b == 0x40:                    # memory.size / memory.grow
                lower_memory_size_grow(self, b == 0x40)
            elif b == 0xD0 or b == 0xD1 or b == 0xD2 or b == 0xD4:
                lower_ref(self, b)
            elif b == 0xD5 or b == 0xD6:                    # br_on_null / br_on_non_null
                br_on_null(self, b == 0xD5)
            elif b == 0x12 or b == 0x13 or b == 0x15:       # return_call / _indirect / _ref
                lower_return_call(self, b)
            elif b == 0x25 or b == 0x26:                    # table.get / table.set
                lower_table_get_set(self, b == 0x26)
            elif idx >= WASM_FB_BASE:                       # GC (0xFB)
                lower_gc(self, idx - WASM_FB_BASE)
            elif b == 0xD3:                                 # ref.eq
                lower_ref_eq(self)
            elif idx >= WASM_FC_BASE and 8 <= idx - WASM_FC_BASE <= 11:
                lower_bulk_memory(self, idx - WASM_FC_BASE)
            elif idx >= WASM_FC_BASE and 12 <= idx - WASM_FC_BASE <= 17:
                lower_table_op(self, idx - WASM_FC_BASE)
            elif idx >= WASM_FC_BASE and idx < WASM_FD_BASE:
                # 0..7: the saturating truncations are regular (unary) ops, handled above
                self.malformed(f"illegal opcode fc {idx - WASM_FC_BASE:x}")
            else:
                self.malformed(f"illegal opcode {b:02x}")














































# The instruction families, as module-level functions taking the Lowerer (Cython allows no
# `include` inside a class body); body() above dispatches to them.
include "lower_setup.pxi"
include "lower_types.pxi"
include "lower_control.pxi"
include "lower_calls.pxi"
include "lower_memory.pxi"
include "lower_refs.pxi"
include "lower_exceptions.pxi"
include "lower_simd.pxi"
include "lower_gc.pxi"


def lower_module(list types, list func_types, int nimported, list codes, list globals,
                 list tables, list mems, list elem_types, ndatas, refs, features=None,
                 list table_addrs=None, tags=(), tuple typeinfo=None, list fields=None):
    """Validate and pre-decode every function body of a module (spec 3.3, 3.4.1; 5.5.13).

    ``types``: [(params, results)] as tuples of value type names; ``func_types``: the type index
    of every function in the index space (imports first, ``nimported`` of them); ``codes``:
    [(local_runs, body_bytes, byte_offset)] per defined function; the rest is the module
    context and the enabled features' bits (see Lowerer.setup; ``tags``: the type index of each
    tag; ``fields``: the field types of struct and array types). Returns a LoweredModule whose ``funcs`` gives, per defined
    function, (entry, nparams, nresults, nlocals, nslots). Raises DecodeError (malformed body)
    or ValidationError (invalid body).
    """
    cdef Lowerer lw = Lowerer()
    lw.setup(types, func_types, globals, tables, mems, elem_types, ndatas, refs, features,
             table_addrs, tags, typeinfo, fields)
    funcs = []
    for k, (local_runs, body, offset) in enumerate(codes):
        funcs.append(lw.lower_function(nimported + k, func_types[nimported + k], local_runs,
                                       body, offset))
    m = lw.finish()
    m.funcs = funcs
    return m
