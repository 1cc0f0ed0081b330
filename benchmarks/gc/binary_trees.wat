;; binary-trees (the Computer Language Benchmarks Game), written by hand for the WebAssembly 3.0
;; GC instructions: every tree node is a GC struct, allocated with struct.new and never freed by
;; the program (the engine's collector reclaims the short-lived trees).
;;
;;   max_depth   = max(min_depth + 2, N), min_depth = 4
;;   stretch     = a tree of depth max_depth + 1, checked and dropped
;;   long_lived  = a tree of depth max_depth, kept until the end
;;   for d = min_depth, min_depth + 2, ... <= max_depth:
;;       2^(max_depth - d + min_depth) trees of depth d, each built bottom-up and checked
;;
;; check(tree) counts the nodes (a tree of depth d has 2^(d+1) - 1 of them).
;;
;; Exports:
;;   _start         WASI command: N from argv[1] (default 10), prints the standard lines with
;;                  fd_write:
;;                    stretch tree of depth 11\t check: 4095
;;                    1024\t trees of depth 4\t check: 31744
;;                    ...
;;                    long lived tree of depth 10\t check: 2047
;;   run(N) -> i32  the same work without output; returns the sum of every check value (mod 2^32)
;;   memory         the linear memory (WASI's buffers; the trees live in the GC heap)
;;
;; Build: wasm-tools parse benchmarks/gc/binary_trees.wat -o benchmarks/gc/binary_trees.wasm
(module
  (type $tree (struct (field $left (ref null $tree)) (field $right (ref null $tree))))

  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))

  ;; 0..15: iovec and scratch; 16..63: number formatting; 64..: the output line; 1024..: argv
  (memory (export "memory") 1)
  (data (i32.const 256) "stretch tree of depth ")       ;; 22 bytes
  (data (i32.const 288) "\t check: ")                   ;; 9 bytes
  (data (i32.const 304) "\t trees of depth ")           ;; 17 bytes
  (data (i32.const 336) "long lived tree of depth ")    ;; 25 bytes

  (global $out (mut i32) (i32.const 64))    ;; write position in the line buffer

  (func $bottom_up (param $depth i32) (result (ref $tree))
    (if (result (ref $tree)) (i32.eqz (local.get $depth))
      (then (struct.new $tree (ref.null $tree) (ref.null $tree)))
      (else
        (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
        (struct.new $tree (call $bottom_up (local.get $depth))
                          (call $bottom_up (local.get $depth))))))

  (func $check (param $t (ref $tree)) (result i32)
    (local $l (ref null $tree))
    (local.set $l (struct.get $tree $left (local.get $t)))
    (block $leaf
      (br_on_null $leaf (local.get $l))   ;; leaves the left child, (ref $tree)
      call $check
      (call $check (ref.as_non_null (struct.get $tree $right (local.get $t))))
      i32.add
      i32.const 1
      i32.add
      return)
    (i32.const 1))

  ;; the total of `iterations` trees of depth `depth`, each built and checked in turn
  (func $many (param $iterations i32) (param $depth i32) (result i32)
    (local $sum i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $iterations)))
        (local.set $sum (i32.add (local.get $sum)
                                 (call $check (call $bottom_up (local.get $depth)))))
        (local.set $iterations (i32.sub (local.get $iterations) (i32.const 1)))
        (br $again)))
    (local.get $sum))

  (func $max_depth (param $n i32) (result i32)
    (select (local.get $n) (i32.const 6) (i32.gt_s (local.get $n) (i32.const 6))))

  ;; --- output
  (func $put (param $ptr i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $ptr) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))

  (func $put_u32 (param $v i32)
    (local $p i32)
    (local.set $p (i32.const 64))                    ;; digits go backwards from 64 to 16
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $digit (local.get $v)))
    (call $put (local.get $p) (i32.sub (i32.const 64) (local.get $p))))

  (func $flush
    (global.set $out (i32.add (global.get $out) (i32.const 1)))
    (i32.store8 (i32.sub (global.get $out) (i32.const 1)) (i32.const 10))   ;; "\n"
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.sub (global.get $out) (i32.const 64)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (global.set $out (i32.const 64)))

  ;; N from argv[1] (decimal digits), 10 if there is none
  (func $arg_n (result i32)
    (local $argc i32) (local $p i32) (local $n i32) (local $c i32)
    (drop (call $args_sizes_get (i32.const 8) (i32.const 12)))
    (local.set $argc (i32.load (i32.const 8)))
    (if (i32.lt_u (local.get $argc) (i32.const 2)) (then (return (i32.const 10))))
    (if (i32.gt_u (i32.load (i32.const 12)) (i32.const 60000)) (then (return (i32.const 10))))
    (if (i32.gt_u (local.get $argc) (i32.const 1000)) (then (return (i32.const 10))))
    ;; pointers at 1024, strings after them
    (drop (call $args_get (i32.const 1024)
                          (i32.add (i32.const 1024) (i32.shl (local.get $argc) (i32.const 2)))))
    (local.set $p (i32.load (i32.const 1028)))
    (block $end
      (loop $digit
        (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
        (br_if $end (i32.gt_u (local.get $c) (i32.const 9)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (local.get $c)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digit)))
    (local.get $n))

  (func (export "_start")
    (local $max i32) (local $d i32) (local $iters i32) (local $long (ref null $tree))
    (local.set $max (call $max_depth (call $arg_n)))
    ;; stretch tree of depth max+1
    (call $put (i32.const 256) (i32.const 22))
    (call $put_u32 (i32.add (local.get $max) (i32.const 1)))
    (call $put (i32.const 288) (i32.const 9))
    (call $put_u32 (call $check (call $bottom_up (i32.add (local.get $max) (i32.const 1)))))
    (call $flush)
    (local.set $long (call $bottom_up (local.get $max)))
    (local.set $d (i32.const 4))
    (block $done
      (loop $depths
        (br_if $done (i32.gt_s (local.get $d) (local.get $max)))
        (local.set $iters (i32.shl (i32.const 1)
                                   (i32.add (i32.sub (local.get $max) (local.get $d)) (i32.const 4))))
        (call $put_u32 (local.get $iters))
        (call $put (i32.const 304) (i32.const 17))
        (call $put_u32 (local.get $d))
        (call $put (i32.const 288) (i32.const 9))
        (call $put_u32 (call $many (local.get $iters) (local.get $d)))
        (call $flush)
        (local.set $d (i32.add (local.get $d) (i32.const 2)))
        (br $depths)))
    (call $put (i32.const 336) (i32.const 25))
    (call $put_u32 (local.get $max))
    (call $put (i32.const 288) (i32.const 9))
    (call $put_u32 (call $check (ref.as_non_null (local.get $long))))
    (call $flush))

  (func (export "run") (param $n i32) (result i32)
    (local $max i32) (local $d i32) (local $sum i32) (local $long (ref null $tree))
    (local.set $max (call $max_depth (local.get $n)))
    (local.set $sum (call $check (call $bottom_up (i32.add (local.get $max) (i32.const 1)))))
    (local.set $long (call $bottom_up (local.get $max)))
    (local.set $d (i32.const 4))
    (block $done
      (loop $depths
        (br_if $done (i32.gt_s (local.get $d) (local.get $max)))
        (local.set $sum (i32.add (local.get $sum)
          (call $many (i32.shl (i32.const 1)
                               (i32.add (i32.sub (local.get $max) (local.get $d)) (i32.const 4)))
                      (local.get $d))))
        (local.set $d (i32.add (local.get $d) (i32.const 2)))
        (br $depths)))
    (i32.add (local.get $sum) (call $check (ref.as_non_null (local.get $long)))))
)
