"""Embed whisk: a Python host function that reads a string from guest memory.

The guest calls the import ``env.log(ptr, len)`` with the address and length of a UTF-8 string
in its linear memory. The host function is annotated with wasm value types (``whisk.i32``) and
takes a ``whisk.Caller`` first, through which it reads the calling instance's exported memory
with a zero-copy ``memoryview``. Then a guest division by zero shows how a trap surfaces.

Run: ``python examples/embed_host_function.py``
"""

import whisk

# Assembled from this text format (whisk itself reads only the binary format):
# (module
#   (import "env" "log" (func $log (param i32 i32)))
#   (memory (export "memory") 1)
#   (data (i32.const 16) "Hello from the guest!")
#   (func (export "greet") (call $log (i32.const 16) (i32.const 21)))
#   (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))
WASM = bytes.fromhex(
    "0061736d01000000010f0360027f7f0060000060027f7f017f020b0103656e76036c6f67000003030201020503"
    "010001071803066d656d6f7279020005677265657400010364697600020a120208004110411510000b070020"
    "0020016d0b0b1b010041100b1548656c6c6f2066726f6d2074686520677565737421000d046e616d65010601"
    "00036c6f67")


def main() -> None:
    """Instantiate the module with a ``log`` host function, call its exports."""
    module = whisk.Module(WASM)
    print("imports:", [(i.module, i.name, str(i.type)) for i in module.imports])

    def log(caller: whisk.Caller, ptr: whisk.i32, length: whisk.i32) -> None:
        # i32 arguments arrive as Python ints; the Caller gives the calling instance's memory
        memory = memoryview(caller.memory)
        print("guest says:", bytes(memory[ptr:ptr + length]).decode("utf-8"))

    print("log's type:", whisk.func_type_of(log))      # checked against the import's type
    linker = whisk.Linker()
    linker.define("env", "log", log)
    instance = linker.instantiate(module)
    instance.exports.greet()
    print("div(7, 2) =", instance.exports.div(7, 2))
    try:
        instance.exports.div(1, 0)
    except whisk.Trap as trap:
        print("trap:", trap.message)


if __name__ == "__main__":
    main()
