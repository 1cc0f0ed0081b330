;; collatz: steps(n) is how many Collatz steps (n -> n/2 if even, else 3n+1) take n to 1.
;; The guest of examples/process_pool.py and examples/dask_map.py; build.sh assembles it to
;; collatz.wasm (whisk.Module also reads this text directly, with the wat extra).
(module
  (func (export "steps") (param $n i64) (result i32)
    (local $count i32)
    (block $done
      (loop $next
        (br_if $done (i64.le_u (local.get $n) (i64.const 1)))
        (local.set $n
          (if (result i64) (i64.eqz (i64.and (local.get $n) (i64.const 1)))
            (then (i64.shr_u (local.get $n) (i64.const 1)))
            (else (i64.add (i64.mul (local.get $n) (i64.const 3)) (i64.const 1)))))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (br $next)))
    (local.get $count)))
