// Differential-fuzzing reference: node (V8) runs one module the way wasm_diffrun runs it in
// lib/wasm (binaryen's fuzzing-support logging imports; every exported function in export
// order with zero arguments) and prints the same lines: calls, logs, results as bits, traps.
// Needs --experimental-wasm-type-reflection for the parameter types.
'use strict';
const fs = require('fs');

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);

function show(type, v) {
  switch (type) {
    case 'i32': return 'i32 ' + (v >>> 0).toString(16);
    case 'i64': return 'i64 ' + BigInt.asUintN(64, v).toString(16);
    case 'f32': f32[0] = v; return Number.isNaN(v) ? 'f32 nan' : 'f32 ' + u32[0].toString(16);
    default: f64[0] = v; return Number.isNaN(v) ? 'f64 nan' : 'f64 ' + u64[0].toString(16);
  }
}

const out = [];
const log = (t) => (v) => { out.push('log ' + show(t, v)); };
let mod, inst;
try {
  mod = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
} catch (e) {
  console.log('invalid module');
  process.exit(0);
}
try {
  inst = new WebAssembly.Instance(mod, {'fuzzing-support': {
    'log-i32': log('i32'), 'log-i64': log('i64'), 'log-f32': log('f32'), 'log-f64': log('f64')}});
} catch (e) {
  console.log('instantiation failed');
  process.exit(0);
}
for (const d of WebAssembly.Module.exports(mod)) {
  if (d.kind !== 'function') continue;
  out.push('call ' + d.name);
  const args = d.type.parameters.map((t) => (t === 'i64' ? 0n : 0));
  try {
    const r = inst.exports[d.name](...args);
    if (d.type.results.length) out.push('result ' + show(d.type.results[0], r));
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError || e instanceof RangeError)) throw e;
    out.push('trap');
  }
}
console.log(out.join('\n'));
