// In-process plugin tests, after go-plugin's testing.go (TestPluginGRPCConn): the plugin's register
// function runs in the calling process and is served on a real gRPC connection (a unix socket, or
// 127.0.0.1 with transport 'tcp'); the host side is startPlugin's own client, reattached to it, so a test
// gets exactly the PluginClient a launched plugin gives (client(), broker, stdio, ping, kill) without a
// spawn or a handshake line to parse.
import { createLogLineParser, type LogFields, type LogLevel } from './hclog.js';
import { createLogger } from './logger.js';
import { startPlugin, type PluginClient } from './host/start.js';
import { PLUGIN_UNIX_SOCKET_DIR, type Env } from './env.js';
import { preparePlugin } from './serve/prepare.js';
import type { PluginOptions, PluginServer, RegisterVersion } from './serve/options.js';
import { createStdioRouter } from './serve/stdio.js';

export interface TestPluginOptions extends Partial<Pick<PluginOptions, 'magicCookieKey' | 'magicCookieValue' | 'transport' | 'maxReceiveMessageSize' | 'maxSendMessageSize' | 'stdioBufferBytes' | 'reflection'>> {
  /** The plugin's register functions per app protocol version, as given to serve(). */
  versions: Record<number, RegisterVersion>;
  /** The version to serve, as if the host had negotiated it (default: the highest). */
  version?: number;
  /** The plugin logger's level (default `trace`: tests see every line). */
  logLevel?: LogLevel;
}

/** One line the plugin logged, as a host parses it. */
export interface TestLogEntry {
  level: LogLevel;
  message: string;
  fields: LogFields;
  module?: string;
}

export interface TestPluginClient extends PluginClient {
  /** The plugin side: its server, broker, logger (captured in `logs`) and console (sent over the stdio stream). */
  readonly plugin: PluginServer;
  /** Every line the plugin logged, in order. */
  readonly logs: readonly TestLogEntry[];
  /** What the plugin's console and stdout stream sent to the host so far. */
  stdout(): string;
  stderr(): string;
}

export async function testPlugin(options: TestPluginOptions): Promise<TestPluginClient> {
  const served = Object.keys(options.versions ?? {}).map(Number);
  if (served.length === 0 || served.some((v) => !Number.isSafeInteger(v))) {
    throw new TypeError('versions must map at least one integer app protocol version to a register function');
  }
  const version = options.version ?? Math.max(...served);
  const register = options.versions[version];
  if (!register) throw new TypeError(`version ${version} is not among the plugin's versions (${served.join(', ')})`);

  const magicCookieKey = options.magicCookieKey ?? 'GO_PLUGIN_TS_TEST_PLUGIN';
  const magicCookieValue = options.magicCookieValue ?? 'in-process';
  const logs: TestLogEntry[] = [];
  const parse = createLogLineParser();
  const logger = createLogger({
    level: options.logLevel ?? 'trace',
    write: (line) => {
      const entry = parse(line);
      logs.push({ level: entry.level, message: entry.message, fields: entry.fields, ...(entry.module ? { module: entry.module } : {}) });
    },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const decoder = (chunks: Buffer[]) => () => Buffer.concat(chunks).toString('utf8');
  // The plugin's "real" stdout only ever carries the handshake line, which nobody reads here; stderr
  // written before the host's stdio stream opens is what a host would show from the process's stderr.
  const stdio = createStdioRouter({ stdout: () => {}, stderr: (bytes) => err.push(Buffer.from(bytes)) }, { bufferBytes: options.stdioBufferBytes });
  const env: Env = { [magicCookieKey]: magicCookieValue, [PLUGIN_UNIX_SOCKET_DIR]: process.env[PLUGIN_UNIX_SOCKET_DIR] };
  const prepared = preparePlugin({ ...options, magicCookieKey, magicCookieValue, env, logger, exitProcess: false }, { stdio });
  await register(prepared.server, prepared.broker, { logger: prepared.logger, console: prepared.stdio.console });
  const plugin = await prepared.start(version, { inProcess: true });

  let host: PluginClient;
  try {
    host = await startPlugin({
      magicCookieKey,
      magicCookieValue,
      versions: [version],
      reattach: { protocol: 'grpc', protocolVersion: version, network: plugin.network, address: plugin.address, pid: process.pid, test: true },
      maxReceiveMessageSize: options.maxReceiveMessageSize,
      onStdout: (data) => out.push(Buffer.from(data)),
      onStderr: (data) => err.push(Buffer.from(data)),
    });
  } catch (error) {
    await plugin.close();
    throw error;
  }

  let killing: Promise<void> | undefined;
  return {
    negotiatedVersion: host.negotiatedVersion,
    channel: host.channel,
    broker: host.broker,
    pid: host.pid,
    reattachConfig: host.reattachConfig,
    client: (definition) => host.client(definition),
    ping: (pingOptions) => host.ping(pingOptions),
    // As a host's Kill ends a launched plugin: the connection first, then the plugin stops serving.
    kill: () => (killing ??= host.kill().then(() => plugin.close())),
    exited: plugin.closed.then(() => ({ code: 0, signal: null })),
    plugin,
    logs,
    stdout: decoder(out),
    stderr: decoder(err),
  };
}
