// The plugin side of go-plugin (docs/protocol.md#lifecycle): cookie, version negotiation,
// listener, AutoMTLS, internal services, the handshake line, then serving until the host shuts us down.
import { Console } from 'node:console';
import { createServer, type Server } from '../../grpc/server.js';
import { tracePhase } from '../../grpc/startup-trace.js';
import { GrpcError, Status } from '../../grpc/status.js';
import type { TlsClientOptions, TlsServerOptions } from '../../http2/tls-options.js';
import { parseCertificatePem, pluginClientTls, pluginServerTls } from '../../tls/index.js';
import { createBroker, type Broker } from '../broker.js';
import { debugMode, defaultProviderAddress, formatReattachInstructions, type DebugOptions } from './debug.js';
import { generateCertificate } from './early-certificate.js';
import { PLUGIN_CLIENT_CERT, PLUGIN_MULTIPLEX_GRPC, PLUGIN_PROTOCOL_VERSIONS } from '../env.js';
import type { ReattachConfig } from '../host/start.js';
import { formatHandshake } from '../handshake.js';
import { parseGoBool } from '../go-strconv.js';
import { createPluginMuxer } from '../multiplex.js';
import type { LogLevel } from '../hclog.js';
import { createLogger, type Logger } from '../logger.js';
import { negotiateVersion } from '../negotiate.js';
import { internalServices, type ConnInfo, type HealthCheckResponse } from '../internal-services.js';
import { listenForPlugin, type PluginListener, type Transport } from '../plugin-listener.js';
import { captureStdio, markPluginStarted, type StdioRouter } from './stdio.js';
import { within } from '../within.js';

type Env = Record<string, string | undefined>;

/** What a register function may use besides the server and broker: the plugin's logger and console. */
export interface RegisterContext {
  readonly logger: Logger;
  /** A console whose output goes to the host through the stdio stream. */
  readonly console: Console;
}

/** Adds the services of one app protocol version. */
export type RegisterVersion = (server: Server, broker: Broker, context: RegisterContext) => void | Promise<void>;

export interface PluginOptions {
  magicCookieKey: string;
  magicCookieValue: string;
  /** `unix` (default; `tcp` on Windows) or `tcp` on 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT. */
  transport?: Transport;
  /** Default 256 MiB: Terraform sends large messages (docs/protocol.md#message-size). */
  maxReceiveMessageSize?: number;
  maxSendMessageSize?: number;
  /** The level of the plugin's logger (default `info`); ignored when `logger` is given. */
  logLevel?: LogLevel;
  /** Where the plugin's logs go; default: hclog JSON lines on stderr. */
  logger?: Logger;
  /** Bytes of stdout output kept while no host streams it (default 1 MiB; oldest dropped first). */
  stdioBufferBytes?: number;
  /** Exit the process after Shutdown, SIGTERM, or a vanished host; exit 1 on a start-up failure (default true). */
  exitProcess?: boolean;
  /** Serve gRPC server reflection (grpc.reflection.v1 and v1alpha) for grpcurl and `go-plugin-ts call`; on in debug mode. */
  reflection?: boolean;
  /** Read instead of process.env (tests). */
  env?: Env;
  /**
   * Runs when the plugin stops (the host's Shutdown, SIGTERM, a vanished host, or close()), after the
   * server has stopped and before the process exits; awaited for at most `shutdownHookTimeoutMs`.
   */
  onShutdown?: (reason: string) => void | Promise<void>;
  /** The bound on `onShutdown` (default 1500 ms: a Go host SIGKILLs 2 s after Shutdown). */
  shutdownHookTimeoutMs?: number;
}

export interface ServeOptions extends PluginOptions {
  /** The services per app protocol version, e.g. `{ 5: registerV5, 6: registerV6 }`. */
  versions: Record<number, RegisterVersion>;
  /**
   * Debug mode, also on with GO_PLUGIN_DEBUG=1: for a plugin started by hand. Skips the cookie check,
   * serves the highest version without AutoMTLS and with reflection, prints how hosts reattach, leaves
   * stdout to the terminal and runs until Ctrl-C (hosts reattached with Test: true do not stop it).
   */
  debug?: boolean | DebugOptions;
}

export interface PluginServer {
  /** The negotiated app protocol version. */
  readonly version: number;
  readonly network: 'unix' | 'tcp';
  readonly address: string;
  /** The line printed on stdout (with its newline). */
  readonly handshake: string;
  readonly server: Server;
  readonly broker: Broker;
  readonly logger: Logger;
  /** A console whose output goes to the host through the stdio stream. */
  readonly console: Console;
  /** Graceful stop, as on the host's Shutdown, without exiting the process. */
  close(): Promise<void>;
  /** Settles when serving has stopped. */
  readonly closed: Promise<void>;
  /** In debug mode: what a host reattaches with. */
  readonly reattachConfig?: ReattachConfig;
}

/** The cookie is missing or wrong: the program was run by hand, not by its go-plugin host. */
export class MagicCookieError extends Error {
  override name = 'MagicCookieError';
}

export const DEFAULT_PLUGIN_MAX_MESSAGE_SIZE = 256 * 1024 * 1024;
const SHUTDOWN_GRACE_MS = 500;
const DEFAULT_SHUTDOWN_HOOK_TIMEOUT_MS = 1500;
const PARENT_POLL_MS = 1000;

export function checkMagicCookie(key: string, value: string, env: Env = process.env): void {
  if (typeof key !== 'string' || key === '' || typeof value !== 'string') {
    throw new TypeError('magicCookieKey and magicCookieValue must be non-empty strings agreed with the host');
  }
  if (env[key] !== value) {
    throw new MagicCookieError(
      `This program is a go-plugin plugin, meant to be launched by its host program, not run by hand ` +
        `(the ${key} environment variable ${env[key] === undefined ? 'is not set' : 'does not match'}). ` +
        'Run the program that loads this plugin instead.',
    );
  }
}

/**
 * Starts the plugin: checks the cookie, negotiates the version, listens, prints the handshake and serves.
 * With `exitProcess` (default) any start-up failure prints one line on stderr and exits 1.
 */
export async function serve(options: ServeOptions): Promise<PluginServer> {
  try {
    const served = Object.keys(options.versions ?? {}).map(Number);
    if (served.length === 0 || served.some((v) => !Number.isSafeInteger(v))) {
      throw new TypeError('versions must map at least one integer app protocol version to a register function');
    }
    tracePhase('serve() called');
    const debug = debugMode(options.debug, options.env ?? process.env);
    if (debug) return await serveDebug(options, Math.max(...served), debug);
    const plugin = preparePlugin(options);
    tracePhase('serve: prepared (cookie, gRPC server, internal services)');
    const negotiated = negotiateVersion(served, plugin.env[PLUGIN_PROTOCOL_VERSIONS]);
    for (const item of negotiated.skipped) plugin.logger.warn('ignoring a PLUGIN_PROTOCOL_VERSIONS item that is not an integer', { item });
    await options.versions[negotiated.version]!(plugin.server, plugin.broker, { logger: plugin.logger, console: plugin.stdio.console });
    tracePhase(`serve: version ${negotiated.version}'s services registered`);
    return await plugin.start(negotiated.version);
  } catch (err) {
    return failStart(err, options.exitProcess ?? true);
  }
}

async function serveDebug(options: ServeOptions, version: number, debug: DebugOptions): Promise<PluginServer> {
  // As a host would set it: the cookie matches, and no certificate or version list means no AutoMTLS
  // and our own choice of version.
  const env: Env = { ...(options.env ?? process.env), [options.magicCookieKey]: options.magicCookieValue };
  delete env[PLUGIN_CLIENT_CERT];
  delete env[PLUGIN_PROTOCOL_VERSIONS];
  delete env[PLUGIN_MULTIPLEX_GRPC];
  const plugin = preparePlugin({ ...options, env, reflection: options.reflection ?? true });
  // Nobody streams stdio from a plugin run by hand: its output belongs on the terminal.
  const terminal = new Console({ stdout: process.stdout, stderr: process.stderr });
  await options.versions[version]!(plugin.server, plugin.broker, { logger: plugin.logger, console: terminal });
  const running = await plugin.start(version, { debug: true });
  const reattachConfig: ReattachConfig = { protocol: 'grpc', protocolVersion: version, network: running.network, address: running.address, pid: process.pid, test: true };
  const held = plugin.stdio.drainHeld();
  plugin.stdio.restore();
  for (const bytes of held) process.stdout.write(bytes);
  const text = formatReattachInstructions(reattachConfig, debug.providerAddress ?? defaultProviderAddress());
  if (debug.print) debug.print(text);
  else process.stdout.write(text);
  return { ...running, console: terminal, reattachConfig };
}

function failStart(err: unknown, exitProcess: boolean): never {
  if (!exitProcess) throw err;
  // One readable line; the host shows it with "plugin exited before we could connect".
  process.stderr.write(`${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
}

export interface StartMode {
  /** Debug mode: no handshake line, Ctrl-C stops the plugin. */
  debug?: boolean;
  /** Served inside another program (testPlugin): no signal handlers, no parent watch. */
  inProcess?: boolean;
}

export interface PreparedPlugin {
  readonly env: Env;
  readonly server: Server;
  readonly broker: Broker;
  readonly logger: Logger;
  readonly stdio: StdioRouter;
  /** Listens and prints the handshake; in debug mode prints nothing and stops on Ctrl-C. */
  start(version: number, mode?: StartMode): Promise<PluginServer>;
}

/**
 * Everything up to listening: synchronous, so the seed API can throw MagicCookieError at once.
 * `internals.stdio` replaces the process-wide capture (testPlugin serves inside the test's process).
 */
export function preparePlugin(options: PluginOptions, internals: { stdio?: StdioRouter } = {}): PreparedPlugin {
  const env = options.env ?? process.env;
  checkMagicCookie(options.magicCookieKey, options.magicCookieValue, env);
  const exitProcess = options.exitProcess ?? true;
  const maxReceive = options.maxReceiveMessageSize ?? DEFAULT_PLUGIN_MAX_MESSAGE_SIZE;
  const stdio = internals.stdio ?? captureStdio({ bufferBytes: options.stdioBufferBytes });
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? 'info', write: (line) => stdio.writeStderr(line + '\n') });
  const server = createServer({ maxReceiveMessageSize: maxReceive, maxSendMessageSize: options.maxSendMessageSize, reflection: options.reflection });
  // The key pair is made on libuv's thread pool while the services are registered (AutoMTLS,
  // docs/protocol.md#automtls).
  const ownCertificate = env[PLUGIN_CLIENT_CERT] ? generateCertificate() : undefined;
  ownCertificate?.catch(() => {});
  const services = internalServices();
  const lifetime = new AbortController();
  let tls: { server?: TlsServerOptions; client?: TlsClientOptions } = {};
  // The host asked for one yamux connection (go-plugin >= 1.6; see docs/protocol.md#multiplexing).
  const muxer = parseGoBool(env[PLUGIN_MULTIPLEX_GRPC] ?? '') ? createPluginMuxer((stream) => server.serveConnection(stream, { tls: tls.server })) : undefined;

  // Broker: ConnInfo messages to the host go out on the StartStream call the host opened.
  const outgoing: ConnInfo[] = [];
  let wakeBroker: (() => void) | undefined;
  const broker = createBroker({
    send(info) {
      outgoing.push(info);
      wakeBroker?.();
    },
    tls: () => tls,
    transport: options.transport,
    env,
    maxReceiveMessageSize: maxReceive,
    maxSendMessageSize: options.maxSendMessageSize,
    muxer,
  });

  server.addService(services.health, {
    Check: ({ service }) => {
      // grpc-go's health server answers like this for the names it does not know (docs/protocol.md#health).
      if (service === '' || service === 'plugin') return { status: 'SERVING' } satisfies HealthCheckResponse;
      throw new GrpcError(Status.NOT_FOUND, 'unknown service');
    },
    async *Watch({ service }, call) {
      const known = service === '' || service === 'plugin';
      yield { status: known ? 'SERVING' : 'SERVICE_UNKNOWN' } satisfies HealthCheckResponse;
      await untilAborted(call.signal, lifetime.signal);
      if (!call.signal.aborted && known) yield { status: 'NOT_SERVING' } satisfies HealthCheckResponse;
    },
  });
  server.addService(services.broker, {
    async *StartStream(requests, call) {
      const signal = AbortSignal.any([call.signal, lifetime.signal]);
      void (async () => {
        try {
          for await (const info of requests) broker.receive(info);
        } catch {
          // The host closed the stream; nothing more will arrive.
        }
      })();
      // One abort listener for the whole stream: one per wake passed Node's limit of 10 after 11
      // acceptAndServe calls, and the MaxListenersExceededWarning reached the host's log.
      let wake: (() => void) | undefined;
      const onAbort = () => wake?.();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        while (!signal.aborted) {
          while (outgoing.length > 0) yield outgoing.shift()!;
          if (signal.aborted) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
            wakeBroker = resolve;
          });
          wake = wakeBroker = undefined;
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  });
  server.addService(services.stdio, {
    StreamStdio: (_request, call) => stdio.stream(AbortSignal.any([call.signal, lifetime.signal])),
  });

  let started = false;
  let stopping: Promise<void> | undefined;
  let listener: PluginListener | undefined;
  let parentWatch: NodeJS.Timeout | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let debugging = false;
  const onSigint = () => {
    if (debugging) void stop('interrupted (Ctrl-C) in debug mode', 0);
  };
  const onSigterm = () => void stop('SIGTERM', 0);
  const onExit = () => listener?.cleanup();

  const stop = (reason: string, exitCode: number | undefined): Promise<void> => {
    stopping ??= (async () => {
      logger.debug('plugin stopping', { reason });
      lifetime.abort();
      await broker.close().catch(() => {});
      await server.close(SHUTDOWN_GRACE_MS).catch(() => {});
      await muxer?.close().catch(() => {});
      listener?.cleanup();
      if (parentWatch) clearInterval(parentWatch);
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      process.off('exit', onExit);
      if (options.onShutdown) {
        try {
          await within(Promise.resolve(options.onShutdown(reason)), options.shutdownHookTimeoutMs ?? DEFAULT_SHUTDOWN_HOOK_TIMEOUT_MS);
        } catch (err) {
          logger.error('the onShutdown hook failed', { error: (err as Error).message });
        }
      }
      const exiting = exitCode !== undefined && exitProcess;
      // stdout, stderr and console are the program's again ("without exiting the process").
      if (!exiting) stdio.restore();
      resolveClosed();
      if (exiting) {
        // Handlers of `closed` get their turn before the exit.
        await new Promise((resolve) => setImmediate(resolve));
        process.exit(exitCode);
      }
    })();
    return stopping;
  };

  server.addService(services.controller, {
    Shutdown: () => {
      // Answer first, then stop: a Go host waits at most 2 s for the exit (docs/protocol.md#shutdown-and-signals).
      setImmediate(() => void stop('shutdown requested by the host', 0));
      return {};
    },
  });

  async function start(version: number, mode: StartMode = {}): Promise<PluginServer> {
    if (started) throw new Error('the plugin server was already started');
    started = true;
    debugging = mode.debug === true;
    let certDer: Uint8Array | undefined;
    const hostCert = env[PLUGIN_CLIENT_CERT];
    if (hostCert !== undefined && hostCert !== '') {
      const host = parseCertificatePem(hostCert, PLUGIN_CLIENT_CERT);
      const own = await ownCertificate!;
      tls = { server: pluginServerTls(own, host.pem), client: pluginClientTls(own, host.pem) };
      certDer = own.certDer;
      tracePhase('serve: certificate ready');
    }
    listener = await listenForPlugin(muxer ?? server, { transport: options.transport, env, tls: tls.server });
    tracePhase('serve: listening');

    // Served inside a test's process (testPlugin), the process and its signals are not the plugin's.
    if (!mode.inProcess) {
      // Ctrl-C reaches host and plugin alike; the host decides (Go plugins ignore SIGINT for good,
      // docs/protocol.md#shutdown-and-signals).
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
      // Exit when the host has gone, so a SIGKILLed host leaves no orphan (go-plugin#210).
      const parent = process.ppid;
      parentWatch = setInterval(() => {
        if (process.ppid !== parent) void stop('the host process exited', 0);
      }, PARENT_POLL_MS);
      parentWatch.unref();
    }
    process.on('exit', onExit);

    const line = formatHandshake({ appVersion: version, network: listener.network, address: listener.address, protocol: 'grpc', serverCertDer: certDer, multiplex: muxer !== undefined });
    if (!debugging) stdio.writeStdout(line);
    tracePhase('serve: handshake written');
    markPluginStarted();
    logger.debug('plugin serving', { version, network: listener.network, address: listener.address, autoMTLS: certDer !== undefined });
    return {
      version,
      network: listener.network,
      address: listener.address,
      handshake: line,
      server,
      broker,
      logger,
      console: stdio.console,
      close: () => stop('closed by the plugin', undefined),
      closed,
    };
  }

  return { env, server, broker, logger, stdio, start };
}

function untilAborted(...signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    for (const s of signals) {
      if (s.aborted) return resolve();
      s.addEventListener('abort', () => resolve(), { once: true });
    }
  });
}

export interface GOPluginServerOptions extends PluginOptions {
  /** The app protocol version this plugin serves (a number or decimal string, as in the seed library). */
  pluginVersion: number | string;
}

export interface GOPluginServer {
  /** Listens and prints the handshake; add services to `server` before. */
  start(): Promise<void>;
  /** The gRPC server: `server.addService(definition, handlers)`. */
  readonly server: Server;
  /** Stops serving (graceful) without exiting the process. */
  close(): Promise<void>;
  /** A Console whose output reaches the host through the stdio stream. */
  readonly console: Console;
  readonly logger: Logger;
  readonly broker: Broker;
}

/**
 * The seed library's API: one protocol version, services added to `server` before `start()`.
 * Throws MagicCookieError at once when the program was not launched by its host.
 */
export function createGOPluginServer(options: GOPluginServerOptions): GOPluginServer {
  const version = Number(options.pluginVersion);
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new TypeError(`pluginVersion must be a non-negative integer, got ${JSON.stringify(options.pluginVersion)}`);
  }
  const plugin = preparePlugin({ ...options, exitProcess: options.exitProcess ?? true });
  let running: PluginServer | undefined;
  return {
    server: plugin.server,
    broker: plugin.broker,
    logger: plugin.logger,
    console: plugin.stdio.console,
    async start() {
      // The seed served one version whatever the host offered; the host reports a mismatch.
      const negotiated = negotiateVersion([version], plugin.env[PLUGIN_PROTOCOL_VERSIONS]);
      try {
        running = await plugin.start(negotiated.version);
      } catch (err) {
        failStart(err, options.exitProcess ?? true);
      }
    },
    async close() {
      await running?.close();
    },
  };
}
