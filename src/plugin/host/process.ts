// The plugin's process, behind one small interface (go-plugin's runner): a child we launched in its own
// process group, or a reattached pid we can only signal and poll.
import type { ChildProcess } from 'node:child_process';
import { errorMessage } from '../../errors.js';
import { PluginStartError } from './options.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PluginProcess {
  readonly pid: number;
  /** Settles when the process exits (a reattached one: when it is seen gone). */
  readonly exited: Promise<ExitStatus>;
  /** SIGKILL: to the whole process group of a launched plugin, so a wrapper's children go too. */
  kill(): void;
  /** We started it (and its process group), rather than reattached to it. */
  readonly launched: boolean;
}

export interface LaunchedProcess extends PluginProcess {
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** Settles with the error when the executable could not be started. */
  readonly spawnError: Promise<Error>;
  /** The OS gave it a pid (spawn failures surface on spawnError). */
  readonly spawned: boolean;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
/** go-plugin polls a reattached pid every second. */
const REATTACH_POLL_MS = 1000;

/** Starts `executable` in its own process group, so kill() reaches what a wrapper (shell, npx) started (go-plugin#136). */
export async function spawnPlugin(executable: string, args: string[], options: { cwd?: string; env: Record<string, string>; name: string }): Promise<LaunchedProcess> {
  installExitHook();
  // Loaded here, not at import: plugins built on this package never spawn and start sooner.
  const { spawn } = await import('node:child_process');
  let child: ChildProcess;
  try {
    child = spawn(executable, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  } catch (err) {
    throw new PluginStartError(`cannot start plugin ${options.name}: ${errorMessage(err)}`, null, [], { cause: err });
  }
  live.add(child);
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid ?? 0,
    spawned: child.pid !== undefined,
    exited,
    stdout: child.stdout!,
    stderr: child.stderr!,
    spawnError: new Promise<Error>((resolve) => child.once('error', resolve)),
    kill: () => killTree(child, 'SIGKILL'),
    launched: true,
  };
}

/** A running plugin we did not start: checked with signal 0 now, and polled until it is gone. */
export function attachProcess(pid: number): PluginProcess {
  if (!isAlive(pid)) throw new PluginStartError(`reattachment process not found: no process with pid ${pid}`);
  const exited = new Promise<ExitStatus>((resolve) => {
    const timer = setInterval(() => {
      if (!isAlive(pid)) {
        clearInterval(timer);
        resolve({ code: null, signal: null });
      }
    }, REATTACH_POLL_MS);
    timer.unref();
  });
  return {
    pid,
    exited,
    launched: false,
    kill() {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
  };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Plugins never outlive their host (go-plugin's CleanupClients, done for every exit path we can see).
  const killAll = () => {
    for (const child of live) killTree(child, 'SIGKILL');
  };
  process.on('exit', killAll);
  // Plugins run in their own process group, so Ctrl-C no longer reaches them. When the host would die
  // of a signal (no handler of its own), kill them first, then die of that signal as before.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    const onSignal = () => {
      killAll();
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
