from libc.stdint cimport uint32_t

cdef class LoweredModule:
    cdef uint32_t* code
    cdef Py_ssize_t n
    cdef public list funcs      # [(entry, nparams, nresults, nlocals, nslots)] per defined func
    cdef uint32_t* htab         # the handler table (code.pxd, "Exceptions"), NULL if none
    cdef Py_ssize_t nh
    cdef const uint32_t* code_ptr(self)
    cdef const uint32_t* htab_ptr(self)
