// Preloaded with --require: at exit, prints which heavy modules the process loaded, as one JSON line
// on stderr. zod is required through CJS (lazy-zod.ts), undici is Node's own (fetch, Response).
const Module = require('node:module');
process.on('exit', () => {
  const files = Object.keys(Module._cache ?? {});
  const loaded = {
    zod: files.some((file) => file.includes('/zod/')),
    undici: process.moduleLoadList.some((name) => name.includes('internal/deps/undici')),
  };
  process.stderr.write(`MODULE-PROBE ${JSON.stringify(loaded)}\n`);
});
