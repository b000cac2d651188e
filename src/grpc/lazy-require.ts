// Built-in modules loaded on first use, in a form that bundles and Node single executables run
// (see README, Shipping a plugin): a plugin that never compresses never loads node:zlib.
import { createRequire } from 'node:module';

/**
 * A node: built-in, synchronously. process.getBuiltinModule (Node >= 20.16, Bun, Deno 2) needs no
 * module URL, so it also works in a CommonJS bundle or a Node single executable, where
 * import.meta.url is undefined; createRequire covers older Node 20 releases.
 */
export function builtinModule<T>(id: `node:${string}`): T {
  const fromProcess = process.getBuiltinModule?.(id) as T | undefined;
  return fromProcess ?? (createRequire(import.meta.url)(id) as T);
}
