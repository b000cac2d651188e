// Preloaded into every test process by test/run.mjs: a default timeout for each it()/test() that
// sets none (TEST_TIMEOUT_MS, default 60 s), so a hung test fails in a minute instead of hanging the
// run. Node 20's own --test-timeout cannot do this: it is inherited by every suite and by each test
// file as a whole, so a file or describe() whose tests add up to more than the limit would fail.
// Hooks keep no timeout: a first, cold Go build belongs in before().
// Uses only public APIs: the named exports of node:test follow its CommonJS exports after
// syncBuiltinESMExports().
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const nodeTest = require('node:test');
const timeout = Number(process.env.TEST_TIMEOUT_MS ?? 60_000);

/** test(name?, options?, fn?) with `timeout` filled in unless the caller gave one. */
function withDefaultTimeout(original) {
  const wrapped = function (name, options, fn) {
    if (typeof name === 'function' || (typeof name === 'object' && name !== null)) [name, options, fn] = [undefined, name, options];
    if (typeof options === 'function') [options, fn] = [undefined, options];
    return original.call(this, name, { timeout, ...options }, fn);
  };
  for (const variant of ['skip', 'todo', 'only']) {
    if (typeof original[variant] === 'function') wrapped[variant] = withDefaultTimeout(original[variant]);
  }
  return wrapped;
}

if (Number.isFinite(timeout) && timeout > 0) {
  nodeTest.it = withDefaultTimeout(nodeTest.it);
  nodeTest.test = withDefaultTimeout(nodeTest.test);
  syncBuiltinESMExports();
}
