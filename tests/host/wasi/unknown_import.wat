;; A name wasi_snapshot_preview1 does not have: instantiation must refuse it (unknown import).
(module
  (import "wasi_snapshot_preview1" "fd_teleport" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
