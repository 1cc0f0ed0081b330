#!/bin/sh
# Rebuilds the WASI test programs (tests/wasi/programs/*.wasm) from their sources; run from
# anywhere. The .wasm files are committed, so the tests need no C compiler.
#
# Needs (Debian packages): clang, lld, wasi-libc, libclang-rt-dev-wasm32. Built like
# examples/build.sh: -O2 for clang 14's default wasm32 CPU (WebAssembly 1.0 instructions),
# debug info stripped, the "name" section kept for backtraces.
set -eu
cd "$(dirname "$0")"

CC="${CC:-clang}"
CFLAGS="--target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror -Wl,--strip-debug"

for src in *.c; do
    name="${src%.c}"
    echo "$CC $CFLAGS -o $name.wasm $src"
    $CC $CFLAGS -o "$name.wasm" "$src"
done
