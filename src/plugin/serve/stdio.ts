// Routing of a plugin's stdout and stderr (docs/protocol.md#stdout-stderr-and-logs). stdout belongs to the handshake:
// nothing may reach it before the line, and hosts discard what follows, so every stdout write is
// captured and sent over GRPCStdio/StreamStdio instead, as a Go plugin's redirected os.Stdout is.
//
// Policy (documented in README.md, "stdout, stderr and logs"):
//   - stdout writes (process.stdout.write, console.log/info/debug/dir/table) are queued, up to
//     `bufferBytes` (oldest dropped first), and sent to the host once it opens StreamStdio;
//   - stderr writes (process.stderr.write, console.error/warn/trace) go to the StreamStdio stream when a
//     host has opened one, else straight to the real stderr, which the host logs: nothing is lost;
//   - the plugin's own logger always writes hclog lines to the real stderr.
// Bun and Deno write console output natively, not through process.stdout.write, so the console
// methods are replaced as well.
import type { Env } from '../env.js';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { createStdioQueue, type StdioChannel, type StdioQueue } from './stdio-buffer.js';
import type { StdioData } from '../internal-services.js';

export const DEFAULT_STDIO_BUFFER_BYTES = 1024 * 1024;

type WriteFn = (chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void) => boolean;

const CONSOLE_METHODS = ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir', 'dirxml', 'table', 'group', 'groupCollapsed', 'groupEnd', 'count', 'countReset', 'time', 'timeEnd', 'timeLog', 'assert'] as const;

export interface StdioRouter {
  /** Writes to the real stdout (the handshake line). */
  writeStdout(text: string): void;
  /** Writes to the real stderr (log lines, start-up errors). */
  writeStderr(text: string): void;
  /** A Console whose output follows the routing rules (the seed API's `console`). */
  readonly console: Console;
  /** Output for one StreamStdio call, until `signal` aborts. A newer call replaces an older one. */
  stream(signal: AbortSignal): AsyncIterable<StdioData>;
  /** Bytes of stdout output dropped because no host drained them. */
  readonly dropped: number;
  /** Puts process.stdout, process.stderr and console back. */
  restore(): void;
  /** Takes the queued stdout bytes (used when the capture is undone). */
  drainHeld(): Uint8Array[];
}

let active: StdioRouter | undefined;

/** Captures stdout (and stderr, once a host streams) for this process; idempotent. */
export function captureStdio(options: { bufferBytes?: number } = {}): StdioRouter {
  if (active) return active;
  const stdout = process.stdout;
  const stderr = process.stderr;
  const realStdout = stdout.write.bind(stdout) as WriteFn;
  const realStderr = stderr.write.bind(stderr) as WriteFn;
  const originalStdoutWrite = stdout.write;
  const originalStderrWrite = stderr.write;
  const originalConsole = new Map<string, unknown>();
  const globalConsole = globalThis.console as unknown as Record<string, unknown>;
  const { router, route } = createRouter(realStdout, realStderr, options.bufferBytes, () => {
    stdout.write = originalStdoutWrite;
    stderr.write = originalStderrWrite;
    for (const [name, fn] of originalConsole) globalConsole[name] = fn;
    if (active === router) active = undefined;
  });

  const patch = (channel: StdioChannel): WriteFn =>
    function write(chunk, encoding, cb) {
      const callback = typeof encoding === 'function' ? encoding : cb;
      const enc = typeof encoding === 'string' ? encoding : 'utf8';
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, enc) : chunk;
      route(channel, bytes);
      if (callback) queueMicrotask(() => callback(null));
      return true;
    };
  stdout.write = patch('stdout') as typeof stdout.write;
  stderr.write = patch('stderr') as typeof stderr.write;

  for (const name of CONSOLE_METHODS) {
    const method = (router.console as unknown as Record<string, unknown>)[name];
    if (typeof method !== 'function') continue;
    originalConsole.set(name, globalConsole[name]);
    globalConsole[name] = method.bind(router.console);
  }
  active = router;
  return router;
}

/**
 * A router that patches nothing: `console` and the stream work as under captureStdio, and the "real"
 * stdout and stderr are the given functions. For plugins served inside another program (testPlugin).
 */
export function createStdioRouter(write: { stdout(bytes: Uint8Array): void; stderr(bytes: Uint8Array): void }, options: { bufferBytes?: number } = {}): StdioRouter {
  const wrap = (fn: (bytes: Uint8Array) => void): WriteFn => (chunk) => {
    fn(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return true;
  };
  return createRouter(wrap(write.stdout), wrap(write.stderr), options.bufferBytes, () => {}).router;
}

interface RouterState {
  readonly queue: StdioQueue;
  readonly realStderr: WriteFn;
  /** The StreamStdio call output goes to now; a newer call replaces it. */
  listener: { wake(): void; signal: AbortSignal } | undefined;
}

function createRouter(realStdout: WriteFn, realStderr: WriteFn, bufferBytes: number | undefined, restore: () => void): { router: StdioRouter; route(channel: StdioChannel, bytes: Uint8Array): void } {
  const state: RouterState = { queue: createStdioQueue({ maxBytes: bufferBytes ?? DEFAULT_STDIO_BUFFER_BYTES }), realStderr, listener: undefined };
  const route = (channel: StdioChannel, bytes: Uint8Array) => routeOutput(state, channel, bytes);
  const router: StdioRouter = {
    writeStdout: (text) => void realStdout(text),
    writeStderr: (text) => void realStderr(text),
    console: routedConsole(route),
    get dropped() {
      return state.queue.dropped;
    },
    stream(signal) {
      return { [Symbol.asyncIterator]: () => streamOutput(state, signal) };
    },
    drainHeld() {
      return state.queue.drain().filter((c) => c.channel === 'stdout').map((c) => c.data);
    },
    restore,
  };
  return { router, route };
}

/** stderr goes to the real stderr unless a host streams it; stdout always waits in the queue. */
function routeOutput(state: RouterState, channel: StdioChannel, bytes: Uint8Array): void {
  const listener = state.listener;
  if (channel === 'stderr' && (!listener || listener.signal.aborted)) {
    state.realStderr(bytes);
    return;
  }
  state.queue.push(channel, bytes);
  state.listener?.wake();
}

function routedConsole(route: (channel: StdioChannel, bytes: Uint8Array) => void): Console {
  const sink = (channel: StdioChannel) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        route(channel, chunk);
        cb();
      },
    });
  return new Console({ stdout: sink('stdout'), stderr: sink('stderr') });
}

/** One StreamStdio call: the queued output, then more as it comes, until aborted or replaced. */
async function* streamOutput(state: RouterState, signal: AbortSignal): AsyncGenerator<StdioData> {
  let wake: (() => void) | undefined;
  const self = {
    signal,
    wake: () => {
      const w = wake;
      wake = undefined;
      w?.();
    },
  };
  const previous = state.listener;
  state.listener = self;
  previous?.wake();
  const onAbort = () => self.wake();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted && state.listener === self) {
      for (const chunk of state.queue.drain()) {
        yield { channel: chunk.channel === 'stdout' ? 'STDOUT' : 'STDERR', data: chunk.data } satisfies StdioData;
      }
      if (state.queue.size > 0) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (state.listener === self) state.listener = undefined;
  }
}

/**
 * A go-plugin host always sets PLUGIN_PROTOCOL_VERSIONS (1.0.0+). When it is set as this module loads,
 * stdout is captured at once, so `console.log` in modules that run before serve() cannot reach the
 * handshake's stdout (docs/protocol.md#reading-the-line). If no plugin starts within a host's start timeout, the
 * capture is
 * undone and the held output printed, so a program that is not a plugin loses nothing.
 */
const HOST_START_TIMEOUT_MS = 60_000;
let releaseTimer: ReturnType<typeof setTimeout> | undefined;

export function captureStdioEarly(env: Env = process.env): void {
  if (active || env.PLUGIN_PROTOCOL_VERSIONS === undefined || typeof process === 'undefined' || !process.stdout) return;
  const router = captureStdio();
  releaseTimer = setTimeout(() => {
    if (active !== router || pluginStarted) return;
    const held = router.drainHeld();
    router.restore();
    for (const bytes of held) process.stdout.write(bytes);
  }, HOST_START_TIMEOUT_MS);
  releaseTimer.unref?.();
}

let pluginStarted = false;
/** Called when a plugin has printed its handshake: the early capture is now the plugin's. */
export function markPluginStarted(): void {
  pluginStarted = true;
  if (releaseTimer) clearTimeout(releaseTimer);
}

captureStdioEarly();
