// The Go peers of the interop tests, built on this machine at test time (never committed), all in
// module mode with the Go found by goBinary() (tools.ts) and modules from the Go module proxy:
// - modern host/plugin: newest hashicorp/go-plugin (test/go/modern);
// - legacy host/plugin: hashicorp/go-plugin v1.0.1 with the grpc/protobuf versions its own go.mod
//   names (test/go/legacy), so 1.0.1's plugin and host code paths are the ones under test;
// - grpc-go's interop client and a loopback interop server around grpc-go's interop TestService.
// Binaries land in test/go/bin, rebuilt only when the sources or the toolchain change; a lock file
// keeps parallel test processes from building at the same time.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBinary, goBuildEnv } from './tools.js';

export { goBinary, goBuildEnv } from './tools.js';

export interface GoPeers {
  /** newest go-plugin host: `modernHost [flags] -- <plugin command> [args...]` (test/go/modern/cmd/host) */
  modernHost: string;
  /** newest go-plugin plugin serving grpctest.Test at versions 1 and 2 (test/go/modern/cmd/plugin) */
  modernPlugin: string;
  /** grpc-go's interop client (google.golang.org/grpc/interop/client) */
  interopClient: string;
  /** grpc-go's interop TestService on 127.0.0.1 or a unix socket (test/go/modern/cmd/interop-server) */
  interopServer: string;
  /** grpc-go health service and client over mutual TLS with given certificates (test/go/modern/cmd/mtls-peer) */
  mtlsPeer: string;
  /** go-plugin 1.0.1 host (test/go/legacy/cmd/host) */
  legacyHost: string;
  /** go-plugin 1.0.1 plugin (test/go/legacy/cmd/plugin) */
  legacyPlugin: string;
}

/** The cookie go-plugin's own tests use; every Go peer here defaults to it. */
export const goPluginTestEnv = Object.freeze({
  cookieKey: 'TEST_PLUGIN_MAGIC_COOKIE',
  cookieValue: 'test',
});

const root = fileURLToPath(new URL('../go/', import.meta.url));
export const GO_BIN_DIR = join(root, 'bin');
const stampPath = join(GO_BIN_DIR, '.stamp');
const lockPath = join(GO_BIN_DIR, '.lock');

// [binary name, package] per Go module; the names are what the GoPeers fields point at.
const MODULES = {
  modern: [
    ['modern-host', './cmd/host'],
    ['modern-plugin', './cmd/plugin'],
    ['interop-server', './cmd/interop-server'],
    ['interop-client', 'google.golang.org/grpc/interop/client'],
    ['mtls-peer', './cmd/mtls-peer'],
  ],
  legacy: [
    ['legacy-host', './cmd/host'],
    ['legacy-plugin', './cmd/plugin'],
  ],
} as const;

const BUILD_TIMEOUT_MS = 15 * 60_000;
const LOCK_WAIT_MS = 20 * 60_000;

let built: Promise<GoPeers> | undefined;

/**
 * Builds every Go peer once per machine (cached by a hash of the sources, go.mod/go.sum and the
 * toolchain) and returns their absolute paths. Throws if Go is missing: interop tests are never
 * skipped. Call it from a before() hook (hooks have no per-test timeout): a cold build downloads
 * and compiles for minutes.
 */
export function goPeers(): Promise<GoPeers> {
  built ??= Promise.resolve().then(buildOnce);
  return built;
}

function peerPaths(): GoPeers {
  const bin = (name: string) => join(GO_BIN_DIR, name);
  return {
    modernHost: bin('modern-host'),
    mtlsPeer: bin('mtls-peer'),
    modernPlugin: bin('modern-plugin'),
    interopClient: bin('interop-client'),
    interopServer: bin('interop-server'),
    legacyHost: bin('legacy-host'),
    legacyPlugin: bin('legacy-plugin'),
  };
}

async function buildOnce(): Promise<GoPeers> {
  const go = goBinary();
  const peers = peerPaths();
  const hash = sourceHash(go);
  const fresh = () =>
    existsSync(stampPath) &&
    readFileSync(stampPath, 'utf8') === hash &&
    Object.values(peers).every((path) => existsSync(path));
  if (fresh()) return peers;

  mkdirSync(GO_BIN_DIR, { recursive: true });
  const release = await acquireLock();
  try {
    if (fresh()) return peers; // another test process built them while we waited
    const began = Date.now();
    process.stderr.write('go-peers: building the Go interop peers into test/go/bin (a cold build downloads modules and takes minutes)\n');
    const staging = join(GO_BIN_DIR, `.staging-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    try {
      for (const [module, packages] of Object.entries(MODULES)) buildModule(go, join(root, module), packages, staging);
      for (const name of readdirSync(staging)) renameSync(join(staging, name), join(GO_BIN_DIR, name));
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    writeFileSync(stampPath, hash);
    process.stderr.write(`go-peers: built in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
    return peers;
  } finally {
    release();
  }
}

function sourceHash(go: string): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(MODULES));
  hash.update(`${go}:${statSync(go).mtimeMs}\n`);
  for (const module of Object.keys(MODULES)) {
    for (const file of sourceFiles(join(root, module))) {
      hash.update(`${relative(root, file)}\n`);
      hash.update(readFileSync(file));
    }
  }
  return hash.digest('hex');
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.go$|^go\.(mod|sum)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** `go build` of one module's packages into out, each binary under its GoPeers name. */
function buildModule(go: string, moduleDir: string, packages: ReadonlyArray<readonly [name: string, pkg: string]>, out: string): void {
  const staged = join(out, `.${packages[0]![0]}`);
  mkdirSync(staged);
  run(go, ['build', '-o', `${staged}/`, ...packages.map(([, pkg]) => pkg)], moduleDir, goBuildEnv());
  for (const [name, pkg] of packages) renameSync(join(staged, pkg.split('/').at(-1)!), join(out, name));
  rmSync(staged, { recursive: true });
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    const why = result.error ? String(result.error) : `exit ${result.status ?? result.signal}`;
    throw new Error(`go-peers: \`${command} ${args.join(' ')}\` in ${cwd} failed (${why}):\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** An exclusive lock file holding the builder's pid; a lock whose process is gone is taken over. */
async function acquireLock(): Promise<() => void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder();
    if (holder === 'gone' || (holder === 'unknown' && Date.now() - lockAgeStart() > 10_000)) {
      rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`go-peers: ${lockPath} has been held by pid ${holder} for ${LOCK_WAIT_MS / 60_000} min; remove it if no build is running`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** 'gone' when the lock is free or its builder died; 'unknown' while its pid is not written yet. */
function lockHolder(): number | 'gone' | 'unknown' {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch {
    return 'gone';
  }
  const pid = Number.parseInt(text, 10);
  if (!Number.isInteger(pid) || pid <= 0) return 'unknown';
  return processExists(pid) ? pid : 'gone';
}

function lockAgeStart(): number {
  try {
    return statSync(lockPath).mtimeMs;
  } catch {
    return 0;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One JSON object a Go peer printed on its own line. Hosts always print step and ok
 * (`{"step":"double","ok":true,"input":21,"value":42}`); interop-server and debug-mode plugins
 * print other shapes.
 */
export interface GoLine {
  step?: string;
  ok?: boolean;
  error?: string;
  [field: string]: unknown;
}

export interface GoResult {
  /** exit code, or null when the process died of a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the run outlived timeoutMs and was killed with SIGKILL */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** every stdout line that parsed as a JSON object, in order */
  lines: GoLine[];
}

export interface GoRunOptions {
  /** added to this process's environment */
  env?: Record<string, string | undefined>;
  /** SIGKILL after this long (default 60 s) */
  timeoutMs?: number;
  cwd?: string;
}

/** Runs a Go peer to completion and collects its output. */
export function runGo(binary: string, args: string[], options: GoRunOptions = {}): Promise<GoResult> {
  const run = startGo(binary, args, options);
  run.closeStdin();
  return run.result;
}

export interface GoProcess {
  pid: number;
  /** the lines parsed so far */
  lines: GoLine[];
  /** resolves with the first line (already seen or still to come) that matches */
  waitForLine(match: (line: GoLine) => boolean, timeoutMs?: number): Promise<GoLine>;
  /** waitForLine for the line whose step is `step` */
  waitForStep(step: string, timeoutMs?: number): Promise<GoLine>;
  /** ends stdin: a host holding a plugin for reattach (-scenario reattach) then finishes */
  closeStdin(): void;
  kill(signal?: NodeJS.Signals): void;
  result: Promise<GoResult>;
}

/** Starts a Go peer with a stdin pipe and lets the caller follow its JSON lines as they come. */
export function startGo(binary: string, args: string[], options: GoRunOptions = {}): GoProcess {
  const child = spawn(binary, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: GoLine[] = [];
  const waiters = new Set<() => void>();
  let stdout = '';
  let stderr = '';
  let pending = '';
  let exited = false;
  let timedOut = false;
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      const parsed = parseLine(line);
      if (parsed) lines.push(parsed);
    }
    for (const wake of waiters) wake();
  });
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => {}); // the peer may exit before reading stdin
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  const result = new Promise<GoResult>((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${binary}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      exited = true;
      const last = parseLine(pending.trim());
      if (last) lines.push(last);
      for (const wake of waiters) wake();
      resolve({ code, signal, timedOut, stdout, stderr, lines });
    });
  });

  function waitForLine(match: (line: GoLine) => boolean, timeoutMs = 30_000, what = 'matching'): Promise<GoLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (found) finish(() => resolve(found));
        else if (exited) finish(() => reject(new Error(`${binary} exited without a ${what} line; stdout:\n${stdout}\nstderr:\n${stderr}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what} line from ${binary} within ${timeoutMs} ms; stdout:\n${stdout}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  }

  return {
    pid: child.pid ?? -1,
    lines,
    waitForLine: (match, timeoutMs) => waitForLine(match, timeoutMs),
    waitForStep: (step, timeoutMs) => waitForLine((line) => line.step === step, timeoutMs, `"${step}"`),
    closeStdin: () => child.stdin.end(),
    kill: (signal = 'SIGTERM') => {
      if (!exited) child.kill(signal);
    },
    result,
  };
}

function parseLine(line: string): GoLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as GoLine) : undefined;
  } catch {
    return undefined;
  }
}
