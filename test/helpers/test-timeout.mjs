// Preloaded into every test process by test/run.mjs: a default timeout for each it()/test() that
// sets none (TEST_TIMEOUT_MS, default 60 s), so a hung test fails in a minute instead of hanging the
// run. Node 20's own --test-timeout cannot do this: it is inherited by every suite and by each test
// file as a whole, so a file or describe() whose tests add up to more than the limit would fail.
// Hooks keep no timeout: a first, cold Go build belongs in before().
// Uses only public APIs: the named exports of node:test follow its CommonJS exports after
// syncBuiltinESMExports().
import { createRequire, syncBuiltinESMExports } from 'node:module';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const nodeTest = require('node:test');
const timeout = Number(process.env.TEST_TIMEOUT_MS ?? 60_000);

/** The file, line and column of our caller's caller: the test file's it() call. */
function callSite() {
  const { prepareStackTrace, stackTraceLimit } = Error;
  const holder = {};
  try {
    Error.stackTraceLimit = 3;
    Error.prepareStackTrace = (_, frames) => frames;
    Error.captureStackTrace(holder, callSite);
    const frame = holder.stack[1];
    return frame ? { file: frame.getFileName(), line: frame.getLineNumber(), column: frame.getColumnNumber() } : undefined;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

// node:test records where a test is declared from the frame that calls it(), which would be the
// wrapper below. So the wrapper calls it() through a one-line function compiled with the test
// file's name, line and column: reports still say where the test is.
const CALL = 'return original(name, options, fn);';
const CALL_COLUMN = CALL.indexOf('original');
const trampolines = new Map();
function trampoline(site) {
  if (!site?.file || !site.line || !site.column) return (original, name, options, fn) => original(name, options, fn);
  const key = `${site.file}:${site.line}:${site.column}`;
  let call = trampolines.get(key);
  if (!call) {
    call = vm.compileFunction(CALL, ['original', 'name', 'options', 'fn'], { filename: site.file, lineOffset: site.line - 1, columnOffset: site.column - 1 - CALL_COLUMN });
    trampolines.set(key, call);
  }
  return call;
}

/** test(name?, options?, fn?) with `timeout` filled in unless the caller gave one. */
function withDefaultTimeout(original) {
  const wrapped = function (name, options, fn) {
    if (typeof name === 'function' || (typeof name === 'object' && name !== null)) [name, options, fn] = [undefined, name, options];
    if (typeof options === 'function') [options, fn] = [undefined, options];
    return trampoline(callSite())(original, name, { timeout, ...options }, fn);
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
