// Everything a plugin does before its app services are registered, and start(): AutoMTLS, the
// listener and the handshake line (docs/protocol.md#lifecycle). serve() and the seed API share it.
import { createServer, type Server } from '../../grpc/server.js';
import { tracePhase } from '../../grpc/startup-trace.js';
import type { TlsClientOptions, TlsServerOptions } from '../../http2/tls-options.js';
import { parseCertificatePem, pluginClientTls, pluginServerTls } from '../../tls/index.js';
import type { Certificate } from '../../tls/x509.js';
import { createBroker, type Broker } from '../broker.js';
import { createBrokerOutbox } from '../broker-stream.js';
import { PLUGIN_CLIENT_CERT, PLUGIN_MULTIPLEX_GRPC, type Env } from '../env.js';
import { parseGoBool } from '../go-strconv.js';
import { formatHandshake } from '../handshake.js';
import { createLogger, type Logger } from '../logger.js';
import { createPluginMuxer, type PluginMuxer } from '../multiplex.js';
import { listenForPlugin, type PluginListener } from '../plugin-listener.js';
import { addBrokerService } from './broker-service.js';
import { addControllerService } from './controller-service.js';
import { generateCertificate } from './early-certificate.js';
import { addHealthService } from './health-service.js';
import { createLifecycle, type Lifecycle } from './lifecycle.js';
import { DEFAULT_PLUGIN_MAX_MESSAGE_SIZE, MagicCookieError, type PluginOptions, type PluginServer } from './options.js';
import { captureStdio, markPluginStarted, type StdioRouter } from './stdio.js';
import { addStdioService } from './stdio-service.js';

const SHUTDOWN_GRACE_MS = 500;

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

/** The TLS options, set by start() once the certificates are known; the muxer and broker read them later. */
interface PluginTls {
  server?: TlsServerOptions;
  client?: TlsClientOptions;
}

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
 * Everything up to listening: synchronous, so the seed API can throw MagicCookieError at once.
 * `internals.stdio` replaces the process-wide capture (testPlugin serves inside the test's process).
 */
export function preparePlugin(options: PluginOptions, internals: { stdio?: StdioRouter } = {}): PreparedPlugin {
  const env = options.env ?? process.env;
  checkMagicCookie(options.magicCookieKey, options.magicCookieValue, env);
  const maxReceive = options.maxReceiveMessageSize ?? DEFAULT_PLUGIN_MAX_MESSAGE_SIZE;
  const stdio = internals.stdio ?? captureStdio({ bufferBytes: options.stdioBufferBytes });
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? 'info', write: (line) => stdio.writeStderr(line + '\n') });
  const server = createServer({ maxReceiveMessageSize: maxReceive, maxSendMessageSize: options.maxSendMessageSize, reflection: options.reflection });
  // The key pair is made on libuv's thread pool while the services are registered (AutoMTLS,
  // docs/protocol.md#automtls).
  const ownCertificate = env[PLUGIN_CLIENT_CERT] ? generateCertificate() : undefined;
  ownCertificate?.catch(() => {});
  const tls: PluginTls = {};
  // The host asked for one yamux connection (go-plugin >= 1.6; see docs/protocol.md#multiplexing).
  const muxer = parseGoBool(env[PLUGIN_MULTIPLEX_GRPC] ?? '') ? createPluginMuxer((stream) => server.serveConnection(stream, { tls: tls.server })) : undefined;
  // Broker: ConnInfo messages to the host go out on the StartStream call the host opened.
  const outbox = createBrokerOutbox();
  const broker = createBroker({
    send: outbox.send,
    tls: () => tls,
    transport: options.transport,
    env,
    maxReceiveMessageSize: maxReceive,
    maxSendMessageSize: options.maxSendMessageSize,
    muxer,
  });
  let listener: PluginListener | undefined;
  const lifecycle = createLifecycle({
    logger,
    stdio,
    exitProcess: options.exitProcess ?? true,
    onShutdown: options.onShutdown,
    shutdownHookTimeoutMs: options.shutdownHookTimeoutMs,
    async release(graceMs = SHUTDOWN_GRACE_MS) {
      await broker.close().catch(() => {});
      await server.close(graceMs).catch(() => {});
      await muxer?.close().catch(() => {});
      listener?.cleanup();
    },
  });

  addHealthService(server, lifecycle.signal);
  addBrokerService(server, broker, outbox, lifecycle.signal);
  addStdioService(server, stdio, lifecycle.signal);
  // No grace: the host calls Shutdown when it is done with the plugin and waits for the exit, and a Go
  // plugin stops its server hard there too (grpc_controller.go, https://github.com/hashicorp/go-plugin/blob/155dcddc94873a285e14b7fa24b2f6ab6139668e/grpc_controller.go).
  addControllerService(server, () => void lifecycle.stop('shutdown requested by the host', 0, 0));

  let started = false;
  async function start(version: number, mode: StartMode = {}): Promise<PluginServer> {
    if (started) throw new Error('the plugin server was already started');
    started = true;
    const certDer = await setUpTls(env, ownCertificate, tls);
    listener = await listenForPlugin(muxer ?? server, { transport: options.transport, env, tls: tls.server });
    tracePhase('serve: listening');
    return announce({ version, mode, certDer, listener, muxer, server, broker, logger, stdio, lifecycle });
  }

  return { env, server, broker, logger, stdio, start };
}

/** AutoMTLS: with the host's certificate in PLUGIN_CLIENT_CERT, both sides trust only each other's. */
async function setUpTls(env: Env, ownCertificate: Promise<Certificate> | undefined, tls: PluginTls): Promise<Uint8Array | undefined> {
  const hostCert = env[PLUGIN_CLIENT_CERT];
  if (hostCert === undefined || hostCert === '') return undefined;
  const host = parseCertificatePem(hostCert, PLUGIN_CLIENT_CERT);
  const own = await ownCertificate!;
  tls.server = pluginServerTls(own, host.pem);
  tls.client = pluginClientTls(own, host.pem);
  tracePhase('serve: certificate ready');
  return own.certDer;
}

interface Announce {
  version: number;
  mode: StartMode;
  certDer: Uint8Array | undefined;
  listener: PluginListener;
  muxer: PluginMuxer | undefined;
  server: Server;
  broker: Broker;
  logger: Logger;
  stdio: StdioRouter;
  lifecycle: Lifecycle;
}

/** Watches the process, prints the handshake line and hands back the running plugin. */
function announce(a: Announce): PluginServer {
  const { listener, lifecycle, version } = a;
  const debugging = a.mode.debug === true;
  // Served inside a test's process (testPlugin), the process and its signals are not the plugin's.
  if (!a.mode.inProcess) lifecycle.watchProcess(debugging);
  lifecycle.onProcessExit(() => listener.cleanup());
  const line = formatHandshake({ appVersion: version, network: listener.network, address: listener.address, protocol: 'grpc', serverCertDer: a.certDer, multiplex: a.muxer !== undefined });
  if (!debugging) a.stdio.writeStdout(line);
  tracePhase('serve: handshake written');
  markPluginStarted();
  a.logger.debug('plugin serving', { version, network: listener.network, address: listener.address, autoMTLS: a.certDer !== undefined });
  return {
    version,
    network: listener.network,
    address: listener.address,
    handshake: line,
    server: a.server,
    broker: a.broker,
    logger: a.logger,
    console: a.stdio.console,
    close: () => lifecycle.stop('closed by the plugin', undefined),
    closed: lifecycle.closed,
  };
}
