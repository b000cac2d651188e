// GO_PLUGIN_TS_TRACE=1: each start-up phase's duration on stderr (README, Shipping a plugin). Imported
// first by the package root, so its first mark is when the runtime reached this package.
import { writeSync } from 'node:fs';

/** Set (to anything but empty or 0) to print start-up phases on stderr. */
export const GO_PLUGIN_TS_TRACE = 'GO_PLUGIN_TS_TRACE';

const enabled = (() => {
  const value = process.env[GO_PLUGIN_TS_TRACE];
  return value !== undefined && value !== '' && value !== '0';
})();
let last = 0;

/**
 * Prints `go-plugin-ts startup: <phase> +<ms since the previous mark> (at <ms since the process started>)`.
 * Written straight to fd 2, past the stdio capture: a host logs these non-JSON lines at debug level.
 */
export function tracePhase(phase: string): void {
  if (!enabled) return;
  const now = performance.now();
  writeSync(2, `go-plugin-ts startup: ${phase} +${(now - last).toFixed(1)} ms (at ${now.toFixed(1)} ms)\n`);
  last = now;
}

tracePhase('runtime ready (first module of go-plugin-ts evaluated)');
