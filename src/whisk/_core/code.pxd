# The core's data layout: lowered code, frames and the runtime records the dispatch loop reads.
#
# Naming conventions used throughout _core (written once here):
#   fp      frame pointer: uint64_t* to slot 0 of the current frame. A frame is locals (params
#           first) then temporaries (the operand stack, one slot per i32/i64/f32/f64/ref value,
#           two slots per v128).
#   slot    an index into the frame (fp[slot]); every operand word that names a value is a slot.
#   pc      uint32_t* into the module's code array; `code` is its base.
#   _ri     op variant whose right operand is an immediate (1 word for 32-bit types, 2 for 64-bit,
#           low word first) instead of a slot.
#   br_X    fused compare-and-branch: branch to the target when X holds.
#   trap    an int code (Trap enum below); 0 means no trap.
#
# Lowered instruction format (one flat uint32_t array per module, all functions concatenated):
#   word 0            internal op (enum Op in ops.pxd, generated from whisk/opcodes.py)
#   words 1..         operands, in order: destination slot (if the op produces a value), source
#                     slots, then immediates; branch targets are absolute word indices into the
#                     code array. The exact layout of every op is given where it is generated
#                     (tools/gen_core.py) or hand-written (loop.pxi.in).
#
# Values live in frames as raw 64-bit slots: i32 zero-extended, i64 as is, f32/f64 as their IEEE
# bits (so NaN payloads survive), funcref as a FuncRec* (0 = null), externref as the address of
# the Python object (a PyObject*, 0 = null), exnref as an ExnRec* (0 = null).
# GC references (3.0; gc.pxi): the any hierarchy (any, eq, i31, struct, array, none) and extern
# share one encoding, told apart by the low bits (objects and PyObjects are 8-byte aligned):
#   0                null
#   odd              an i31: (value << 1) | 1, value the 31 bits
#   low bits 00      anyref: a GcObj* (a structure or array);  externref: a host PyObject*
#   low bits 10      anyref: a host PyObject* | 2 (internalized); externref: a GcObj* | 2
# so any.convert_extern and extern.convert_any are the same map: flip bit 1 of a non-null,
# even value; an i31 and null stay as they are.
#
# Exceptions (3.0 spec 4.4.1.8 exception handling, 4.2 "exception instances"; the legacy
# try/catch/delegate of the exception-handling proposal): `throw` makes an exception instance
# (an Exn object owning its ExnRec: the tag's TagRec and a copy of the payload slots) and
# leaves the loop with TRAP_THROW and ctx.exn set; the loop then looks for a handler, frame by
# frame outward, in the module's handler table (LoweredModule.htab, InstCtx.htab), which the
# pre-decoder builds; nothing is executed on entry to a try_table or try. Layout of htab:
#   word 0            F, the number of functions with handlers, then F triples
#                     (function entry, offset of its first handler, handler count), by entry
#   handler           start end depth kind hidden nclauses, then nclauses * (tag flags dst target)
#     start..end      the code range (word indices) its try body covers
#     depth           the control-stack depth of its try_table / try (the function body is 0)
#     kind            HK_CATCH (try_table, or a legacy try with catch clauses) or HK_DELEGATE
#                     (a legacy try ... delegate l: `hidden` is the depth of label l; the search
#                     continues with handlers of depth <= that, in the same frame)
#     hidden          a legacy catch: the slot receiving the caught exnref (for rethrow)
#     tag             tag index, or NO_TAG for catch_all
#     flags           CF_REF: catch_ref / catch_all_ref (the exnref follows the payload)
#     dst, target     the label's first slot and the code index to continue at
#   A function's handlers are in the order their ranges end, so the first that contains an
#   address is the innermost; a caller frame is searched at its call instruction (ret_pc - 1).
#
# Ownership (issue 11, item 3; RATIONALE.md "Who keeps a reference alive"). A ref in a slot is a
# borrowed pointer; what keeps its target alive is the store's heap (Heap in heap.pxi):
#   - a wasm function's FuncRec lives inside its Func, which its InstanceCore lists; every
#     InstanceCore is listed by the heap of its store until that heap goes (as in wasmtime,
#     instances live as long as their store);
#   - a host Func, or a Python object passed as an externref, is entered in the heap's `refs`
#     (address -> object) when it is converted to a slot value (call arguments, host results,
#     Table/Global writes). A sweep, run only while no call of the heap is running (so no frame
#     holds a ref), drops the entries that no table, global or element segment of the heap
#     holds; the heap's death drops all;
#   - everything a heap reaches through imports or funcref values is in the same heap: linking
#     an extern of another store, or passing one store's function to another, merges the two
#     heaps (union-find), so one sweep sees every root. Host-made Tables and Globals get a heap
#     of their own, merged into the store that imports them;
#   - a call keeps its Func (hence instance, store, heap) alive while it runs; Tables, Globals,
#     Memories and dropped segments are never freed or moved while an instance lists them.

from libc.stdint cimport uint8_t, uint32_t, uint64_t, int32_t, int64_t
from cpython.ref cimport PyObject

cdef enum TrapCode:
    TRAP_NONE = 0
    TRAP_UNREACHABLE = 1
    TRAP_DIV_ZERO = 2
    TRAP_INT_OVERFLOW = 3
    TRAP_INVALID_CONVERSION = 4
    TRAP_OOB_MEMORY = 5
    TRAP_OOB_TABLE = 6
    TRAP_UNDEFINED_ELEMENT = 7
    TRAP_UNINITIALIZED_ELEMENT = 8
    TRAP_INDIRECT_TYPE = 9
    TRAP_CALL_STACK = 10
    TRAP_HOST = 11           # a host function raised; the exception is kept by the store
    TRAP_FUEL = 12
    TRAP_INTERRUPT = 13
    TRAP_STACK_OVERFLOW = 14 # value stack exhausted (reported like TRAP_CALL_STACK)
    TRAP_TIMEOUT = 15        # the deadline of a call passed
    TRAP_POLL = 16           # internal: the fuel budget ran out, poll() decides (never raised)
    TRAP_THROW = 17          # an exception (ctx.exn) is thrown: a handler may catch it
    TRAP_NULL_EXN = 18       # throw_ref of a null exnref
    TRAP_NULL_FUNC = 19      # call_ref / return_call_ref of a null reference
    TRAP_NULL_REF = 20       # ref.as_non_null of a null reference
    TRAP_NULL_STRUCT = 21    # struct.get / struct.set of a null reference (GC)
    TRAP_NULL_ARRAY = 22     # an array instruction on a null reference (GC)
    TRAP_NULL_I31 = 23       # i31.get_s / i31.get_u of a null reference (GC)
    TRAP_OOB_ARRAY = 24      # an array index or range beyond the array's length (GC)
    TRAP_CAST = 25           # ref.cast of a reference that does not match (GC)
    TRAP_ALLOC_SIZE = 26     # array.new* of an array no store could hold (GC)
    TRAP_GC_OOM = 27         # a GC allocation beyond the store's max_memory_bytes (GC)

cdef struct StoreRec:
    # What a Store shares with the loop (spec-external, like wasmtime's Store): interruption,
    # fuel and the resource account its memories and tables grow against.
    volatile int interrupt # set by Store.interrupt() from any thread; cleared once no call
                           # it stopped is left running in the store (see Store.interrupt)
    int64_t fuel           # remaining fuel, or -1 for unlimited
    uint64_t mem_used      # bytes of the memories and tables the store accounts for
    uint64_t mem_limit     # max_memory_bytes (UINT64_MAX: none)
    uint32_t table_limit   # max_table_elements: elements per table
    int running            # calls running in the store (Python -> wasm boundaries)

cdef struct MemRec:
    # A linear memory. `base` never moves: the address space for `reserved` bytes is reserved
    # up front and committed as the memory grows, so views of it never dangle.
    uint8_t* base
    uint64_t size          # current size in bytes (pages * 65536)
    uint64_t max_pages     # maximum in pages of 64 KiB (65536 if none declared)
    uint64_t reserved      # bytes of address space reserved at base
    StoreRec* acct         # the store whose account its growth is charged to (or NULL)
    uint32_t is64          # 1 for memory64 (i64 addresses), 0 for i32

cdef struct TableRec:
    # A table. Like a memory, `elems` never moves: address space for `reserved` elements is
    # reserved up front and committed as the table grows, so a thread running call_indirect
    # never reads a freed array while another grows the table (issue 11, item 4).
    uint64_t* elems        # reference values (see above); zero (null) beyond `size`
    uint32_t size          # current number of elements
    uint32_t max           # maximum number of elements (0xFFFFFFFF if none declared)
    uint32_t limit         # growth limit: min(max, reserved, the store's max_table_elements)
    uint32_t reserved      # elements of address space reserved at elems
    uint32_t is_func       # 1 for funcref tables, 0 for externref
    StoreRec* acct         # the store whose account its growth is charged to (or NULL)

cdef struct SegRec:
    # An element segment (items are ref values) or a data segment (bytes); n = 0 once dropped.
    uint64_t* items
    const uint8_t* bytes
    uint32_t n

cdef struct InstCtx

cdef struct TagRec:
    # A tag instance (3.0 spec 4.2.10): its address is its identity (an imported tag is the
    # same TagRec as the exporting instance's).
    uint32_t nslots        # payload slots (one per value, two per v128)
    PyObject* obj          # the Tag object that holds this record (borrowed)

cdef struct ExnRec:
    # An exception instance (3.0 spec 4.2.11): tag and payload; immutable once made.
    TagRec* tag
    uint64_t* payload      # tag.nslots slots
    PyObject* obj          # the Exn object that holds this record (borrowed)
    uint32_t exposed       # 0 while only the throw in flight knows it (see catch_exn)
    ExnRec* next           # in ExecCtx.dead

cdef enum:
    # Heap types (3.0 syntax/types) as the pre-decoder's vtypes and the GC ops (ref_test,
    # ref_cast, br_on_cast*) encode them: an abstract heap type, or H_CONCRETE + a type index.
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

cdef enum:
    HK_CATCH = 0
    HK_DELEGATE = 1
    CF_REF = 1
    NO_TAG = 0xFFFFFFFF

cdef struct FuncRec:
    InstCtx* inst          # owning instance (NULL for host functions)
    uint32_t entry         # word index of the first instruction in inst.code
    uint32_t nparams       # parameter slots
    uint32_t nresults      # result slots
    uint32_t nlocals       # local slots including parameters
    uint32_t nslots        # frame size in slots (locals + temporaries)
    uint32_t type_id       # canonical (process-wide) id of the function type
    const uint32_t* supers # its declared supertypes' ids: [n, nearest, ...], or NULL (3.0)
    uint32_t index         # function index within its instance, for backtraces
    uint32_t cost          # fuel charged per call: the body's instructions outside loops (>= 1)
    PyObject* host         # the Func object of a host function (borrowed), else NULL
    PyObject* obj          # the Func object that holds this record (borrowed)

cdef struct GcType:
    # The run-time layout of a struct or array type (3.0 spec 4.2.13, structure and array
    # instances), one per canonical type id, process-wide (gc.pxi gc_type), never freed.
    uint32_t kind          # GC_STRUCT or GC_ARRAY
    uint32_t id            # canonical type id
    const uint32_t* supers # its declared supertypes' ids: [n, nearest, ...], or NULL
    uint32_t nfields       # struct: fields; array: 1 (the element)
    uint32_t size          # struct: payload bytes; array: bytes per element
    const uint8_t* fkind   # per field: its storage kind (SK_*)
    const uint32_t* foff   # per field: byte offset in the payload (struct)
    uint32_t nrefs         # reference fields (struct) / 1 if the element is a reference
    const uint32_t* refoff # byte offsets of the reference fields (struct)

cdef enum:
    GC_STRUCT = 1
    GC_ARRAY = 2
    # storage kinds of fields and elements (3.0 syntax/types, storagetype): bytes as stored
    SK_I8 = 1
    SK_I16 = 2
    SK_I32 = 3             # i32 and f32 (4 bytes)
    SK_I64 = 4             # i64 and f64 (8 bytes)
    SK_V128 = 5
    SK_REF = 6             # a reference (8 bytes: its slot bits)

cdef struct GcHeap

cdef struct GcObj:
    # A structure or array instance (3.0 spec 4.2.13), allocated by gc.pxi in the heap of the
    # store whose code made it; its address (8-byte aligned) is its slot value. A small one
    # lives in a slot of a GcChunk (type NULL: a free slot), a large one is malloc'd alone.
    const GcType* type
    GcObj* next            # large: the heap's list of them; a free slot: the free list
    GcHeap* heap           # the heap it was allocated in (follow `forward` after merges)
    StoreRec* acct         # large: the store its bytes are charged to (small: the chunk's)
    uint32_t len           # array: elements (struct: 0)
    uint32_t mark          # the collector's mark
    uint32_t roots         # Python handles (whisk.AnyRef) that hold it
    uint32_t nbytes        # bytes allocated (header included), as charged
    # the payload follows: fields at GcType.foff, or len elements of GcType.size bytes

cdef enum:
    GC_CHUNK = 65536       # bytes of a chunk of small objects, aligned to its size
    GC_CHUNK_HDR = 64      # bytes of the GcChunk header at its start
    GC_NCLASS = 30         # size classes of small objects: 48 + 16 * k bytes, k < GC_NCLASS

cdef struct GcChunk:
    # A block of equal slots for small objects of one size class (gc.pxi), charged to a store.
    GcChunk* next          # the heap's list of chunks
    StoreRec* acct         # the store its GC_CHUNK bytes are charged to
    uint32_t slot          # bytes per slot
    uint32_t nslots
    uint32_t live          # slots in use after the last sweep
    uint32_t cls

cdef struct GcRoot:
    uint32_t kind          # ROOT_INST, ROOT_TABLE or ROOT_SLOT
    void* p                # InstCtx*, TableRec* or uint64_t* (a global's value)

cdef struct GcHeap:
    # The GC heap of a Heap (heap.pxi): every structure and array its stores' code made, and
    # the roots of a collection (gc.pxi). Merged like its Heap: `forward` then points to the
    # heap it went into. Its lists and counts are guarded by the GC lock (gcmem.h).
    GcObj* objects         # the large objects
    GcChunk* chunks        # the chunks of small objects
    GcObj* free_[30]       # per size class: free slots (GC_NCLASS)
    uint64_t nchunks
    uint64_t nlarge
    uint64_t count         # objects (small and large)
    uint64_t bytes         # bytes of the objects (a small one: its slot)
    uint64_t next_gc       # collect when bytes passes this
    uint64_t collections   # collections run (statistics)
    uint64_t freed         # objects freed by them (statistics)
    GcHeap* forward
    GcRoot* roots
    uint32_t nroots
    uint32_t roots_cap
    int active             # calls running code of the heap (entries from Python)
    int mixed              # 1 if those calls are on more than one ExecStack: no collection
    void* sole             # the ExecCtx they all run on (when not mixed)
    volatile int collecting  # 1 while a collection runs: a call entering the heap waits
    # (active, mixed, sole and setting `collecting` change with the GIL held, which orders
    # them: see gc.pxi)
    PyObject* owner        # the Heap object that embeds it (borrowed)

cdef enum:
    ROOT_INST = 1
    ROOT_TABLE = 2
    ROOT_SLOT = 3

cdef struct InstCtx:
    const uint32_t* code   # the module's lowered code
    FuncRec** funcs        # function index space
    uint64_t** globals     # global index space: each a pointer to the value's slot(s)
    MemRec* mem            # memory 0, or NULL (the dispatch loop keeps its base and size)
    MemRec** mems          # the memory index space (multi-memory; mems[0] == mem)
    TableRec** tables      # table index space
    uint32_t* type_ids     # canonical id per type index (for call_indirect)
    SegRec* elems          # element segments
    SegRec* datas          # data segments
    StoreRec* store        # the store the instance belongs to
    TagRec** tags          # tag index space
    const uint32_t* htab   # the module's handler table (see "Exceptions" above)
    # GC (3.0): the layouts of the module's struct and array types (NULL for function types),
    # the heap objects are allocated in, and the counts the collector's scan of roots needs
    const GcType** gctypes
    GcHeap* gc
    uint32_t nglobals
    uint32_t ntables
    uint32_t nelems

cdef struct Frame:
    # A saved caller frame on the call stack.
    const uint32_t* ret_pc
    uint64_t* fp
    FuncRec* func

cdef struct ExecCtx:
    uint64_t* stack        # the value stack (frames are laid out on it)
    uint64_t* stack_end
    uint64_t* free         # first slot above the frames in use (for re-entrant calls)
    Frame* frames          # the call stack
    uint32_t depth         # frames in use
    uint32_t max_depth     # call depth limit
    FuncRec* trap_func     # the function that trapped (for the backtrace)
    uint32_t trap_depth    # depth at the trap
    uint64_t trap_arg      # detail for the message (the element index of an uninitialized element)
    # Polling (spec-external: fuel, interruption, timeouts). Backward branches and calls charge
    # their static instruction count to `budget`; when it goes negative the loop calls poll(),
    # which settles fuel with the store, checks interrupt/deadline/signals and grants a new budget.
    StoreRec* store        # the store of the outermost call on this stack (pays fuel)
    StoreRec* trap_store   # the store whose interrupt stopped the call (TRAP_INTERRUPT)
    int64_t budget         # remaining budget of the current grant
    int64_t granted        # size of the current grant
    int64_t deadline       # monotonic deadline in ns, 0 = none
    int check_signals      # 1 on the main thread: poll() runs Python's signal handlers (Ctrl-C)
    int may_release        # 1 while the outermost call runs: poll() may release the GIL
    void* tstate           # the thread state poll() saved when it released the GIL, or NULL
    int64_t next_signal_check
    PyObject* owner        # the ExecStack object (borrowed)
    ExnRec* exn            # the exception being thrown (with TRAP_THROW)
    ExnRec* dead           # caught exceptions nothing can reach: dropped from their heap later
    # where catch_exn found a handler (the loop continues there; see exceptions.pxi)
    uint32_t catch_depth
    FuncRec* catch_func
    const uint32_t* catch_pc
    uint64_t* catch_fp
    # the instruction that trapped in trap_func (set with trap_func, on the trap exit only):
    # raise_trap maps it back to a byte offset in the module binary (Trap.frames)
    const uint32_t* trap_pc
