;; A WASI import with the wrong type: instantiation must refuse it (incompatible import type).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
