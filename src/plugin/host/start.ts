// The host side of go-plugin: launch a plugin (Go or TS), read its handshake, connect with AutoMTLS,
// open the broker and stdio streams, log its stderr, and kill it the way go-plugin's host does
// (docs/protocol.md#lifecycle).
import type { ChildProcess } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import { accessSync, constants as fsConstants, createReadStream, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { createChannel, type Channel } from '../../http2/channel.js';
import type { TlsClientOptions, TlsServerOptions } from '../../http2/tls-options.js';
import { createClient, type Client } from '../../grpc/client.js';
import type { ServiceDefinition } from '../../grpc/service.js';
import { GrpcError, Status } from '../../grpc/status.js';
import { createQueue } from '../../grpc/queue.js';
import { certificateFromDer, generateCertificate, hostClientTls, hostServerTls } from '../../tls/index.js';
import { createBroker, type Broker } from '../broker.js';
import { DEFAULT_MAX_PORT, DEFAULT_MIN_PORT, PLUGIN_CLIENT_CERT, PLUGIN_MAX_PORT, PLUGIN_MIN_PORT, PLUGIN_MULTIPLEX_GRPC, PLUGIN_PROTOCOL_VERSIONS } from '../env.js';
import { connectHostMuxer } from '../multiplex.js';
import { parseHandshake, type Handshake } from '../handshake.js';
import { createLogLineParser } from '../hclog.js';
import type { Logger } from '../logger.js';
import { internalServices, type ConnInfo } from '../internal-services.js';
import type { Transport } from '../plugin-listener.js';
import { within } from '../within.js';

export interface ReattachConfig {
  protocol: 'grpc';
  protocolVersion: number;
  network: 'unix' | 'tcp';
  address: string;
  pid: number;
  /** Kill() leaves a test plugin running (go-plugin's ReattachConfig.Test). */
  test?: boolean;
  /** AutoMTLS material: the plugin's certificate, and the host certificate and key the plugin trusts. */
  tls?: { pluginCertPem: string; hostCertPem: string; hostKeyPem: string };
}

export interface StartPluginOptions {
  /** The executable; found on PATH when it has no slash. */
  command?: string;
  args?: string[];
  /** Added over the host's environment (which the plugin inherits unless skipHostEnv). */
  env?: Record<string, string | undefined>;
  skipHostEnv?: boolean;
  cwd?: string;
  magicCookieKey: string;
  magicCookieValue: string;
  /** App protocol versions offered, in PLUGIN_PROTOCOL_VERSIONS. */
  versions: number[];
  /** Mutual TLS with per-launch certificates (default true). */
  autoMTLS?: boolean;
  /**
   * Time for the whole start: spawn, handshake line, and connecting (TCP, TLS, HTTP/2 SETTINGS).
   * Default 60 s. Connecting alone is also bounded by `connectTimeoutMs`.
   */
  startTimeoutMs?: number;
  /** Time for connecting to the plugin once its handshake line is read (default 20 s, as gRPC's dial). */
  connectTimeoutMs?: number;
  /**
   * The TCP port range the plugin may listen in (PLUGIN_MIN_PORT/PLUGIN_MAX_PORT for the plugin).
   * Default: those keys of `env`, else 10000–25000, as go-plugin's ClientConfig MinPort/MaxPort;
   * the host process's own environment is not consulted.
   */
  portRange?: { min: number; max: number };
  /** Receives the plugin's log lines (hclog JSON at their level; other lines at debug). */
  logger?: Logger;
  /** What the plugin wrote to stdout after its handshake, from the stdio stream. */
  onStdout?(data: Uint8Array): void;
  /** What the plugin wrote to stderr: stdio stream data, and stderr lines that are not log entries. */
  onStderr?(data: Uint8Array): void;
  /** Connect to a running plugin instead of launching one. */
  reattach?: ReattachConfig;
  /** Checked against the executable before launch. */
  checksum?: { algorithm: 'sha256' | 'sha384' | 'sha512' | 'sha1'; hex: string };
  /** Default 2^31-1, as Go hosts dial. */
  maxReceiveMessageSize?: number;
  /** Transport for host-side broker listeners (default unix; tcp on Windows). */
  brokerTransport?: Transport;
  /** Hears each phase of a launch as it happens, for tools that time and explain it (`go-plugin-ts inspect`). */
  onLaunchEvent?(event: LaunchEvent): void;
  /**
   * gRPC broker multiplexing (go-plugin >= 1.6's GRPCBrokerMultiplex): one connection to the plugin
   * carries every gRPC connection as a yamux stream. Plugins that do not answer it are refused.
   * Not with reattach, as in go-plugin.
   */
  multiplex?: boolean;
}

/** A phase of a launch: the process started, it wrote a stdout line (the first is the handshake), the connection is up. */
export type LaunchEvent =
  | { phase: 'spawned'; pid: number }
  | { phase: 'stdout'; line: string }
  | { phase: 'connected'; tls: boolean };

export interface PluginClient {
  readonly negotiatedVersion: number;
  readonly channel: Channel;
  readonly broker: Broker;
  readonly pid: number;
  readonly reattachConfig: ReattachConfig;
  /** A client for one of the plugin's services, on the plugin's channel. */
  client<S extends ServiceDefinition>(definition: S): Client<S>;
  /** Health check of the service "plugin", as go-plugin's Ping. */
  ping(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Shutdown, then SIGKILL (the process group of a wrapper too) when the plugin has not exited 2 s
   * after kill() began: the Shutdown call and the exit share those 2 s. Resolves within about 2.5 s.
   */
  kill(): Promise<void>;
  /** Settles when the plugin process exits (for reattached plugins: when it is seen gone). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Launching or connecting failed; `stderr` holds the plugin's last stderr lines, when there are any. */
export class PluginStartError extends Error {
  override name = 'PluginStartError';
  constructor(
    message: string,
    readonly exitCode: number | null = null,
    readonly stderr: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
/** A reattach whose ping failed closes its channel within this; an open call must not hold it. */
const REATTACH_CLOSE_WAIT_MS = 1000;
const KILL_WAIT_MS = 2000;
/** After SIGKILL the kernel ends the process at once; this only bounds waiting for the exit event. */
const SIGKILL_WAIT_MS = 500;
const STDERR_TAIL_LINES = 20;
const HOST_MAX_MESSAGE_SIZE = 2 ** 31 - 1;
const MAX_LINE_BYTES = 64 * 1024;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

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

export async function startPlugin(options: StartPluginOptions): Promise<PluginClient> {
  if (!options.magicCookieKey || typeof options.magicCookieValue !== 'string') {
    throw new TypeError('magicCookieKey and magicCookieValue are required: the values the plugin expects');
  }
  if (!Array.isArray(options.versions) || options.versions.length === 0 || options.versions.some((v) => !Number.isSafeInteger(v))) {
    throw new TypeError('versions must list the integer app protocol versions this host speaks');
  }
  if (options.reattach && options.multiplex) {
    throw new TypeError('gRPC broker multiplexing is not supported with reattach: leave multiplex off to reattach');
  }
  if (options.reattach) return reattach(options, options.reattach);
  if (!options.command) throw new TypeError('command is required unless reattach is given');
  return launch(options, options.command);
}

async function launch(options: StartPluginOptions, command: string): Promise<PluginClient> {
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const executable = resolveExecutable(command, options.cwd, options.env?.PATH ?? process.env.PATH);
  if (options.checksum) await verifyChecksum(executable, options.checksum);
  const autoMTLS = options.autoMTLS ?? true;
  const own = autoMTLS ? await generateCertificate() : undefined;
  const hostEnv = options.skipHostEnv ? {} : process.env;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...hostEnv, ...options.env })) if (v !== undefined) env[k] = v;
  env[options.magicCookieKey] = options.magicCookieValue;
  const ports = portRange(options);
  env[PLUGIN_MIN_PORT] = String(ports.min);
  env[PLUGIN_MAX_PORT] = String(ports.max);
  env[PLUGIN_PROTOCOL_VERSIONS] = options.versions.join(',');
  if (own) env[PLUGIN_CLIENT_CERT] = own.certPem;
  else delete env[PLUGIN_CLIENT_CERT];
  if (options.multiplex) env[PLUGIN_MULTIPLEX_GRPC] = 'true';
  else delete env[PLUGIN_MULTIPLEX_GRPC];

  installExitHook();
  // Loaded here, not at import: plugins built on this package never spawn and start sooner.
  const { spawn } = await import('node:child_process');
  // Own process group, so kill() reaches what a wrapper (shell, npx) started (go-plugin#136).
  let child: ChildProcess;
  try {
    child = spawn(executable, options.args ?? [], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
  } catch (err) {
    throw new PluginStartError(`cannot start plugin ${command}: ${(err as Error).message}`, null, [], { cause: err });
  }
  live.add(child);
  if (child.pid !== undefined) options.onLaunchEvent?.({ phase: 'spawned', pid: child.pid });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const stderrTail: string[] = [];
  const parseLog = createLogLineParser();
  const logger = options.logger;
  const pluginName = command.split(/[\\/]/).pop() ?? command;
  const stderrDone = readLines(child.stderr!, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    const entry = parseLog(line);
    const isEntry = entry.raw !== entry.message || Object.keys(entry.fields).length > 0 || entry.module !== undefined;
    if (logger) {
      const fields = { plugin: pluginName, ...entry.fields, ...(entry.module ? { '@module': entry.module } : {}) };
      logger[entry.level](entry.message, fields);
    }
    if (!isEntry) options.onStderr?.(Buffer.from(line + '\n'));
  });

  let firstLine: (line: string | undefined) => void;
  const lineSeen = new Promise<string | undefined>((resolve) => (firstLine = resolve));
  let gotLine = false;
  const stdoutDone = readLines(child.stdout!, (line) => {
    options.onLaunchEvent?.({ phase: 'stdout', line });
    if (!gotLine) {
      gotLine = true;
      firstLine(line);
    }
    // Later stdout lines are drained and discarded, as go-plugin does (docs/protocol.md#reading-the-line).
  }).then(() => firstLine(undefined));

  const fail = async (message: string, cause?: unknown): Promise<never> => {
    killTree(child, 'SIGKILL');
    const result = await Promise.race([exited, delay(1000).then(() => undefined)]);
    await Promise.race([stderrDone, delay(200)]);
    const tail = stderrTail.slice(-STDERR_TAIL_LINES);
    const detail = tail.length ? `; its last stderr lines:\n  ${tail.join('\n  ')}` : '';
    throw new PluginStartError(message + detail, result?.code ?? null, tail, { cause });
  };

  const outcome = await Promise.race([
    lineSeen.then((line) => ({ kind: 'line' as const, line })),
    spawnError.then((err) => ({ kind: 'spawn' as const, err })),
    exited.then((result) => ({ kind: 'exit' as const, result })),
    delay(Math.max(0, deadline - Date.now())).then(() => ({ kind: 'timeout' as const })),
  ]);
  if (outcome.kind === 'spawn') return fail(`cannot start plugin ${command}: ${outcome.err.message}`, outcome.err);
  if (outcome.kind === 'timeout') return fail(`timeout while waiting for plugin ${command} to start (${timeoutMs} ms without a handshake line)`);
  let line: string | undefined;
  if (outcome.kind === 'exit') {
    // The line may have arrived just before the exit.
    line = await Promise.race([lineSeen, delay(50).then(() => undefined)]);
    if (line === undefined) {
      await Promise.race([stderrDone, delay(500)]);
      return fail(`plugin ${command} exited before we could connect (exit code ${outcome.result.code ?? outcome.result.signal})`);
    }
  } else {
    line = outcome.line;
  }
  if (line === undefined) {
    // stdout usually ends as the process exits: then the exit code says more than the closed pipe.
    const result = await within(exited, 1000);
    if (result) {
      await within(stderrDone, 500);
      return fail(`plugin ${command} exited before we could connect (exit code ${result.code ?? result.signal})`);
    }
    return fail(`plugin ${command} closed its stdout before printing a handshake line; Failed to read any lines from plugin's stdout`);
  }

  // From here every failure, whatever throws it, goes through fail(): the plugin is running and must
  // not outlive a start that did not succeed.
  let handshake: Handshake;
  let clientTls: TlsClientOptions | undefined;
  let serverTls: TlsServerOptions | undefined;
  let pluginCertPem: string | undefined;
  try {
    handshake = parseHandshake(line, { offeredVersions: options.versions, expectCert: autoMTLS, multiplexRequested: options.multiplex === true });
    if (own && handshake.serverCertDer) {
      const pluginCert = certificateFromDer(handshake.serverCertDer, "the plugin's certificate (handshake field 6)");
      pluginCertPem = pluginCert.pem;
      clientTls = hostClientTls(own, pluginCert.pem);
      serverTls = hostServerTls(own, pluginCert.pem);
    }
  } catch (err) {
    return fail(`plugin ${command}: ${(err as Error).message}`, err);
  }
  const connectTimeoutMs = Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, deadline - Date.now());
  if (connectTimeoutMs <= 0) return fail(`timeout while starting plugin ${command} (${timeoutMs} ms): no time left to connect`);
  try {
    return await connect({
      connectTimeoutMs,
      options,
      handshake,
      clientTls,
      serverTls,
      pid: child.pid!,
      child,
      exited,
      ioDone: Promise.all([stdoutDone, stderrDone]).then(() => {}),
      tlsMaterial: own && pluginCertPem ? { pluginCertPem, hostCertPem: own.certPem, hostKeyPem: own.keyPem } : undefined,
    });
  } catch (err) {
    return fail(`cannot connect to plugin ${command}: ${(err as Error).message}`, err);
  }
}

async function reattach(options: StartPluginOptions, config: ReattachConfig): Promise<PluginClient> {
  if (config.protocol !== 'grpc') throw new PluginStartError(`reattach: protocol "${config.protocol}" is not supported; only grpc`);
  if (!isAlive(config.pid)) throw new PluginStartError(`reattachment process not found: no process with pid ${config.pid}`);
  let clientTls: TlsClientOptions | undefined;
  let serverTls: TlsServerOptions | undefined;
  if (config.tls) {
    const own = { certPem: config.tls.hostCertPem, keyPem: config.tls.hostKeyPem };
    clientTls = hostClientTls(own, config.tls.pluginCertPem);
    serverTls = hostServerTls(own, config.tls.pluginCertPem);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // go-plugin polls a reattached pid every second.
    const timer = setInterval(() => {
      if (!isAlive(config.pid)) {
        clearInterval(timer);
        resolve({ code: null, signal: null });
      }
    }, 1000);
    timer.unref();
  });
  const handshake: Handshake = {
    coreVersion: 1,
    appVersion: config.protocolVersion,
    network: config.network,
    address: config.address,
    protocol: 'grpc',
    multiplex: false,
  };
  // go-plugin's one test dial: a socket that refuses the connection fails like a failed Ping.
  const unreachable = (err: unknown) =>
    new PluginStartError(`reattachment process not found: cannot reach the plugin at ${config.address}: ${(err as Error).message}`, null, [], { cause: err });
  // Ends the broker and stdio streams connect() opens if the ping fails: a channel closes only once
  // its streams end, and a plugin that never ends them would hold the reattach forever.
  const lifetime = new AbortController();
  let client: PluginClient;
  try {
    client = await connect({
      lifetime,
      options,
      handshake,
      clientTls,
      serverTls,
      pid: config.pid,
      exited,
      tlsMaterial: config.tls,
      test: config.test,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw unreachable(err);
  }
  try {
    await client.ping({ timeoutMs: 5000 });
  } catch (err) {
    lifetime.abort();
    await within(client.channel.close(), REATTACH_CLOSE_WAIT_MS);
    throw unreachable(err);
  }
  return client;
}

interface ConnectArgs {
  options: StartPluginOptions;
  handshake: Handshake;
  clientTls?: TlsClientOptions;
  serverTls?: TlsServerOptions;
  pid: number;
  child?: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ioDone?: Promise<void>;
  tlsMaterial?: ReattachConfig['tls'];
  test?: boolean;
  connectTimeoutMs: number;
  /** Aborting it ends the broker and stdio streams (kill() does; reattach does when the ping fails). */
  lifetime?: AbortController;
}

async function connect(args: ConnectArgs): Promise<PluginClient> {
  const { options, handshake, clientTls, serverTls, child, exited } = args;
  const services = internalServices();
  const maxReceive = options.maxReceiveMessageSize ?? HOST_MAX_MESSAGE_SIZE;
  const target = handshake.network === 'unix' ? `unix:${handshake.address}` : handshake.address;
  // Multiplexed: the main connection and every broker connection are yamux streams on one socket.
  const muxer = handshake.multiplex ? await connectHostMuxer(handshake.network, handshake.address, args.connectTimeoutMs) : undefined;
  const channel = createChannel(target, {
    connectTimeoutMs: args.connectTimeoutMs,
    ...(clientTls ? { tls: clientTls } : {}),
    ...(muxer ? { createConnection: () => muxer.openMain() } : {}),
  });
  try {
    await channel.session();
  } catch (err) {
    await muxer?.close();
    throw err;
  }
  options.onLaunchEvent?.({ phase: 'connected', tls: clientTls !== undefined });
  const clientOptions = { maxReceiveMessageSize: maxReceive };

  // Broker stream: opened at once, errors ignored (go-plugin starts it asynchronously, docs/protocol.md#lifecycle).
  const lifetime = args.lifetime ?? new AbortController();
  const outgoing = createQueue<ConnInfo>({ highWater: Infinity });
  const broker = createBroker({
    send: (info) => outgoing.push(info),
    tls: () => ({ server: serverTls, client: clientTls }),
    transport: options.brokerTransport,
    maxReceiveMessageSize: maxReceive,
    muxer,
  });
  const brokerClient = createClient(services.broker, channel, clientOptions);
  void (async () => {
    try {
      for await (const info of brokerClient.StartStream(outgoing, { signal: lifetime.signal })) broker.receive(info);
    } catch {
      // UNIMPLEMENTED from plugins that never broker, or the end of the connection.
    }
  })();

  const stdioClient = createClient(services.stdio, channel, clientOptions);
  void (async () => {
    try {
      for await (const chunk of stdioClient.StreamStdio({}, { signal: lifetime.signal })) {
        if (chunk.channel === 'STDOUT' || chunk.channel === 1) options.onStdout?.(chunk.data);
        else if (chunk.channel === 'STDERR' || chunk.channel === 2) options.onStderr?.(chunk.data);
        else options.logger?.warn('unknown stdio channel from plugin, dropping data', { channel: chunk.channel });
      }
    } catch (err) {
      const code = (err as GrpcError).code;
      if (code !== Status.UNIMPLEMENTED && code !== Status.UNAVAILABLE && code !== Status.CANCELLED) {
        options.logger?.debug('stdio stream from plugin ended', { error: (err as Error).message });
      }
    }
  })();

  const health = createClient(services.health, channel, clientOptions);
  const controller = createClient(services.controller, channel, clientOptions);
  const reattachConfig: ReattachConfig = {
    protocol: 'grpc',
    protocolVersion: handshake.appVersion,
    network: handshake.network,
    address: handshake.address,
    pid: args.pid,
    ...(args.test ? { test: true } : {}),
    ...(args.tlsMaterial ? { tls: args.tlsMaterial } : {}),
  };

  let killing: Promise<void> | undefined;
  const kill = () => {
    killing ??= (async () => {
      if (args.test) {
        lifetime.abort();
        await broker.close().catch(() => {});
        // Bounded by a ref'd timer as below: otherwise a script whose last act is this kill() can exit
        // mid-await with nothing printed after it (seen with go-plugin-ts inspect --reattach).
        await within(channel.close(), 500);
        await muxer?.close();
        return;
      }
      // One 2 s budget for Shutdown and the exit together, as go-plugin's Kill: a plugin that never
      // answers Shutdown must not get a second 2 s to exit.
      const killDeadline = Date.now() + KILL_WAIT_MS;
      const left = () => Math.max(0, killDeadline - Date.now());
      await within(broker.close().catch(() => {}), left());
      // The result does not matter: a Go plugin stops inside the handler and never answers (docs/protocol.md#internal-services).
      await controller.Shutdown({}, { timeoutMs: Math.max(1, left()) }).catch(() => {});
      lifetime.abort();
      await within(channel.close(), Math.min(500, left()));
      await within(muxer?.close() ?? Promise.resolve(), Math.min(500, left()));
      const graceful = (await within(Promise.all([exited, args.ioDone ?? Promise.resolve()]).then(() => true), left())) ?? false;
      if (!graceful) {
        options.logger?.warn('plugin failed to exit gracefully', { pid: args.pid });
        if (child) killTree(child, 'SIGKILL');
        else {
          try {
            process.kill(args.pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
        await within(exited, SIGKILL_WAIT_MS);
      }
      if (child) {
        // A wrapper's children share the group; nothing of the plugin may outlive kill().
        killTree(child, 'SIGKILL');
      }
    })();
    return killing;
  };

  return {
    negotiatedVersion: handshake.appVersion,
    channel,
    broker,
    pid: args.pid,
    reattachConfig,
    exited,
    client: (definition) => createClient(definition, channel, clientOptions),
    async ping(pingOptions = {}) {
      const reply = await health.Check({ service: 'plugin' }, { timeoutMs: pingOptions.timeoutMs ?? 10_000 });
      if (reply.status !== 'SERVING') throw new GrpcError(Status.UNAVAILABLE, `the plugin reports ${reply.status}`);
    },
    kill,
  };
}

function portRange(options: StartPluginOptions): { min: number; max: number } {
  const fromEnv = (key: string, fallback: number) => {
    const value = Number(options.env?.[key]);
    return options.env?.[key] && Number.isInteger(value) ? value : fallback;
  };
  const range = options.portRange ?? { min: fromEnv(PLUGIN_MIN_PORT, DEFAULT_MIN_PORT), max: fromEnv(PLUGIN_MAX_PORT, DEFAULT_MAX_PORT) };
  if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min < 1 || range.max > 65535 || range.min > range.max) {
    throw new TypeError(`portRange must be two integer ports with 1 <= min <= max <= 65535, got ${JSON.stringify(range)}`);
  }
  return range;
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

function resolveExecutable(command: string, cwd: string | undefined, pathEnv: string | undefined): string {
  const check = (file: string) => {
    try {
      if (!statSync(file).isFile()) return false;
      accessSync(file, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/') || command.includes('\\')) {
    const file = isAbsolute(command) ? command : resolvePath(cwd ?? process.cwd(), command);
    try {
      statSync(file);
    } catch {
      throw new PluginStartError(`cannot start plugin: ${file} does not exist`);
    }
    if (!check(file)) throw new PluginStartError(`cannot start plugin: ${file} is not an executable file (check its permissions: chmod +x)`);
    return file;
  }
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, command);
    if (check(file)) return file;
  }
  throw new PluginStartError(`cannot start plugin: "${command}" was not found on PATH`);
}

async function verifyChecksum(file: string, checksum: NonNullable<StartPluginOptions['checksum']>): Promise<void> {
  if (!checksum.hex) throw new PluginStartError('no checksum provided');
  const hash = createHash(checksum.algorithm);
  await new Promise<void>((resolve, reject) => {
    createReadStream(file).on('data', (d) => hash.update(d)).on('end', resolve).on('error', reject);
  });
  const actual = hash.digest();
  const expected = Buffer.from(checksum.hex, 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(actual, expected)) {
    throw new PluginStartError(`checksums did not match for ${file}: expected ${checksum.hex}, got ${actual.toString('hex')}`);
  }
}

/** Calls `onLine` per line (without \n or a trailing \r); lines over 64 KiB are split, as bufio.Scanner's buffer would. */
function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl).replace(/\r$/, ''));
        buffered = buffered.slice(nl + 1);
      }
      while (buffered.length > MAX_LINE_BYTES) {
        onLine(buffered.slice(0, MAX_LINE_BYTES));
        buffered = buffered.slice(MAX_LINE_BYTES);
      }
    });
    stream.on('end', () => {
      if (buffered) onLine(buffered.replace(/\r$/, ''));
      resolve();
    });
    stream.on('error', () => resolve());
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
