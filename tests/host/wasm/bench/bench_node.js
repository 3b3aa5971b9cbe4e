// Benchmark reference: node (V8, a JIT) instantiates a module without imports, calls its
// export `run` and prints the result the way bench_run prints lib/wasm's.
'use strict';
const fs = require('fs');
const t0 = process.hrtime.bigint();
const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(process.argv[2])), {});
const t1 = process.hrtime.bigint();
const r = inst.exports.run() >>> 0;
const t2 = process.hrtime.bigint();
console.log(`result ${r} load ${Number(t1 - t0) / 1e9} run ${Number(t2 - t1) / 1e9}`);
