// Launching a plugin (go-plugin's Client.Start): the environment it gets, spawn, the handshake line on
// its stdout, AutoMTLS from the line's certificate, then connect (docs/protocol.md#lifecycle).
import type { TlsClientOptions, TlsServerOptions } from '../../http2/tls-options.js';
import { errorMessage } from '../../errors.js';
import { certificateFromDer, generateCertificate, hostClientTls, hostServerTls } from '../../tls/index.js';
import type { Certificate } from '../../tls/x509.js';
import { DEFAULT_MAX_PORT, DEFAULT_MIN_PORT, PLUGIN_CLIENT_CERT, PLUGIN_MAX_PORT, PLUGIN_MIN_PORT, PLUGIN_MULTIPLEX_GRPC, PLUGIN_PROTOCOL_VERSIONS } from '../env.js';
import { parseHandshake } from '../handshake.js';
import { within } from '../within.js';
import { connect, DEFAULT_CONNECT_TIMEOUT_MS } from './connect.js';
import { resolveExecutable, verifyChecksum } from './executable.js';
import { PluginStartError, type PluginClient, type StartPluginOptions } from './options.js';
import { readPluginStderr, readPluginStdout, type PluginStderr, type PluginStdout } from './plugin-output.js';
import { spawnPlugin, type LaunchedProcess } from './process.js';

const DEFAULT_START_TIMEOUT_MS = 60_000;

type Fail = (message: string, cause?: unknown) => Promise<never>;

export async function launch(options: StartPluginOptions, command: string): Promise<PluginClient> {
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const executable = resolveExecutable(command, options.cwd, options.env?.PATH ?? process.env.PATH);
  if (options.checksum) await verifyChecksum(executable, options.checksum);
  const autoMTLS = options.autoMTLS ?? true;
  const own = autoMTLS ? await generateCertificate() : undefined;
  const child = await spawnPlugin(executable, options.args ?? [], { cwd: options.cwd, env: pluginEnv(options, own), name: command });
  if (child.spawned) options.onLaunchEvent?.({ phase: 'spawned', pid: child.pid });
  const stderr = readPluginStderr(child.stderr, command.split(/[\\/]/).pop() ?? command, options);
  const stdout = readPluginStdout(child.stdout, (line) => options.onLaunchEvent?.({ phase: 'stdout', line }));
  const fail = failLaunch(child, stderr);
  const line = await handshakeLine(child, stdout, stderr, { command, timeoutMs, deadline }, fail);

  // From here every failure, whatever throws it, goes through fail(): the plugin is running and must
  // not outlive a start that did not succeed.
  let handshake;
  let tls: HostTls = {};
  try {
    handshake = parseHandshake(line, { offeredVersions: options.versions, expectCert: autoMTLS, multiplexRequested: options.multiplex === true });
    if (own && handshake.serverCertDer) tls = hostTls(own, handshake.serverCertDer);
  } catch (err) {
    return fail(`plugin ${command}: ${errorMessage(err)}`, err);
  }
  const connectTimeoutMs = Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, deadline - Date.now());
  if (connectTimeoutMs <= 0) return fail(`timeout while starting plugin ${command} (${timeoutMs} ms): no time left to connect`);
  try {
    return await connect({
      connectTimeoutMs,
      options,
      handshake,
      clientTls: tls.client,
      serverTls: tls.server,
      process: child,
      ioDone: Promise.all([stdout.done, stderr.done]).then(() => {}),
      tlsMaterial: own && tls.pluginCertPem ? { pluginCertPem: tls.pluginCertPem, hostCertPem: own.certPem, hostKeyPem: own.keyPem } : undefined,
    });
  } catch (err) {
    return fail(`cannot connect to plugin ${command}: ${errorMessage(err)}`, err);
  }
}

/** The host's environment (unless skipHostEnv), `options.env`, and the variables go-plugin sets for its plugin. */
function pluginEnv(options: StartPluginOptions, own: Certificate | undefined): Record<string, string> {
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
  return env;
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

/** Kills the plugin and throws a PluginStartError that carries its last stderr lines. */
function failLaunch(child: LaunchedProcess, stderr: PluginStderr): Fail {
  return async (message, cause) => {
    child.kill();
    const result = await Promise.race([child.exited, delay(1000).then(() => undefined)]);
    await Promise.race([stderr.done, delay(200)]);
    const tail = stderr.tail();
    const detail = tail.length ? `; its last stderr lines:\n  ${tail.join('\n  ')}` : '';
    throw new PluginStartError(message + detail, result?.code ?? null, tail, { cause });
  };
}

/** The first stdout line, or fail() on a spawn error, an exit, a closed stdout or the start timeout. */
async function handshakeLine(child: LaunchedProcess, stdout: PluginStdout, stderr: PluginStderr, start: { command: string; timeoutMs: number; deadline: number }, fail: Fail): Promise<string> {
  const { command } = start;
  const outcome = await Promise.race([
    stdout.firstLine.then((line) => ({ kind: 'line' as const, line })),
    child.spawnError.then((err) => ({ kind: 'spawn' as const, err })),
    child.exited.then((result) => ({ kind: 'exit' as const, result })),
    delay(Math.max(0, start.deadline - Date.now())).then(() => ({ kind: 'timeout' as const })),
  ]);
  if (outcome.kind === 'spawn') return fail(`cannot start plugin ${command}: ${outcome.err.message}`, outcome.err);
  if (outcome.kind === 'timeout') return fail(`timeout while waiting for plugin ${command} to start (${start.timeoutMs} ms without a handshake line)`);
  let line: string | undefined;
  if (outcome.kind === 'exit') {
    // The line may have arrived just before the exit.
    line = await Promise.race([stdout.firstLine, delay(50).then(() => undefined)]);
    if (line === undefined) {
      await Promise.race([stderr.done, delay(500)]);
      return fail(`plugin ${command} exited before we could connect (exit code ${outcome.result.code ?? outcome.result.signal})`);
    }
    return line;
  }
  if (outcome.line !== undefined) return outcome.line;
  // stdout usually ends as the process exits: then the exit code says more than the closed pipe.
  const result = await within(child.exited, 1000);
  if (result) {
    await within(stderr.done, 500);
    return fail(`plugin ${command} exited before we could connect (exit code ${result.code ?? result.signal})`);
  }
  return fail(`plugin ${command} closed its stdout before printing a handshake line; Failed to read any lines from plugin's stdout`);
}

interface HostTls {
  client?: TlsClientOptions;
  server?: TlsServerOptions;
  pluginCertPem?: string;
}

/** AutoMTLS on the host: trust only the certificate the plugin sent in its handshake line. */
function hostTls(own: Certificate, pluginCertDer: Uint8Array): HostTls {
  const pluginCert = certificateFromDer(pluginCertDer, "the plugin's certificate (handshake field 6)");
  return { pluginCertPem: pluginCert.pem, client: hostClientTls(own, pluginCert.pem), server: hostServerTls(own, pluginCert.pem) };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
