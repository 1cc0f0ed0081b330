#!/bin/sh
# Rebuilds the benchmark kernels: benchmarks/kernels/NAME.c -> NAME.wasm (run from anywhere).
#
#   sh benchmarks/build.sh                     build every kernel's .wasm
#   sh benchmarks/build.sh --native NAME N...  build NAME natively (gcc -O2) and print
#                                              "N checksum" for each N (to record checksums)
#
# Needs Debian's clang and lld (wasm-ld). The kernels are freestanding (no libc, no imports) and
# built for the MVP CPU: no bulk memory, sign-ext or multivalue, so wasm3 decodes them too.
# -ffreestanding keeps clang from turning loops into memset/memcpy calls, which would be
# undefined symbols without libc.
set -eu
cd "$(dirname "$0")/kernels"

CC="${CC:-clang}"
NATIVE_CC="${NATIVE_CC:-gcc}"
CFLAGS="--target=wasm32 -mcpu=mvp -O2 -Wall -ffreestanding -nostdlib"
LDFLAGS="-Wl,--no-entry -Wl,--export=run -Wl,--strip-all"
KERNELS="fib sieve nbody matmul sha256 vm"

if [ "${1:-}" = "--native" ]; then
    name="$2"
    shift 2
    out="$(mktemp)"
    "$NATIVE_CC" -O2 -Wall -o "$out" "$name.c" native_main.c -lm
    "$out" "$@"
    rm -f "$out"
    exit 0
fi

for name in $KERNELS; do
    echo "$CC $CFLAGS $LDFLAGS -o $name.wasm $name.c"
    $CC $CFLAGS $LDFLAGS -o "$name.wasm" "$name.c"
done
