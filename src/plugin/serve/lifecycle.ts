// How a serving plugin stops: the host's Shutdown, SIGTERM, Ctrl-C in debug mode, a vanished host, or
// close(); each path runs the same steps once (docs/protocol.md#shutdown-and-signals).
import { errorMessage } from '../../errors.js';
import type { Logger } from '../logger.js';
import { within } from '../within.js';
import type { StdioRouter } from './stdio.js';

const DEFAULT_SHUTDOWN_HOOK_TIMEOUT_MS = 1500;
const PARENT_POLL_MS = 1000;

export interface LifecycleOptions {
  logger: Logger;
  stdio: StdioRouter;
  exitProcess: boolean;
  onShutdown?: (reason: string) => void | Promise<void>;
  shutdownHookTimeoutMs?: number;
  /** Ends the broker, the server (calls in flight get `graceMs`, default its own), the muxer and the listener, in that order. */
  release(graceMs?: number): Promise<void>;
}

export interface Lifecycle {
  /** Aborted as stopping begins: the internal services' streams end with it. */
  readonly signal: AbortSignal;
  /** Settles when serving has stopped. */
  readonly closed: Promise<void>;
  /** Stops once; with an exit code (and `exitProcess`) the process then exits. `graceMs` bounds the calls in flight. */
  stop(reason: string, exitCode: number | undefined, graceMs?: number): Promise<void>;
  /** SIGTERM, Ctrl-C (in debug mode only) and the host's exit stop the plugin. */
  watchProcess(debug: boolean): void;
  /** Runs `cleanup` (the socket file) if the process exits while serving. */
  onProcessExit(cleanup: () => void): void;
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const lifetime = new AbortController();
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let stopping: Promise<void> | undefined;
  let parentWatch: NodeJS.Timeout | undefined;
  let debugging = false;
  let exitCleanup: (() => void) | undefined;
  const onSigint = () => {
    if (debugging) void stop('interrupted (Ctrl-C) in debug mode', 0);
  };
  const onSigterm = () => void stop('SIGTERM', 0);
  const onExit = () => exitCleanup?.();

  function stop(reason: string, exitCode: number | undefined, graceMs?: number): Promise<void> {
    stopping ??= (async () => {
      options.logger.debug('plugin stopping', { reason });
      lifetime.abort();
      await options.release(graceMs);
      if (parentWatch) clearInterval(parentWatch);
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      process.off('exit', onExit);
      await runShutdownHook(options, reason);
      const exiting = exitCode !== undefined && options.exitProcess;
      // stdout, stderr and console are the program's again ("without exiting the process").
      if (!exiting) options.stdio.restore();
      resolveClosed();
      if (exiting) {
        // Handlers of `closed` get their turn before the exit.
        await new Promise((resolve) => setImmediate(resolve));
        process.exit(exitCode);
      }
    })();
    return stopping;
  }

  return {
    signal: lifetime.signal,
    closed,
    stop,
    watchProcess(debug) {
      debugging = debug;
      // Ctrl-C reaches host and plugin alike; the host decides (Go plugins ignore SIGINT for good).
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
      // Exit when the host has gone, so a SIGKILLed host leaves no orphan (go-plugin#210).
      const parent = process.ppid;
      parentWatch = setInterval(() => {
        if (process.ppid !== parent) void stop('the host process exited', 0);
      }, PARENT_POLL_MS);
      parentWatch.unref();
    },
    onProcessExit(cleanup) {
      exitCleanup = cleanup;
      process.on('exit', onExit);
    },
  };
}

/** The user's onShutdown hook, bounded in time; its failure is logged, and stopping goes on. */
async function runShutdownHook(options: LifecycleOptions, reason: string): Promise<void> {
  if (!options.onShutdown) return;
  try {
    await within(Promise.resolve(options.onShutdown(reason)), options.shutdownHookTimeoutMs ?? DEFAULT_SHUTDOWN_HOOK_TIMEOUT_MS);
  } catch (err) {
    options.logger.error('the onShutdown hook failed', { error: errorMessage(err) });
  }
}
