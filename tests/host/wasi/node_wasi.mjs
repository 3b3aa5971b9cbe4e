// Runs a WASI command under node's own WASI (the reference for the differential test):
// node node_wasi.mjs [--dir HOSTDIR:NAME] [--env NAME=VALUE]... module.wasm [args...]
// Exit status: the app's, or 70 when it traps (anvaya-wasm's status for a trap).
// The "anvaya" imports answer ENOSYS here.
import { WASI } from 'node:wasi';
import fs from 'node:fs';

const argv = process.argv.slice(2);
const env = {};
const preopens = {};
while (argv.length > 0 && argv[0].startsWith('--')) {
  const opt = argv.shift();
  const val = argv.shift();
  if (opt === '--env') {
    const eq = val.indexOf('=');
    env[val.slice(0, eq)] = val.slice(eq + 1);
  } else if (opt === '--dir') {
    const colon = val.lastIndexOf(':');
    preopens[val.slice(colon + 1)] = val.slice(0, colon);
  } else {
    console.error(`node_wasi: unknown option ${opt}`);
    process.exit(64);
  }
}
const wasi = new WASI({ version: 'preview1', args: argv, env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(fs.readFileSync(argv[0]));
// node has no counterpart of the "anvaya" socket imports (docs/wasm.md, "Sockets"): an
// app that imports them links, and every call answers ENOSYS (52).
const imports = wasi.getImportObject();
imports.anvaya = { sock_connect: () => 52, sock_listen: () => 52, resolve: () => 52 };
const instance = await WebAssembly.instantiate(module, imports);
try {
  process.exitCode = wasi.start(instance);
} catch (e) {
  console.error(`node_wasi: trap: ${e.message}`);
  process.exitCode = 70;
}
