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
from whisk.errors import DecodeError, ValidationError

include "optable.pxi"
fill_optable()

# Value types (3.0 syntax/types) as one uint32 ``vtype``: a number or vector type is its binary
# code (0x7F i32 .. 0x7B v128); a reference type sets REF_BIT, NULL_BIT if nullable, and holds
# its heap type in the bits from HEAP_SHIFT up: an abstract heap type H_FUNC .. H_NONE, or
# H_CONCRETE + a type index of the module. T_UNKNOWN (0) is the bottom type of unreachable code.
# Subtyping (3.0 valid/matching) is ``sub(a, b)``: equality first, then the rules in heap_sub.
ctypedef uint32_t vtype

cdef enum:
    T_UNKNOWN = 0
    T_I32 = 0x7F
    T_I64 = 0x7E
    T_F32 = 0x7D
    T_F64 = 0x7C
    T_V128 = 0x7B
    REF_BIT = 0x100
    NULL_BIT = 0x200
    HEAP_SHIFT = 12
    H_FUNC = 1
    H_EXTERN = 2
    H_EXN = 3
    H_NOFUNC = 4
    H_NOEXTERN = 5
    H_NOEXN = 6
    H_ANY = 7
    H_EQ = 8
    H_I31 = 9
    H_STRUCT = 10
    H_ARRAY = 11
    H_NONE = 12
    H_CONCRETE = 16
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
    cdef int tcap                # capacity of toff/tnp/tnr (pseudo types are added on demand)
    cdef uint32_t tdcap          # capacity of tdata
    cdef uint32_t tdn            # entries used in tdata
    cdef uint8_t* linit          # per local: initialised (3.0 valid/instructions, local.get)
    cdef int32_t* inits          # locals set since the enclosing blocks began (to reset at end)
    cdef int ninits, inits_cap
    cdef bint typed_refs         # the function_references feature: (ref null? ht), heap types
    cdef bint exn_refs           # the exceptions feature: exnref, nullexnref
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

    def setup(self, list types, list func_types, list globals, list tables, list mems,
              list elem_types, ndatas, refs, features=None, list table_addrs=None,
              tags=(), tuple typeinfo=None):
        """Module context (spec 3.1.1, C): ``types`` [(params, results)] of value types (names
        or whisk.types.RefType; struct and array types give ((), ())), ``func_types`` type
        index per function, ``globals`` [(valtype, mutable)], ``tables`` [reftype], ``mems``
        the address type of each memory ("i32" or "i64"), ``elem_types`` [reftype], ``ndatas``
        (None: no data count section), ``refs`` the function indices in C.refs, ``features``
        the enabled features' bits (``whisk.features.Features.mask``; None: all),
        ``table_addrs`` the address type of each table (default all "i32"), ``tags`` the type
        index of each tag, ``typeinfo``
        (kinds, supers, canonical ids) per type (None: all function types, final, distinct;
        kinds and supers None: all function types without supertypes). An instruction whose
        feature (opcode table, W_FEAT) is disabled is malformed ("relaxed SIMD is not
        enabled"); code that checks a non-instruction feature here tests ``self.feat_off &
        <bit>`` (bit i is ``whisk.features.FEATURE_NAMES[i]``) and reports with
        ``self.disabled_feature(name)``."""
        cdef int i, j, k, total = 0
        self.feat_off = 0 if features is None else <uint32_t>(~<uint64_t>features & 0xFFFFFFFF)
        from whisk.features import feature_bit, FEATURE_NAMES
        assert feature_bit("exceptions") == FEAT_EXCEPTIONS
        self.ntypes = len(types)
        if self.ntypes > MAX_TYPES:
            raise ValidationError("too many types")
        self.tkind = <uint8_t*>malloc(self.ntypes + 1)
        self.tsuper = <int32_t*>malloc(sizeof(int32_t) * (self.ntypes + 1))
        self.tcanon = <uint32_t*>malloc(sizeof(uint32_t) * (self.ntypes + 1))
        if self.tkind == NULL or self.tsuper == NULL or self.tcanon == NULL:
            raise MemoryError()
        kinds = supers = canon = None
        if typeinfo is not None:
            kinds, supers, canon = typeinfo
        for i in range(self.ntypes):
            self.tkind[i] = 0 if kinds is None else kinds[i]
            self.tsuper[i] = -1 if supers is None else supers[i]
            self.tcanon[i] = i if canon is None else canon[i]
        for params, results in types:
            total += len(params) + len(results)
        self.tcap = self.ntypes + 16
        self.tdcap = total + 16
        self.tdata = <vtype*>malloc(sizeof(vtype) * self.tdcap)
        self.toff = <uint32_t*>malloc(sizeof(uint32_t) * self.tcap)
        self.tnp = <uint32_t*>malloc(sizeof(uint32_t) * self.tcap)
        self.tnr = <uint32_t*>malloc(sizeof(uint32_t) * self.tcap)
        if self.tdata == NULL or self.toff == NULL or self.tnp == NULL or self.tnr == NULL:
            raise MemoryError()
        k = 0
        for i, (params, results) in enumerate(types):
            self.toff[i] = k
            self.tnp[i] = len(params)
            self.tnr[i] = len(results)
            for t in params:
                self.tdata[k] = self.code_of(t); k += 1
            for t in results:
                self.tdata[k] = self.code_of(t); k += 1
        self.tdn = k
        self.ntypes_ext = self.ntypes
        self.add_pseudo(0, 0, 0)                 # [] -> [] at index ntypes (block type 0x40)
        self.nfuncs = len(func_types)
        self.ftype = <uint32_t*>malloc(sizeof(uint32_t) * (self.nfuncs + 1))
        self.refs = <uint8_t*>malloc(self.nfuncs + 1)
        memset(self.refs, 0, self.nfuncs + 1)
        for i in range(self.nfuncs):
            self.ftype[i] = func_types[i]
        for i in refs:
            if 0 <= i < self.nfuncs:
                self.refs[i] = 1
        self.nglobals = len(globals)
        self.gtype = <vtype*>malloc(sizeof(vtype) * (self.nglobals + 1))
        self.gmut = <uint8_t*>malloc(self.nglobals + 1)
        for i, (t, m) in enumerate(globals):
            self.gtype[i] = self.code_of(t)
            self.gmut[i] = 1 if m else 0
        self.ntables = len(tables)
        self.ttype = <vtype*>malloc(sizeof(vtype) * (self.ntables + 1))
        for i, t in enumerate(tables):
            self.ttype[i] = self.code_of(t)
        self.nmems = len(mems)
        self.maddr = <uint8_t*>malloc(self.nmems + 1)
        for i, t in enumerate(mems):
            self.maddr[i] = 1 if t == "i64" else 0
        self.taddr = <uint8_t*>malloc(self.ntables + 1)
        for i in range(self.ntables):
            self.taddr[i] = 1 if table_addrs is not None and table_addrs[i] == "i64" else 0
        from whisk.features import feature_bit
        self.multi_memory = not (self.feat_off & feature_bit("multi_memory"))
        self.memory64 = not (self.feat_off & feature_bit("memory64"))
        # messages that differ between the 2.0 and 3.0 reference interpreters follow 3.0 when
        # any 3.0 feature is on
        wasm3 = ((1 << len(FEATURE_NAMES)) - 1) & ~feature_bit("simd")   # the 3.0 features
        self.wasm3_messages = (self.feat_off & wasm3) != wasm3
        self.typed_refs = not (self.feat_off & feature_bit("function_references"))
        self.exn_refs = not (self.feat_off & feature_bit("exceptions"))
        self.nelems = len(elem_types)
        self.etype = <vtype*>malloc(sizeof(vtype) * (self.nelems + 1))
        for i, t in enumerate(elem_types):
            self.etype[i] = self.code_of(t)
        self.ndatas = -1 if ndatas is None else ndatas
        self.ntags = len(tags)
        self.tagtype = <uint32_t*>malloc(sizeof(uint32_t) * (self.ntags + 1))
        if self.tagtype == NULL:
            raise MemoryError()
        for i, t in enumerate(tags):
            self.tagtype[i] = t
        self.htab = []
        self.hfuncs = []
        self.hpend = []
        self.vcap = 64
        self.vt = <vtype*>malloc(sizeof(vtype) * self.vcap)
        self.vk = <uint8_t*>malloc(self.vcap)
        self.vv = <uint64_t*>malloc(sizeof(uint64_t) * self.vcap)
        self.vp = <uint32_t*>malloc(sizeof(uint32_t) * self.vcap)
        self.ccap = 16
        self.cs = <Ctrl*>malloc(sizeof(Ctrl) * self.ccap)
        self.labels_cap = 16
        self.labels = <uint32_t*>malloc(sizeof(uint32_t) * self.labels_cap)
        self.inits_cap = 16
        self.inits = <int32_t*>malloc(sizeof(int32_t) * self.inits_cap)
        self.cap = 1024
        self.code = <uint32_t*>malloc(sizeof(uint32_t) * self.cap)
        self.n = 0
        if (self.tdata == NULL or self.vt == NULL or self.vk == NULL or self.vv == NULL
                or self.vp == NULL or self.cs == NULL or self.code == NULL or self.labels == NULL):
            raise MemoryError()

    cdef vtype code_of(self, object t) except? 0xFFFFFFFF:
        # A value type from Python (a name or a whisk.types.RefType) as a vtype.
        cdef object c
        if type(t) is str:
            c = _NUM_CODES.get(t)
            if c is not None:
                return c
        heap = getattr(t, "heap", None)
        if isinstance(heap, int):
            if heap >= self.ntypes:
                raise ValidationError(f"unknown type {heap}")
            return ref_vt(t.nullable, H_CONCRETE + heap)
        if isinstance(heap, str) and heap in _HEAP_BY_NAME:
            return ref_vt(t.nullable, _HEAP_BY_NAME[heap])
        raise ValueError(f"unknown value type {t!r}")

    cdef int add_pseudo(self, int np_, int nr, vtype t) except -1:
        # Append the type [] -> [t] (nr == 1) or [] -> [] to the extended type table.
        cdef int ti = self.ntypes_ext
        if ti >= self.tcap:
            self.tcap *= 2
            self.toff = <uint32_t*>realloc(self.toff, sizeof(uint32_t) * self.tcap)
            self.tnp = <uint32_t*>realloc(self.tnp, sizeof(uint32_t) * self.tcap)
            self.tnr = <uint32_t*>realloc(self.tnr, sizeof(uint32_t) * self.tcap)
            if self.toff == NULL or self.tnp == NULL or self.tnr == NULL:
                raise MemoryError()
        if self.tdn + 1 >= self.tdcap:
            self.tdcap *= 2
            self.tdata = <vtype*>realloc(self.tdata, sizeof(vtype) * self.tdcap)
            if self.tdata == NULL:
                raise MemoryError()
        self.toff[ti] = self.tdn
        self.tnp[ti] = 0
        self.tnr[ti] = nr
        if nr:
            self.tdata[self.tdn] = t
            self.tdn += 1
        self.ntypes_ext += 1
        return ti

    cdef int single_type(self, vtype t) except -1:
        # The (extended) type index of the block type [] -> [t].
        cdef int i
        for i in range(self.ntypes + 1, self.ntypes_ext):
            if self.tdata[self.toff[i]] == t:
                return i
        return self.add_pseudo(0, 1, t)

    # ------------------------------------------------------------------ subtyping (3.0 valid/matching)
    cdef bint sub(self, vtype a, vtype b):
        # a matches b: a <: b. T_UNKNOWN (bottom) matches everything.
        if a == b or a == T_UNKNOWN or b == T_UNKNOWN:
            return True
        if not (a & REF_BIT) or not (b & REF_BIT):
            return False
        if (a & NULL_BIT) and not (b & NULL_BIT):
            return False
        return self.heap_sub(heap_of(a), heap_of(b))

    cdef bint heap_sub(self, uint32_t ha, uint32_t hb):
        cdef int x, y, kind
        if ha == hb:
            return True
        if ha >= H_CONCRETE and hb >= H_CONCRETE:
            x = ha - H_CONCRETE
            y = hb - H_CONCRETE
            while x >= 0:
                if self.tcanon[x] == self.tcanon[y]:
                    return True
                x = self.tsuper[x]
            return False
        if ha >= H_CONCRETE:
            kind = self.tkind[ha - H_CONCRETE]
            if kind == 0:
                return hb == H_FUNC
            return hb == H_ANY or hb == H_EQ or hb == (H_STRUCT if kind == 1 else H_ARRAY)
        if hb >= H_CONCRETE:
            return ha == (H_NOFUNC if self.tkind[hb - H_CONCRETE] == 0 else H_NONE)
        if hb == H_FUNC:
            return ha == H_NOFUNC
        if hb == H_EXTERN:
            return ha == H_NOEXTERN
        if hb == H_EXN:
            return ha == H_NOEXN
        if hb == H_ANY:
            return ha == H_EQ or ha == H_I31 or ha == H_STRUCT or ha == H_ARRAY or ha == H_NONE
        if hb == H_EQ:
            return ha == H_I31 or ha == H_STRUCT or ha == H_ARRAY or ha == H_NONE
        if hb == H_I31 or hb == H_STRUCT or hb == H_ARRAY:
            return ha == H_NONE
        return False

    cdef uint32_t heaptype(self) except 0:
        # A heap type (3.0 binary/types): an abstract code byte or a non-negative s33 index.
        cdef int64_t x
        cdef int b
        if self.pos >= self.end:
            self.malformed("unexpected end of section or function")
        b = self.p[self.pos]
        if HEAP_CODE[b]:
            if not self.typed_refs and b != 0x70 and b != 0x6F:
                self.check_ref_feature(b, "malformed reference type")
            self.pos += 1
            return HEAP_CODE[b]
        if not self.typed_refs:
            self.ref_disabled("function_references", "malformed reference type")
        x = self.sleb(33)
        if x < 0:
            self.malformed("malformed heap type")
        if x >= self.ntypes:
            self.invalid(f"unknown type {x}")
        return H_CONCRETE + <uint32_t>x

    cdef int check_ref_feature(self, int b, str what) except -1:
        # A reference shorthand beyond funcref/externref with typed references off: exnref and
        # nullexnref are the exceptions feature's, the rest typed function references'.
        if b == 0x69 or b == 0x74:
            if not self.exn_refs:
                self.ref_disabled("exceptions", what)
            return 0
        return self.ref_disabled("function_references", what)

    cdef int ref_disabled(self, str name, str what) except -1:
        # The 2.0 decoder's message for what it meets, then the feature that would allow it.
        from whisk.features import disabled_message
        return self.malformed(f"{what} ({disabled_message(name)})")

    cdef vtype valtype(self) except 0:
        # A value type (spec 5.3.4; 3.0 binary/types): a number/vector code, a reference
        # shorthand, or 0x63 (ref null ht) / 0x64 (ref ht).
        cdef int b = self.byte()
        if is_num(b):
            return b
        if HEAP_CODE[b]:
            if not self.typed_refs and b != 0x70 and b != 0x6F:
                self.pos -= 1
                self.check_ref_feature(b, "malformed value type")
                self.pos += 1
            return ref_vt(True, HEAP_CODE[b])
        if b == 0x63 or b == 0x64:
            if not self.typed_refs:
                self.pos -= 1
                self.ref_disabled("function_references", "malformed value type")
            return ref_vt(b == 0x63, self.heaptype())
        if b & 0x80:
            self.malformed("integer representation too long")
        self.pos -= 1
        self.malformed("malformed value type")
        return 0

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
        if idx >= WASM_FD_BASE:
            key = (0xFD << 16) | (idx - WASM_FD_BASE)
        elif idx >= WASM_FC_BASE:
            key = (0xFC << 16) | (idx - WASM_FC_BASE)
        op = BY_CODE[key]
        if idx < 256:                   # a single-byte opcode: 2.0 decoders say "illegal opcode"
            from whisk.features import disabled_message
            self.malformed(f"illegal opcode {idx:02x}: {disabled_message(op.feature)} ({op.name})")
        self.disabled_feature(op.feature, op.name)

    cdef inline int check_exnref(self, vtype t, str what) except -1:
        # exnref (0x69) is a type of the exceptions feature
        if t == T_EXNREF and self.feat_off & FEAT_EXCEPTIONS:
            self.disabled_feature("exceptions", what)
        return 0

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
            return self.single_type(self.valtype())
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
            self.start(OP_const32); self.emit(dst); self.emit(<uint32_t>bits)
        else:
            self.start(OP_const64); self.emit(dst); self.emit64(bits)
        return 0

    cdef int emit_copy(self, uint32_t dst, uint32_t src, vtype t) except -1:
        if dst != src:
            self.start(OP_copy2 if t == T_V128 else OP_copy); self.emit(dst); self.emit(src)
        return 0

    cdef void place_label(self):
        # A branch target begins here: no peephole may look back across it.
        self.last_dst = -1
        self.last_end = -1

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
        if i >= 0 and self.vt[i] != expect and not self.sub(self.vt[i], expect):
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

    cdef int pop_label(self, int l, int* first) except -1:
        # Pop label l's types; first[0] = index of the first popped entry (entries stay readable).
        cdef Ctrl* c = &self.cs[self.cn - 1 - l]
        cdef int k, cnt = self.label_type_count(c)
        cdef uint32_t off = self.label_type_off(c)
        for k in range(cnt - 1, -1, -1):
            self.pop(self.tdata[off + k])
        first[0] = self.vn
        return cnt

    cdef int label_index(self) except -1:
        cdef int64_t l = self.u32()
        if l >= self.cn:
            self.invalid("unknown label")
        return <int>l

    # ------------------------------------------------------------------ branches
    cdef bint needs_copies(self, int l, int first, int cnt):
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

    cdef inline bint is_back(self, int l):
        # A branch to a loop goes backward: the loop polls there (fuel, interruption).
        return self.cs[self.cn - 1 - l].kind == C_LOOP

    cdef int emit_target(self, int l) except -1:
        # The target word of a branch to label l; for a backward branch also its fuel cost, the
        # instructions from the loop's start to here.
        cdef Ctrl* c = &self.cs[self.cn - 1 - l]
        if c.kind == C_LOOP:
            self.emit(c.target)
            return self.emit(self.icount - c.icount)
        self.emit(c.fixups)
        c.fixups = <uint32_t>(self.n - 1)
        return 0

    cdef int prep_return(self, int first, int cnt) except -1:
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

    cdef int emit_return(self, int first, int cnt) except -1:
        # Results (entries first..first+cnt) to fp[0..], then return. Copies in increasing
        # order of destination never overwrite a later source (sources sit at or above their
        # destinations once prep_return has run).
        cdef int k
        cdef uint32_t dst = 0
        self.prep_return(first, cnt)
        for k in range(cnt):
            self.move_to(first + k, dst)
            dst += slot_size(self.vt[first + k])
        return self.start(OP_return)

    cdef int move_to(self, int i, uint32_t dst) except -1:
        if self.vk[i] == K_CONST:
            return self.emit_const(dst, self.vt[i], self.vv[i])
        return self.emit_copy(dst, self.operand(i), self.vt[i])

    cdef int emit_branch(self, int l, int first, int cnt) except -1:
        # Unconditional branch to label l carrying entries first..first+cnt.
        cdef Ctrl* c = &self.cs[self.cn - 1 - l]
        cdef int k
        cdef uint32_t dst
        if c.kind == C_FUNC:
            return self.emit_return(first, cnt)
        dst = self.nloc + c.base_pos
        for k in range(cnt):
            self.move_to(first + k, dst)
            dst += slot_size(self.vt[first + k])
        self.start(OP_br_back if c.kind == C_LOOP else OP_br)
        return self.emit_target(l)

    cdef bint fusable(self, int i):
        # Was entry i produced by the instruction just emitted (so that it can be rewritten)?
        return (i >= 0 and self.vk[i] == K_SLOT and self.last_dst >= 0 and self.last_end == self.n
                and self.code[self.last_dst] == self.canon(i))

    cdef bint take_add(self, int i, uint32_t* a, uint32_t* c):
        # If entry i (a memory address about to be consumed) was produced by the i32.add_ri just
        # emitted, remove that add and give its operand slot and constant: the access computes
        # the wrapped sum itself, one dispatch instead of two.
        cdef Py_ssize_t s = self.last_start
        if not (self.fusable(i) and self.last_op == OP_i32_add_ri):
            return False
        a[0] = self.code[s + 2]
        c[0] = self.code[s + 3]
        self.n = s
        self.last_dst = -1
        return True

    cdef int emit_cond(self, int cond, bint negate, bint back) except -1:
        # Emit a conditional branch on entry `cond` (taken when cond != 0, or == 0 if negate),
        # fusing a just-emitted compare or i32.eqz; `back` picks the polling variant of a
        # backward branch. The caller emits the target word(s) (emit_target).
        cdef uint32_t op = self.last_op
        cdef Py_ssize_t k, s = self.last_start, e = self.last_end
        cdef uint32_t words[4]
        cdef int nw = 0
        if self.fusable(cond) and (I_BR[op] != 0 or op == OP_i32_eqz):
            for k in range(s + 2, e):
                words[nw] = self.code[k]
                nw += 1
            self.n = s
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

    # ------------------------------------------------------------------ producers
    cdef int produce(self, uint32_t op, vtype rt) except -1:
        # Start an instruction whose first operand is the destination slot of a new value.
        cdef uint32_t dst = self.push_slot(rt)
        self.last_start = self.n
        self.last_op = op
        self.emit(op)
        self.last_dst = self.n
        self.emit(dst)
        return 0

    cdef inline void end_producer(self):
        self.last_end = self.n

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
            t = self.code_of(name)
            self.check_exnref(t, "exnref local")
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
        cdef int b, idx, kind, i, j, a, c, first, cnt, l, ti
        cdef int64_t x, y
        cdef uint64_t off
        cdef vtype t, t1, t2
        cdef uint32_t sa, sb, sc, dst, op
        cdef Ctrl* fr
        cdef Py_ssize_t here
        while True:
            if self.pos >= self.end:
                self.malformed("unexpected end of section or function")
            b = self.p[self.pos]
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
            else:
                idx = b
            if not W_KNOWN[idx]:
                self.malformed(f"illegal opcode {b:02x}")
            if W_FEAT[idx] & self.feat_off:
                self.disabled_op(idx)
            kind = W_KIND[idx]
            if kind == 5:                                   # SIMD (0xFD)
                self.simd(idx)
            elif kind == 2:                                 # binary
                j = self.pop(W_P1[idx])
                i = self.pop(W_P0[idx])
                if self.emitting:
                    if self.vk[i] == K_CONST and self.vk[j] != K_CONST and W_COMM[idx]:
                        i, j = j, i
                    if self.vk[j] == K_CONST:
                        sa = self.operand(i)
                        x = <int64_t>self.vv[j]
                        op = W_RI[idx]
                        self.produce(op, W_R[idx])
                        self.emit(sa)
                        if W_P1[idx] == T_I64 or W_P1[idx] == T_F64:
                            self.emit64(<uint64_t>x)
                        else:
                            self.emit(<uint32_t>x)
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
                    sa = self.operand(i)
                    self.produce(W_OP[idx], W_R[idx])
                    self.emit(sa)
                    self.end_producer()
                else:
                    self.push(W_R[idx], K_SLOT, 0)
            elif kind == 3 or kind == 4:                    # load / store
                a = self.memarg(W_WIDTH[idx], &off)
                if self.far(a):
                    self.far_access(idx, kind, a, off)
                elif kind == 3:
                    y = <int64_t>off
                    i = self.pop(T_I32)
                    if self.emitting:
                        if self.take_add(i, &sa, &sc):          # address = a + c (i32.add_ri)
                            self.produce(W_ADD[idx], W_R[idx])
                            self.emit(sa); self.emit(sc)
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
                        if self.take_add(i, &sa, &sc):
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
            elif b == 0x20:                                 # local.get
                l = self.local_index()
                if not self.linit[l]:
                    self.invalid("uninitialized local")
                self.push(self.ltype[l], K_LOCAL, self.lslot[l])
            elif b == 0x21 or b == 0x22:                    # local.set / local.tee
                l = self.local_index()
                i = self.pop(self.ltype[l])
                if not self.linit[l]:
                    self.mark_init(l)
                if self.emitting:
                    self.set_local(l, i, b == 0x22)
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
            elif b == 0x02 or b == 0x03:                    # block / loop
                ti = self.blocktype()
                self.enter_block(C_BLOCK if b == 0x02 else C_LOOP, ti, -1)
            elif b == 0x04:                                 # if
                ti = self.blocktype()
                c = self.pop(T_I32)
                self.enter_block(C_IF, ti, c)
            elif b == 0x05:                                 # else
                fr = &self.cs[self.cn - 1]
                if fr.kind != C_IF:
                    self.malformed("unexpected else")   # the binary grammar has else only in if
                self.end_results(fr)
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
            elif b == 0x0B:                                 # end
                fr = &self.cs[self.cn - 1]
                self.end_results(fr)
                if fr.kind == C_IF:
                    if not self.same_params_results(fr.type_index):
                        self.invalid("type mismatch")
                if fr.kind == C_FUNC:
                    if self.emitting:
                        self.emit_return(self.vn, self.tnr[fr.type_index])
                    self.cn -= 1
                    if self.pos != self.end:
                        self.malformed("section size mismatch")
                    return 0
                if fr.kind == C_LOOP:
                    self.loops -= 1
                if fr.kind >= C_TRY_TABLE:
                    self.end_try(fr)
                self.close_block(fr)
            elif b == 0x0C:                                 # br
                l = self.label_index()
                cnt = self.pop_label(l, &first)
                if self.emitting:
                    self.emit_branch(l, first, cnt)
                self.set_unreachable()
            elif b == 0x0D:                                 # br_if
                l = self.label_index()
                c = self.pop(T_I32)
                cnt = self.pop_label(l, &first)
                if self.emitting:
                    self.emit_br_if(l, c, first, cnt)
                    self.vn += cnt                          # the values stay, unchanged
                    self.retype_label(l, first, cnt)        # ... typed as the label's
                else:
                    fr = &self.cs[self.cn - 1 - l]
                    self.push_label_types(fr)
            elif b == 0x0E:
                self.br_table()
            elif b == 0x08:                                 # throw
                self.throw()
            elif b == 0x0A:                                 # throw_ref
                i = self.pop(T_EXNREF)
                if self.emitting:
                    sa = self.operand(i)
                    self.start(OP_throw_ref); self.emit(sa)
                self.set_unreachable()
            elif b == 0x1F:                                 # try_table
                self.try_table()
            elif b == 0x06:                                 # try (legacy)
                ti = self.blocktype()
                self.hpend.append([0, []])
                self.enter_block(C_TRY, ti, -1)
            elif b == 0x07 or b == 0x19:                    # catch x / catch_all (legacy)
                self.legacy_catch(b == 0x19)
            elif b == 0x18:                                 # delegate l (legacy)
                self.delegate()
            elif b == 0x09:                                 # rethrow l (legacy)
                l = self.label_index()
                fr = &self.cs[self.cn - 1 - l]
                if fr.kind != C_CATCH and fr.kind != C_CATCH_ALL:
                    self.invalid("invalid rethrow label")
                if self.emitting:
                    self.start(OP_throw_ref); self.emit(self.nloc + fr.base_pos)
                self.set_unreachable()
            elif b == 0x0F:                                 # return
                cnt = self.pop_label(self.cn - 1, &first)
                if self.emitting:
                    self.emit_return(first, cnt)
                self.set_unreachable()
            elif b == 0x00:                                 # unreachable
                if self.emitting:
                    self.start(OP_unreachable)
                self.set_unreachable()
            elif b == 0x01:                                 # nop
                pass
            elif b == 0x10:                                 # call
                x = self.u32()
                if x >= self.nfuncs:
                    self.invalid(f"unknown function {x}")
                self.call(self.ftype[x], OP_call, <uint32_t>x, 0, -1)
            elif b == 0x11:                                 # call_indirect
                x = self.u32()
                y = self.u32()
                if y >= self.ntables:
                    self.invalid(f"unknown table {y}")
                if x >= self.ntypes:
                    self.invalid(f"unknown type {x}")
                if self.tkind[x] != 0 or not self.sub(self.ttype[y], T_FUNCREF):
                    self.invalid("type mismatch")
                c = self.pop(self.table_addr_type(y))
                if self.taddr[y]:
                    self.narrow(c)
                self.call(<int>x, OP_call_indirect, <uint32_t>x, <uint32_t>y, c)
            elif b == 0x1A:                                 # drop
                self.pop_any()
            elif b == 0x1B or b == 0x1C:                    # select
                self.select(b == 0x1C)
            elif b == 0x23:                                 # global.get
                x = self.global_index()
                t = self.gtype[x]
                if self.emitting:
                    self.produce(OP_global_get2 if t == T_V128 else OP_global_get, t)
                    self.emit(<uint32_t>x)
                    self.end_producer()
                else:
                    self.push(t, K_SLOT, 0)
            elif b == 0x24:                                 # global.set
                x = self.global_index()
                if not self.gmut[x]:
                    # the reference interpreter's wording changed with 3.0 (both suites assert it)
                    self.invalid("immutable global" if self.wasm3_messages else "global is immutable")
                i = self.pop(self.gtype[x])
                if self.emitting:
                    sa = self.operand(i)
                    self.start(OP_global_set2 if self.gtype[x] == T_V128 else OP_global_set)
                    self.emit(<uint32_t>x); self.emit(sa)
            elif b == 0x3F or b == 0x40:                    # memory.size / memory.grow
                a = self.memidx()
                if self.far(a):
                    self.far_size_grow(a, b == 0x40)
                elif b == 0x40:
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
            elif b == 0xD0:                                 # ref.null (3.0: any heap type)
                self.push(ref_vt(True, self.heaptype()), K_CONST, 0)
            elif b == 0xD1:                                 # ref.is_null
                i = self.pop_ref()
                if self.emitting:
                    sa = self.operand(i)
                    self.produce(OP_ref_is_null, T_I32); self.emit(sa); self.end_producer()
                else:
                    self.push(T_I32, K_SLOT, 0)
            elif b == 0xD2:                                 # ref.func: (ref $t), non-null
                x = self.u32()
                if x >= self.nfuncs:
                    self.invalid(f"unknown function {x}")
                if not self.refs[x]:
                    self.invalid(f"undeclared function reference")
                t = ref_vt(False, H_CONCRETE + self.ftype[x])
                if self.emitting:
                    self.produce(OP_ref_func, t); self.emit(<uint32_t>x); self.end_producer()
                else:
                    self.push(t, K_SLOT, 0)
            elif b == 0xD4:                                 # ref.as_non_null
                i = self.pop_ref()
                t = self.type_of(i)
                if t != T_UNKNOWN:
                    t = t & ~(<vtype>NULL_BIT)
                if self.emitting:
                    sa = self.operand(i)
                    self.produce(OP_ref_as_non_null, t); self.emit(sa); self.end_producer()
                else:
                    self.push(t, K_SLOT, 0)
            elif b == 0xD5 or b == 0xD6:                    # br_on_null / br_on_non_null
                self.br_on_null(b == 0xD5)
            elif b == 0x12 or b == 0x13 or b == 0x15:       # return_call / _indirect / _ref
                self.return_call(b)
            elif b == 0x14:                                 # call_ref
                x = self.type_index()
                c = self.pop(ref_vt(True, H_CONCRETE + <uint32_t>x))
                self.call(<int>x, OP_call_ref, 0, 0, c)
            elif b == 0x25 or b == 0x26:                    # table.get / table.set
                x = self.table_index()
                t = self.ttype[x]
                t1 = self.table_addr_type(x)
                if b == 0x25:
                    i = self.pop(t1)
                    if self.emitting:
                        if t1 == T_I64:
                            self.narrow(i)
                        sa = self.operand(i)
                        self.produce(OP_table_get, t); self.emit(<uint32_t>x); self.emit(sa)
                        self.end_producer()
                    else:
                        self.push(t, K_SLOT, 0)
                else:
                    j = self.pop(t)
                    i = self.pop(t1)
                    if self.emitting:
                        if t1 == T_I64:
                            self.narrow(i)
                        sa = self.operand(i); sb = self.operand(j)
                        self.start(OP_table_set); self.emit(<uint32_t>x); self.emit(sa); self.emit(sb)
            elif idx >= WASM_FC_BASE:
                self.prefixed(idx - WASM_FC_BASE)
            else:
                self.malformed(f"illegal opcode {b:02x}")

    cdef int far_access(self, int idx, int kind, int m, uint64_t offset) except -1:
        # A scalar load (kind 3) or store (kind 4) on memory m by the general path: OP_mem_far,
        # then the access op with its address operand of memory m's address type, offset 0.
        cdef int i, j = -1
        cdef uint32_t sa, sb
        if kind == 4:
            j = self.pop(W_P1[idx])
        i = self.pop(self.addr_type(m))
        if not self.emitting:
            if kind == 3:
                self.push(W_R[idx], K_SLOT, 0)
            return 0
        sa = self.operand(i)
        if kind == 4:
            sb = self.operand(j)
        self.emit_far(m, offset)
        if kind == 3:
            self.produce(W_OP[idx], W_R[idx]); self.emit(sa); self.emit(0)
            self.end_producer()
        else:
            self.start(W_OP[idx]); self.emit(sa); self.emit(sb); self.emit(0)
        return 0

    cdef int far_size_grow(self, int m, bint grow) except -1:
        # memory.size / memory.grow of memory m (3.0 spec 3.3.7): i64 sizes for memory64.
        cdef uint8_t at = self.addr_type(m)
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

    cdef int simd(self, int idx) except -1:
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
            m = self.memarg(W_WIDTH[idx], &offset)
            ptypes[0] = self.addr_type(m)           # the address operand
            far = self.far(m)
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
            self.emit_far(m, offset)
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

    cdef int local_index(self) except -1:
        cdef int64_t x = self.u32()
        if x >= self.nlocals:
            self.invalid(f"unknown local {x}")
        return <int>x

    cdef int global_index(self) except -1:
        cdef int64_t x = self.u32()
        if x >= self.nglobals:
            self.invalid(f"unknown global {x}")
        return <int>x

    cdef int table_index(self) except -1:
        cdef int64_t x = self.u32()
        if x >= self.ntables:
            self.invalid(f"unknown table {x}")
        return <int>x

    cdef int need_memory(self, int64_t x=0) except -1:
        if x >= self.nmems:
            self.invalid(f"unknown memory {x}")
        return <int>x

    cdef int memidx(self) except -1:
        # A memory index immediate (3.0 spec 5.4.6): a u32 with multi-memory, else the reserved
        # 0x00 byte of 2.0. Checked to name a memory; returns it.
        if self.multi_memory:
            return self.need_memory(self.u32())
        if self.pos < self.end and self.p[self.pos] != 0:
            self.malformed("zero byte expected (multiple memories are not enabled)")
        self.zero_byte()
        return self.need_memory(0)

    cdef inline uint8_t addr_type(self, int m):
        # The address type of memory m: the type of its address operands (3.0 spec 3.3.7).
        return T_I64 if self.maddr[m] else T_I32

    cdef inline uint8_t table_addr_type(self, int x):
        return T_I64 if self.taddr[x] else T_I32

    cdef bint far(self, int m):
        # Whether accesses to memory m take the general path (OP_mem_far): any memory but 0,
        # and memory64. Memory 0 of i32 addresses keeps the dispatch loop's own arms.
        return m != 0 or self.maddr[m] != 0

    cdef int memarg(self, int width, uint64_t* offset) except -1:
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
        self.need_memory(m)
        if flags >= 63 or ((<int64_t>1) << flags) > width:
            self.invalid("alignment must not be larger than natural")
        if not self.maddr[m] and offset[0] > 0xFFFFFFFF:
            self.invalid("offset out of range")
        return m

    cdef int emit_far(self, int m, uint64_t offset) except -1:
        # The prefix of a general memory access: OP_mem_far m offset(lo, hi), then the access op
        # itself with offset 0 (see loop.pxi.in).
        self.start(OP_mem_far)
        self.emit(<uint32_t>m)
        return self.emit64(offset)

    cdef int narrow(self, int i) except -1:
        # Entry i, an i64 index or count of a table64 table, becomes a u32 in its canonical slot,
        # saturated at 0xFFFFFFFF: every table holds fewer elements (TableRec.limit), so an
        # index beyond 2**32 stays out of bounds and a count beyond it still fails.
        cdef uint64_t v
        if i < 0 or not self.emitting:
            return 0
        if self.vk[i] == K_CONST:
            v = self.vv[i]
            self.vv[i] = v if v <= 0xFFFFFFFF else 0xFFFFFFFF
            return 0
        cdef uint32_t s = self.operand(i)
        self.start(OP_sat32); self.emit(self.canon(i)); self.emit(s)
        self.vk[i] = K_SLOT
        return 0

    cdef bint same_params_results(self, int ti):
        cdef uint32_t k, off = self.toff[ti]
        if self.tnp[ti] != self.tnr[ti]:
            return False
        for k in range(self.tnp[ti]):
            if self.tdata[off + k] != self.tdata[off + self.tnp[ti] + k]:
                return False
        return True

    cdef int end_results(self, Ctrl* fr) except -1:
        # At else/end: check the block's results (pop_ctrl) and put them in canonical slots.
        # (A legacy catch body's results sit one slot above the label's, past the hidden
        # exnref entry: they are moved down, in increasing order, one slot at a time.)
        cdef int k, cnt = self.tnr[fr.type_index]
        cdef uint32_t dst, src
        self.check_vals(fr.type_index, True, "instruction")
        self.pop_types(fr.type_index, True)
        if self.vn != fr.height:
            self.invalid(f"type mismatch: block requires {self.types_text(fr.type_index, True)} "
                         f"but stack has {self.stack_text(self.vn - fr.height)}")
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

    cdef int close_block(self, Ctrl* fr) except -1:
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

    cdef str types_text(self, int ti, bint results):
        cdef int k, cnt = self.tnr[ti] if results else self.tnp[ti]
        cdef uint32_t off = self.toff[ti] + (self.tnp[ti] if results else 0)
        return "[" + " ".join([vt_name(self.tdata[off + k]) for k in range(cnt)]) + "]"

    cdef str stack_text(self, int n):
        # the top n operand types, as the reference interpreter prints a stack
        cdef int k
        return "[" + " ".join([vt_name(self.vt[self.vn - n + k]) for k in range(n)]) + "]"

    cdef int check_vals(self, int ti, bint results, str what) except -1:
        # Before pop_types(ti, results): the reference interpreter's detailed message for a
        # mismatch, "type mismatch: instruction requires [t*] but stack has [t'*]" (the top
        # values of the block, at most as many as required).
        cdef Ctrl* c = &self.cs[self.cn - 1]
        cdef int k, cnt = self.tnr[ti] if results else self.tnp[ti]
        cdef uint32_t off = self.toff[ti] + (self.tnp[ti] if results else 0)
        cdef int avail = self.vn - c.height
        cdef int n = cnt if cnt < avail else avail
        cdef bint ok = avail >= cnt or c.unreachable
        cdef vtype want, have
        for k in range(n):
            want = self.tdata[off + cnt - n + k]
            have = self.vt[self.vn - n + k]
            if want != have and not self.sub(have, want):
                ok = False
        if not ok:
            self.invalid(f"type mismatch: {what} requires {self.types_text(ti, results)} but "
                         f"stack has {self.stack_text(n)}")
        return 0

    # ------------------------------------------------------------------ exceptions
    cdef int tag_index(self) except -1:
        cdef int64_t x = self.u32()
        if x >= self.ntags:
            self.invalid(f"unknown tag {x}")
        return <int>x

    cdef int throw(self) except -1:
        # throw x (3.0 spec 3.3.8.7): the payload goes to consecutive canonical slots, as call
        # arguments do; layout: throw tagidx base.
        cdef int k, first, x = self.tag_index()
        cdef int ti = self.tagtype[x]
        cdef int np_ = self.tnp[ti]
        cdef uint32_t base
        self.check_vals(ti, False, "instruction")
        self.pop_types(ti, False)
        first = self.vn
        if self.emitting:
            for k in range(np_):
                self.materialize(first + k)
            base = self.nloc + (self.vp[first] if np_ > 0 else self.next_pos())
            self.start(OP_throw); self.emit(<uint32_t>x); self.emit(base)
        return self.set_unreachable()

    cdef int try_table(self) except -1:
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
            x = self.tag_index() if kind < 2 else -1
            l = self.label_index()
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
                if not self.sub(self.tdata[toff + j], self.tdata[off + j]):
                    self.invalid("type mismatch")
            # (3.0: the clause gives [t* (ref exn)], which must match the label's types)
            if kind & 1 and not self.sub(ref_vt(False, H_EXN), self.tdata[off + np_]):
                self.invalid("type mismatch")
            clauses.append((NO_TAG if x < 0 else x, kind & 1, self.cn - 1 - l))
        self.hpend.append([0, clauses])
        return self.enter_block(C_TRY_TABLE, ti, -1)

    cdef int legacy_catch(self, bint all) except -1:
        # catch x / catch_all of a legacy try: the try body (or the previous catch body) ends
        # like an if's then-branch; the new body starts with the hidden exnref entry at the
        # try's base slot, then the tag's payload.
        cdef Ctrl* fr = &self.cs[self.cn - 1]
        cdef int x = -1
        cdef uint32_t dst
        if fr.kind != C_TRY and fr.kind != C_CATCH:
            self.malformed("unexpected catch" if fr.kind != C_CATCH_ALL else "catch after catch_all")
        if not all:
            x = self.tag_index()
        self.end_results(fr)
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

    cdef int delegate(self) except -1:
        # try ... delegate l (legacy): ends the try like `end`; an exception from its body is
        # handled as if thrown at label l (outside the try), by the handlers of depth <= l's.
        cdef Ctrl* fr = &self.cs[self.cn - 1]
        cdef int64_t l
        if fr.kind != C_TRY:
            self.malformed("unexpected delegate")
        l = self.u32()
        if l >= self.cn - 1:
            self.invalid("unknown label")
        self.end_results(fr)
        self.add_handler(fr, fr.target, <uint32_t>self.n, HK_DELEGATE,
                         <uint32_t>(self.cn - 2 - l), [])
        self.hpend.pop()
        return self.close_block(fr)

    cdef int end_try(self, Ctrl* fr) except -1:
        # `end` of a try_table or legacy try: add its handler (code.pxd, "Exceptions").
        pend = self.hpend.pop()
        if fr.kind == C_TRY_TABLE:
            self.add_handler(fr, fr.target, <uint32_t>self.n, HK_CATCH, NO_TAG, pend[1])
        elif fr.kind != C_TRY:
            self.add_handler(fr, fr.target, pend[0], HK_CATCH, self.nloc + fr.base_pos, pend[1])
        return 0

    cdef int add_handler(self, Ctrl* fr, uint32_t start, uint32_t end, uint32_t kind,
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

    cdef int push_label_types(self, Ctrl* fr) except -1:
        if fr.kind == C_LOOP:
            return self.push_types(fr.type_index, False)
        return self.push_types(fr.type_index, True)

    cdef int enter_block(self, int kind, int ti, int cond) except -1:
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
                if self.fusable(cond) and (I_BR[self.last_op] != 0 or self.last_op == OP_i32_eqz):
                    for k in range(self.last_start + 2, self.last_end):
                        words[nw] = self.code[k]
                        nw += 1
                    self.n = self.last_start
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

    cdef int set_local(self, int l, int i, bint tee) except -1:
        # local.set / local.tee (spec 3.3.5) with entry i (already popped) as the value.
        cdef uint32_t slot = self.lslot[l]
        cdef vtype t = self.ltype[l]
        cdef bint pending = False
        cdef int k
        for k in range(self.vn):
            if self.vk[k] == K_LOCAL and self.vv[k] == slot:
                pending = True
                break
        if self.fusable(i) and not pending:
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

    cdef int emit_br_if(self, int l, int c, int first, int cnt) except -1:
        cdef Py_ssize_t skip
        if self.cs[self.cn - 1 - l].kind == C_FUNC:
            self.prep_return(first, cnt)
        if not self.needs_copies(l, first, cnt):
            self.emit_cond(c, False, self.is_back(l))
            return self.emit_target(l)
        # not taken: skip the copies; taken: copy the values, then branch
        self.emit_cond(c, True, False)
        self.emit(NO_CHAIN)
        skip = self.n - 1
        self.emit_branch(l, first, cnt)
        self.code[skip] = <uint32_t>self.n
        self.place_label()
        return 0

    cdef int br_table(self) except -1:
        # br_table (spec 3.3.8.8): every label with the arity of the default; a jump table.
        cdef int64_t nl = self.u32()
        cdef int64_t k
        cdef int l, d, arity, i, first, c, kk
        cdef Ctrl* fr
        cdef Py_ssize_t table_at
        cdef uint32_t sc
        if nl > 1000000:
            self.malformed("too many labels")  # unreachable for valid binaries
        if nl + 1 > self.labels_cap:
            self.labels_cap = <int>(nl + 1)
            self.labels = <uint32_t*>realloc(self.labels, sizeof(uint32_t) * self.labels_cap)
            if self.labels == NULL:
                raise MemoryError()
        for k in range(nl + 1):
            self.labels[k] = self.label_index()
        d = self.labels[nl]
        c = self.pop(T_I32)
        arity = self.label_type_count(&self.cs[self.cn - 1 - d])
        for k in range(nl):
            l = self.labels[k]
            fr = &self.cs[self.cn - 1 - l]
            if self.label_type_count(fr) != arity:
                self.invalid("type mismatch")
            self.check_label_types(fr, arity)
        self.pop_label(d, &first)
        if self.emitting:
            sc = self.operand(c)
            self.prep_return(first, arity)
            self.start(OP_br_table)
            self.emit(sc)
            self.emit(<uint32_t>nl)
            table_at = self.n
            for k in range(nl + 1):
                self.emit(0)
            for k in range(nl + 1):
                l = self.labels[k]
                if self.needs_copies(l, first, arity) or self.is_back(l):
                    self.code[table_at + k] = <uint32_t>self.n
                    self.place_label()
                    self.emit_branch(l, first, arity)
                else:
                    fr = &self.cs[self.cn - 1 - l]
                    if fr.kind == C_LOOP:
                        self.code[table_at + k] = fr.target
                    else:
                        self.code[table_at + k] = fr.fixups
                        fr.fixups = <uint32_t>(table_at + k)
        self.set_unreachable()
        return 0

    cdef int check_label_types(self, Ctrl* fr, int arity) except -1:
        # push_vals(pop_vals(label_types)) without changing the stack.
        cdef int k, i
        cdef int saved = self.vn
        cdef uint32_t off = self.label_type_off(fr)
        cdef vtype* popped = <vtype*>malloc(arity + 1)
        cdef bint unknown = False
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

    cdef int call(self, int ti, uint32_t op, uint32_t a, uint32_t b, int elem) except -1:
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

    cdef int type_index(self) except -1:
        # A function type index (call_ref, return_call_ref).
        cdef int64_t x = self.u32()
        if x >= self.ntypes:
            self.invalid(f"unknown type {x}")
        if self.tkind[x] != 0:
            self.invalid("type mismatch")
        return <int>x

    cdef int return_call(self, int b) except -1:
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
            if self.tkind[x] != 0 or not self.sub(self.ttype[y], T_FUNCREF):
                self.invalid("type mismatch")
            ti = <int>x
            op = OP_return_call_indirect
        else:
            ti = self.type_index()
            x = ti
            op = OP_return_call_ref
        if self.tnr[ti] != self.tnr[fti]:
            self.invalid("type mismatch")
        for k in range(self.tnr[ti]):
            if not self.sub(self.tdata[self.toff[ti] + self.tnp[ti] + k],
                            self.tdata[self.toff[fti] + self.tnp[fti] + k]):
                self.invalid("type mismatch")
        if b == 0x13:
            c = self.pop(T_I32)
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

    cdef int br_on_null(self, bint on_null) except -1:
        # br_on_null l / br_on_non_null l (3.0 valid/instructions). br_on_null: branch with
        # the values below the reference when it is null, else go on with (ref ht) on top.
        # br_on_non_null: branch with the (non-null) reference on top of the label's values,
        # else drop it.
        cdef int l = self.label_index()
        cdef int i, first, cnt, last
        cdef vtype t, lt
        cdef Ctrl* fr = &self.cs[self.cn - 1 - l]
        cdef Py_ssize_t skip
        i = self.pop_ref()
        t = self.type_of(i)
        if t != T_UNKNOWN:
            t = t & ~(<vtype>NULL_BIT)
        if on_null:
            cnt = self.pop_label(l, &first)
            if self.emitting:
                self.emit_br_ref(l, i, first, cnt, True)
                self.vn += cnt
                self.retype_label(l, first, cnt)
                self.repush(i, t)
            else:
                self.push_label_types(fr)
                self.push(t, K_SLOT, 0)
            return 0
        cnt = self.label_type_count(fr)
        if cnt == 0:
            self.invalid("type mismatch")
        lt = self.tdata[self.label_type_off(fr) + cnt - 1]
        if not is_ref(lt) and lt != T_UNKNOWN:
            self.invalid("type mismatch")
        if self.emitting:
            self.repush(i, t)
        else:
            self.push(t, K_SLOT, 0)
        cnt = self.pop_label(l, &first)
        if self.emitting:
            self.emit_br_ref(l, first + cnt - 1, first, cnt, False)
            self.vn += cnt
            self.retype_label(l, first, cnt)
        else:
            self.push_label_types(fr)
        self.vn -= 1                                   # not taken: the null is dropped
        return 0

    cdef int retype_label(self, int l, int first, int cnt) except -1:
        # A branch not taken leaves the label's types on the stack (3.0 valid/instructions:
        # br_if and br_on_* give [t*] of the label, which may be supertypes of the operands').
        cdef Ctrl* fr = &self.cs[self.cn - 1 - l]
        cdef uint32_t off = self.label_type_off(fr)
        cdef int k
        for k in range(cnt):
            self.vt[first + k] = self.tdata[off + k]
        return 0

    cdef int repush(self, int i, vtype t) except -1:
        # Put popped entry i (the top) back with type t.
        self.vn = i + 1
        self.vt[i] = t
        return 0

    cdef int emit_br_ref(self, int l, int r, int first, int cnt, bint on_null) except -1:
        # Branch to label l with entries first..first+cnt when entry r is null (on_null) or
        # not null: br_on_null / br_on_non_null r target, around the copies when needed.
        cdef Py_ssize_t skip
        cdef uint32_t sr = self.operand(r)
        if self.cs[self.cn - 1 - l].kind == C_FUNC:
            self.prep_return(first, cnt)
        if not self.needs_copies(l, first, cnt) and not self.is_back(l):
            self.start(OP_br_on_null if on_null else OP_br_on_non_null)
            self.emit(sr)
            return self.emit_target(l)
        # the opposite test skips the copies and the branch
        self.start(OP_br_on_non_null if on_null else OP_br_on_null)
        self.emit(sr)
        self.emit(NO_CHAIN)
        skip = self.n - 1
        self.emit_branch(l, first, cnt)
        self.code[skip] = <uint32_t>self.n
        self.place_label()
        return 0

    cdef int select(self, bint typed) except -1:
        # select (spec 3.3.4): numeric or vector operands of one type; select t any type.
        cdef int c, i, j
        cdef int64_t cnt
        cdef vtype t = T_UNKNOWN, t1, t2
        cdef uint32_t sa, sb, sc
        if typed:
            cnt = self.u32()
            if cnt != 1:
                self.invalid("invalid result arity")
            t = self.valtype()
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

    cdef int prefixed(self, int sub) except -1:
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
                k = self.memidx()
            if x >= self.ndatas:
                self.invalid(f"unknown data segment {x}")
            if sub == 9:
                if self.emitting:
                    self.start(OP_data_drop); self.emit(<uint32_t>x)
                return 0
            if self.far(k):                               # [at i32 i32] -> []
                return self.three_far(OP_memory_init_far, <uint32_t>k, <uint32_t>x,
                                      self.addr_type(k), T_I32, T_I32)
            return self.three(OP_memory_init, <uint32_t>x, 1, T_I32)
        if sub == 10:                                     # memory.copy
            i = self.memidx()
            j = self.memidx()
            if self.far(i) or self.far(j):                # [at1 at2 min(at1, at2)] -> []
                return self.three_far(OP_memory_copy_far, <uint32_t>i, <uint32_t>j,
                                      self.addr_type(i), self.addr_type(j),
                                      T_I64 if self.maddr[i] and self.maddr[j] else T_I32)
            return self.three(OP_memory_copy, 0, 0, T_I32)
        if sub == 11:                                     # memory.fill
            k = self.memidx()
            if self.far(k):                               # [at i32 at] -> []
                return self.three_far(OP_memory_fill_far, <uint32_t>k, 0, self.addr_type(k),
                                      T_I32, self.addr_type(k))
            return self.three(OP_memory_fill, 0, 0, T_I32)
        if sub == 12:                                     # table.init
            y = self.u32()
            x = self.table_index()
            if y >= self.nelems:
                self.invalid(f"unknown elem segment {y}")
            if not self.sub(self.etype[y], self.ttype[x]):
                self.invalid("type mismatch")
            return self.three(OP_table_init, <uint32_t>x, 2, T_I32, <uint32_t>y,
                              self.table_addr_type(x))
        if sub == 13:                                     # elem.drop
            y = self.u32()
            if y >= self.nelems:
                self.invalid(f"unknown elem segment {y}")
            if self.emitting:
                self.start(OP_elem_drop); self.emit(<uint32_t>y)
            return 0
        if sub == 14:                                     # table.copy
            x = self.table_index()
            y = self.table_index()
            if not self.sub(self.ttype[y], self.ttype[x]):
                self.invalid("type mismatch")
            return self.three(OP_table_copy, <uint32_t>x, 2,
                              T_I64 if self.taddr[x] and self.taddr[y] else T_I32, <uint32_t>y,
                              self.table_addr_type(x), self.table_addr_type(y))
        if sub == 15:                                     # table.grow
            x = self.table_index()
            t = self.table_addr_type(x)
            j = self.pop(t)
            i = self.pop(self.ttype[x])
            if self.emitting:
                if t == T_I64:
                    self.narrow(j)
                s0 = self.operand(i); s1 = self.operand(j)
                self.produce(OP_table_grow, t); self.emit(<uint32_t>x); self.emit(s0); self.emit(s1)
                self.end_producer()
                if t == T_I64:                            # -1 (failure) as an i64
                    self.start(OP_grow_result64); self.emit(self.canon(self.vn - 1))
            else:
                self.push(t, K_SLOT, 0)
            return 0
        if sub == 16:                                     # table.size
            x = self.table_index()
            t = self.table_addr_type(x)
            if self.emitting:
                self.produce(OP_table_size, t); self.emit(<uint32_t>x); self.end_producer()
            else:
                self.push(t, K_SLOT, 0)
            return 0
        if sub == 17:                                     # table.fill
            x = self.table_index()
            t = self.table_addr_type(x)
            k = self.pop(t)
            j = self.pop(self.ttype[x])
            i = self.pop(t)
            if self.emitting:
                if t == T_I64:
                    self.narrow(i); self.narrow(k)
                s0 = self.operand(i); s1 = self.operand(j); s2 = self.operand(k)
                self.start(OP_table_fill); self.emit(<uint32_t>x)
                self.emit(s0); self.emit(s1); self.emit(s2)
            return 0
        # 0..7: the saturating truncations are regular (unary) ops handled by the caller
        return self.malformed(f"illegal opcode fc {sub:x}")

    cdef int three_far(self, uint32_t op, uint32_t imm, uint32_t imm2, vtype t0, vtype t1,
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

    cdef int three(self, uint32_t op, uint32_t imm, int nimm, vtype t, uint32_t imm2=0,
                   vtype t0=0, vtype t1=0) except -1:
        # An op taking three operands of types t0 t1 t (t0, t1 default to t), after `nimm`
        # leading immediates (imm, imm2). i64 operands (table64 indices and counts) are
        # narrowed to saturated u32s: the table ops' arms read 32 bits.
        cdef int i, j, k
        cdef uint32_t s0, s1, s2
        k = self.pop(t)
        j = self.pop(t1 if t1 else t)
        i = self.pop(t0 if t0 else t)
        if (t0 if t0 else t) == T_I64: self.narrow(i)
        if (t1 if t1 else t) == T_I64: self.narrow(j)
        if t == T_I64: self.narrow(k)
        if self.emitting:
            s0 = self.operand(i); s1 = self.operand(j); s2 = self.operand(k)
            self.start(op)
            if nimm >= 1:
                self.emit(imm)
            if nimm >= 2:
                self.emit(imm2)
            self.emit(s0); self.emit(s1); self.emit(s2)
        return 0


def lower_module(list types, list func_types, int nimported, list codes, list globals,
                 list tables, list mems, list elem_types, ndatas, refs, features=None,
                 list table_addrs=None, tags=(), tuple typeinfo=None):
    """Validate and pre-decode every function body of a module (spec 3.3, 3.4.1; 5.5.13).

    ``types``: [(params, results)] as tuples of value type names; ``func_types``: the type index
    of every function in the index space (imports first, ``nimported`` of them); ``codes``:
    [(local_runs, body_bytes, byte_offset)] per defined function; the rest is the module
    context and the enabled features' bits (see Lowerer.setup; ``tags``: the type index of each
    tag). Returns a LoweredModule whose ``funcs`` gives, per defined
    function, (entry, nparams, nresults, nlocals, nslots). Raises DecodeError (malformed body)
    or ValidationError (invalid body).
    """
    cdef Lowerer lw = Lowerer()
    lw.setup(types, func_types, globals, tables, mems, elem_types, ndatas, refs, features,
             table_addrs, tags, typeinfo)
    funcs = []
    for k, (local_runs, body, offset) in enumerate(codes):
        funcs.append(lw.lower_function(nimported + k, func_types[nimported + k], local_runs,
                                       body, offset))
    m = lw.finish()
    m.funcs = funcs
    return m
