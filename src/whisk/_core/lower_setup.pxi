# Part of the pre-decoder (lower.pyx, which includes this file): the module context of
# Lowerer.setup (spec 3.1.1, the context C; 3.0 valid/modules), converted once per module into
# the C arrays the body validator reads: types (with the pseudo types of single-value block
# types added on demand), function, global, table, memory, element segment and tag types,
# C.refs, the type kinds/supertypes/canonical ids of typed references, and the features.

cdef int setup_context(Lowerer self, list types, list func_types, list globals, list tables,
                       list mems, list elem_types, object ndatas, object refs, object features,
                       list table_addrs, object tags, tuple typeinfo, list fields) except -1:
    # The body of Lowerer.setup (see its docstring for the arguments).
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
    # struct and array types: their fields (lower_gc.pxi)
    cdef int nf = 0
    if fields is not None:
        for fl in fields:
            if fl is not None:
                nf += len(fl)
    self.foff = <uint32_t*>malloc(sizeof(uint32_t) * (self.ntypes + 1))
    self.fcnt = <uint32_t*>malloc(sizeof(uint32_t) * (self.ntypes + 1))
    self.fdata = <vtype*>malloc(sizeof(vtype) * (nf + 1))
    self.fmut = <uint8_t*>malloc(nf + 1)
    if self.foff == NULL or self.fcnt == NULL or self.fdata == NULL or self.fmut == NULL:
        raise MemoryError()
    nf = 0
    for i in range(self.ntypes):
        self.foff[i] = nf
        self.fcnt[i] = 0
        fl = fields[i] if fields is not None else None
        if fl is None:
            continue
        for st, m in fl:
            self.fdata[nf] = T_I8 if st == "i8" else T_I16 if st == "i16" else code_of(self, st)
            self.fmut[nf] = 1 if m else 0
            nf += 1
        self.fcnt[i] = len(fl)
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
            self.tdata[k] = code_of(self, t); k += 1
        for t in results:
            self.tdata[k] = code_of(self, t); k += 1
    self.tdn = k
    self.ntypes_ext = self.ntypes
    add_pseudo(self, 0, 0, 0)                 # [] -> [] at index ntypes (block type 0x40)
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
        self.gtype[i] = code_of(self, t)
        self.gmut[i] = 1 if m else 0
    self.ntables = len(tables)
    self.ttype = <vtype*>malloc(sizeof(vtype) * (self.ntables + 1))
    for i, t in enumerate(tables):
        self.ttype[i] = code_of(self, t)
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
    self.gc_refs = not (self.feat_off & feature_bit("gc"))
    self.nelems = len(elem_types)
    self.etype = <vtype*>malloc(sizeof(vtype) * (self.nelems + 1))
    for i, t in enumerate(elem_types):
        self.etype[i] = code_of(self, t)
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
    return 0
