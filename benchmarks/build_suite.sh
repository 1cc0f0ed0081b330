#!/bin/sh
# Builds the "real programs" benchmark suite into benchmarks/suite/ (run from anywhere).
#
#   sh benchmarks/build_suite.sh [SRC_DIR]        (or BENCH_SRC=SRC_DIR sh benchmarks/build_suite.sh)
#
# SRC_DIR (default benchmarks/src, not committed) holds upstream checkouts, fetched at build time:
#   SRC_DIR/coremark   git clone https://github.com/eembc/coremark   (posix port)
#   SRC_DIR/lua        git clone https://github.com/lua/lua          (master = Lua 5.5)
#   SRC_DIR/quickjs    git clone https://github.com/bellard/quickjs
# A missing checkout is reported and its program skipped; the kernels need no sources.
#
# Outputs (small, committed, so run.py needs no toolchain):
#   suite/coremark.wasm               CoreMark, posix port, wasm32-wasi, clang -O2 -mcpu=mvp;
#                                     argv: 0 0 0x66 ITERATIONS (the performance-run seeds)
#   suite/lua.wasm(.gz)               the lua interpreter (lua.c + the makefile's core and
#                                     library sources), wasm32-wasi, clang -O2 -mcpu=mvp;
#                                     runs suite/bench.lua from stdin ("lua -")
#   suite/quickjs.wasm                QuickJS (quickjs.c, libregexp, libunicode, cutils, dtoa)
#                                     with the small host suite/qjs_bench.c instead of
#                                     quickjs-libc: evaluates stdin (suite/bench.js), print().
#                                     ~960 KB: committed gzipped (suite/quickjs.wasm.gz, 330 KB).
#                                     Built with -D__EMSCRIPTEN__, QuickJS's switch for a wasm
#                                     target: no Atomics (no threads), no stack check, no
#                                     computed-goto dispatch, malloc_usable_size() = 0.
#   suite/NAME.TOOL-OPT.wasm          each kernel of kernels/NAME.c by TOOL in {clang, zig}
#                                     at OPT in {O2, Os}, except clang -O2, which is
#                                     kernels/NAME.wasm (build.sh)
#
# Toolchains: Debian clang + lld + wasi-libc + libclang-rt-dev-wasm32 (apt-get install -y clang
# lld wasi-libc libclang-rt-dev-wasm32), -mcpu=mvp so wasm3 decodes everything; zig cc from
# PyPI (pip install ziglang: python -m ziglang cc) with its default wasm features.
#
# Lua's errors: Lua raises errors with setjmp/longjmp (or C++ exceptions). Debian's wasi-libc
# (clang 14) has no setjmp.h, and wasm setjmp needs LLVM's exception-handling lowering, which
# wasm3 cannot run. So lua.wasm is built with LUAI_THROW = abort() and LUAI_TRY = a plain call:
# a Lua error (and a coroutine yield from C, which Lua implements as a throw) aborts the program
# with a trap. bench.lua raises no error and uses no coroutines. A one-line setjmp.h shim
# declares jmp_buf, and tmpfile()/system()/tmpnam() (absent from WASI) are stubbed to fail.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="${1:-${BENCH_SRC:-$HERE/src}}"
OUT="$HERE/suite"
CC="${CC:-clang}"
ZIG="${ZIG:-python3 -m ziglang}"
WASI_CFLAGS="--target=wasm32-wasi -mcpu=mvp -O2 -w"
mkdir -p "$OUT"
SHIM="$(mktemp -d)"
trap 'rm -rf "$SHIM"' EXIT
rev() { if [ -e "$1/.git" ]; then git -C "$1" rev-parse --short HEAD; else echo "not a git checkout"; fi; }

# --- kernels: two toolchains x two optimisation levels (freestanding; export run(n)) ---
KERNEL_LD="-nostdlib -Wl,--no-entry -Wl,--export=run -Wl,--strip-all"
for name in fib sieve nbody matmul sha256 vm; do
    for opt in O2 Os; do
        echo "kernel $name: clang -$opt, zig cc -$opt"
        # clang -O2 is kernels/NAME.wasm (build.sh, the same flags): not built twice
        [ "$opt" = O2 ] || $CC --target=wasm32 -mcpu=mvp -"$opt" -Wall -ffreestanding $KERNEL_LD \
            -o "$OUT/$name.clang-$opt.wasm" "$HERE/kernels/$name.c"
        if $ZIG version >/dev/null 2>&1; then
            $ZIG cc -target wasm32-wasi -"$opt" -Wall -ffreestanding $KERNEL_LD \
                -o "$OUT/$name.zig-$opt.wasm" "$HERE/kernels/$name.c"
        else
            echo "  zig cc not found (pip install ziglang): skipping zig builds" >&2
        fi
    done
done

# --- CoreMark ---
if [ -f "$SRC/coremark/core_main.c" ]; then
    echo "coremark from $SRC/coremark ($(rev "$SRC/coremark"))"
    (cd "$SRC/coremark" && $CC $WASI_CFLAGS -Iposix -I. -DFLAGS_STR='"-O2 -mcpu=mvp"' -DITERATIONS=0 \
        -D_WASI_EMULATED_PROCESS_CLOCKS core_list_join.c core_main.c core_matrix.c core_state.c \
        core_util.c posix/core_portme.c -lwasi-emulated-process-clocks -Wl,--strip-all \
        -o "$OUT/coremark.wasm")
else
    echo "coremark: no sources at $SRC/coremark (git clone https://github.com/eembc/coremark $SRC/coremark); skipped" >&2
fi

# --- Lua 5.5 ---
if [ -f "$SRC/lua/lvm.c" ]; then
    echo "lua from $SRC/lua ($(rev "$SRC/lua"))"
    printf '/* wasi-libc has no setjmp.h; Lua is built with LUAI_THROW = abort(), so jmp_buf is unused */\ntypedef int jmp_buf[1];\n' > "$SHIM/setjmp.h"
    printf '#include <stdio.h>\n/* WASI has no tmpfile(): io.tmpfile() fails */\nFILE *tmpfile(void) { return NULL; }\n' > "$SHIM/wasi_stubs.c"
    # The makefile's CORE_O, AUX_O, LIB_O and LUA_O, less ltests.o (empty without LUA_USER_H).
    LUA_SRCS="lapi.c lcode.c lctype.c ldebug.c ldo.c ldump.c lfunc.c lgc.c llex.c lmem.c
        lobject.c lopcodes.c lparser.c lstate.c lstring.c ltable.c ltm.c lundump.c lvm.c lzio.c
        lauxlib.c lbaselib.c ldblib.c liolib.c lmathlib.c loslib.c ltablib.c lstrlib.c
        lutf8lib.c loadlib.c lcorolib.c linit.c lua.c"
    (cd "$SRC/lua" && $CC $WASI_CFLAGS -I"$SHIM" -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
        '-DLUAI_THROW(L,c)=abort()' '-DLUAI_TRY(L,c,f,ud)=((f)(L,ud))' \
        -DLUA_TMPNAMBUFSIZE=32 '-Dlua_tmpnam(b,e)={e=1;}' '-Dl_system(cmd)=((cmd)==NULL?0:-1)' \
        $LUA_SRCS "$SHIM/wasi_stubs.c" -lwasi-emulated-signal -lwasi-emulated-process-clocks \
        -Wl,--strip-all -o "$OUT/lua.wasm")
    gzip -9n < "$OUT/lua.wasm" > "$OUT/lua.wasm.gz"   # committed (the .wasm is over 200 KB)
else
    echo "lua: no sources at $SRC/lua (git clone https://github.com/lua/lua $SRC/lua); skipped" >&2
fi
# --- QuickJS ---
if [ -f "$SRC/quickjs/quickjs.c" ]; then
    echo "quickjs from $SRC/quickjs ($(rev "$SRC/quickjs"))"
    printf '/* wasi-libc has no setjmp.h; dtoa.c includes it but uses nothing from it */\ntypedef int jmp_buf[1];\n' > "$SHIM/setjmp.h"
    (cd "$SRC/quickjs" && $CC $WASI_CFLAGS -I"$SHIM" -I. -D__EMSCRIPTEN__ -D_GNU_SOURCE \
        -DCONFIG_VERSION="\"$(cat VERSION)\"" quickjs.c libregexp.c libunicode.c cutils.c dtoa.c \
        "$OUT/qjs_bench.c" -Wl,--strip-all -o "$OUT/quickjs.wasm")
    gzip -9n < "$OUT/quickjs.wasm" > "$OUT/quickjs.wasm.gz"   # committed (the .wasm is ~960 KB)
else
    echo "quickjs: no sources at $SRC/quickjs (git clone https://github.com/bellard/quickjs $SRC/quickjs); skipped" >&2
fi
ls -l "$OUT"
