// `go-plugin-ts inspect <plugin command…>`: launches a plugin exactly as a go-plugin host does (cookie,
// versions, AutoMTLS), shows each phase with its timing, the handshake field by field, the certificate,
// health, services, logs and stdio, stops it as a host does (Shutdown, then the kill ladder), and says
// what went wrong and what to do.
import { errorMessage } from '../errors.js';
import { X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import { PluginStartError, startPlugin, type LaunchEvent, type PluginClient } from '../plugin/host/start.js';
import type { Logger } from '../plugin/logger.js';
import { parseTarget, startOptions, TARGET_OPTIONS, UsageError, type PluginTarget } from './args.js';
import { describeHandshake, diagnose, type Diagnosis, type HandshakeField } from './diagnose.js';
import { schemaFromProto, schemaFromReflection, type ServiceInfo } from './schema.js';

const USAGE = `usage: go-plugin-ts inspect [options] [--] <plugin command> [args…]

Launches the plugin as a go-plugin host would and reports what happens.

options:
${TARGET_OPTIONS}`;

export interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

export interface InspectReport {
  command: string[];
  host: { cookieKey: string; knownHost?: string; versions: number[]; autoMTLS: boolean; reattach: boolean };
  handshake?: { line: string; fields: HandshakeField[] };
  negotiatedVersion?: number;
  network?: string;
  address?: string;
  pid?: number;
  certificate?: { subject: string; issuer: string; validFrom: string; validTo: string; key: string; sha256: string };
  /** Milliseconds from the start of the launch. */
  timings: { spawned?: number; firstLine?: number; connected?: number; healthy?: number; services?: number; stopped?: number };
  connection?: { tls: boolean; protocol?: string; cipher?: string };
  health?: { ok: boolean; status: string };
  services?: { source: 'reflection' | 'proto' | 'none'; list: ServiceInfo[]; error?: string };
  logs: LogLine[];
  stdout: string;
  stderr: string;
  startError?: string;
  stop?: { ms: number; graceful: boolean; code: number | null; signal: string | null; reattached: boolean };
  diagnoses: Diagnosis[];
  ok: boolean;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  let target: PluginTarget;
  try {
    target = parseTarget(argv).target;
    if (!target.reattach && target.command.length === 0) throw new UsageError('give the plugin command to launch (or --reattach)');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`go-plugin-ts inspect: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  const report = await inspectPlugin(target);
  process.stdout.write(target.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
  return report.ok ? 0 : 1;
}

const decoder = new TextDecoder();

export async function inspectPlugin(target: PluginTarget): Promise<InspectReport> {
  const began = performance.now();
  const at = () => Math.round(performance.now() - began);
  const report = emptyReport(target);
  const seen = watchLaunch(report, at);
  const plugin = await launch(target, report, seen);
  const first = seen.stdoutLines[0];
  if (first !== undefined && /^\d+\|/.test(first)) {
    report.handshake = { line: first, fields: describeHandshake(first, target.versions) };
    report.certificate = certificateOf(first.split('|')[5]);
  }
  let exitCode: number | undefined;
  if (plugin) {
    await usePlugin(plugin, target, report, at);
    await stopPlugin(plugin, target, report, seen.hostWarnings, at);
  } else {
    const code = /exit code (-?\d+)/.exec(report.startError ?? '')?.[1];
    if (code !== undefined) exitCode = Number(code);
  }
  report.diagnoses = diagnose({
    stdoutLines: seen.stdoutLines,
    ...(report.startError !== undefined ? { startError: report.startError } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
    stderrLines: seen.stderrLines,
    autoMTLS: target.autoMTLS,
    offered: target.versions,
    cookieKey: target.magicCookieKey,
    ...(report.health ? { health: { ok: report.health.ok, error: report.health.status } } : {}),
    ...(report.stop ? { stop: report.stop } : {}),
    startTimeoutMs: target.startTimeoutMs,
  });
  report.ok = plugin !== undefined && report.diagnoses.length === 0;
  return report;
}

function emptyReport(target: PluginTarget): InspectReport {
  return {
    command: target.command,
    host: { cookieKey: target.magicCookieKey, ...(target.host ? { knownHost: target.host } : {}), versions: target.versions, autoMTLS: target.autoMTLS, reattach: !!target.reattach },
    timings: {},
    logs: [],
    stdout: '',
    stderr: '',
    diagnoses: [],
    ok: false,
  };
}

/** What the launch shows as it happens: stdout lines, the plugin's log lines, the host's own warnings. */
interface LaunchWatch {
  stdoutLines: string[];
  stderrLines: string[];
  hostWarnings: string[];
  logger: Logger;
  onLaunchEvent(event: LaunchEvent): void;
}

function watchLaunch(report: InspectReport, at: () => number): LaunchWatch {
  const stdoutLines: string[] = [];
  const stderrLines: string[] = [];
  const hostWarnings: string[] = [];
  // The host's logger gets the plugin's stderr lines (they carry a `plugin` field) and the host's own messages.
  const record = (level: string) => (message: string, fields: Record<string, unknown> = {}) => {
    if (!('plugin' in fields)) {
      hostWarnings.push(message);
      return;
    }
    const { plugin: _name, ...rest } = fields;
    report.logs.push({ level, message, fields: rest });
    stderrLines.push(message);
  };
  return {
    stdoutLines,
    stderrLines,
    hostWarnings,
    logger: { trace: record('trace'), debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
    onLaunchEvent(event) {
      if (event.phase === 'spawned') report.timings.spawned = at();
      else if (event.phase === 'stdout') {
        if (stdoutLines.length === 0) report.timings.firstLine = at();
        stdoutLines.push(event.line);
      } else {
        report.timings.connected = at();
        report.connection = { tls: event.tls };
      }
    },
  };
}

/** Starts the plugin as a host does; a failure is recorded in the report, and the result is undefined. */
async function launch(target: PluginTarget, report: InspectReport, seen: LaunchWatch): Promise<PluginClient | undefined> {
  try {
    return await startPlugin({
      ...startOptions(target),
      logger: seen.logger,
      onStdout: (data) => (report.stdout += decoder.decode(data)),
      onStderr: (data) => (report.stderr += decoder.decode(data)),
      onLaunchEvent: seen.onLaunchEvent,
    });
  } catch (err) {
    report.startError = errorMessage(err);
    if (err instanceof PluginStartError) for (const line of err.stderr) if (!seen.stderrLines.includes(line)) seen.stderrLines.push(line);
    if (!(err instanceof PluginStartError)) report.startError = `${err instanceof Error ? err.name : 'Error'}: ${report.startError}`;
    return undefined;
  }
}

/** What a host sees of the running plugin: the connection, its health, its services. */
async function usePlugin(plugin: PluginClient, target: PluginTarget, report: InspectReport, at: () => number): Promise<void> {
  report.negotiatedVersion = plugin.negotiatedVersion;
  report.network = plugin.reattachConfig.network;
  report.address = plugin.reattachConfig.address;
  report.pid = plugin.pid;
  if (report.connection?.tls) Object.assign(report.connection, await tlsDetails(plugin));
  try {
    await plugin.ping({ timeoutMs: 5000 });
    report.health = { ok: true, status: 'SERVING' };
  } catch (err) {
    report.health = { ok: false, status: errorMessage(err) };
  }
  report.timings.healthy = at();
  report.services = await servicesOf(plugin, target);
  report.timings.services = at();
}

/** Stops it as a host does (Shutdown, then the kill ladder) and records how it ended. */
async function stopPlugin(plugin: PluginClient, target: PluginTarget, report: InspectReport, hostWarnings: string[], at: () => number): Promise<void> {
  // Output the plugin wrote at start-up may still be on its way over the stdio stream.
  await new Promise((resolve) => setTimeout(resolve, 150));
  const stopping = performance.now();
  await plugin.kill();
  const reattachedTest = !!target.reattach?.test;
  const exited = reattachedTest ? undefined : await within(plugin.exited, 3000);
  report.stop = {
    ms: Math.round(performance.now() - stopping),
    graceful: !hostWarnings.includes('plugin failed to exit gracefully'),
    code: exited?.code ?? null,
    signal: exited?.signal ?? null,
    reattached: reattachedTest,
  };
  report.timings.stopped = at();
}

async function servicesOf(plugin: PluginClient, target: PluginTarget): Promise<NonNullable<InspectReport['services']>> {
  try {
    const reflected = await schemaFromReflection(plugin.channel);
    if (reflected) return { source: 'reflection', list: reflected.services };
    if (target.protoFiles.length) return { source: 'proto', list: schemaFromProto(target.protoFiles, target.includeDirs).services };
    return { source: 'none', list: [] };
  } catch (err) {
    return { source: 'none', list: [], error: errorMessage(err) };
  }
}

async function tlsDetails(plugin: PluginClient): Promise<{ protocol?: string; cipher?: string }> {
  try {
    const socket = (await plugin.channel.session()).socket as TLSSocket;
    const protocol = socket.getProtocol?.() ?? undefined;
    const cipher = socket.getCipher?.()?.name;
    return { ...(protocol ? { protocol } : {}), ...(cipher ? { cipher } : {}) };
  } catch {
    return {};
  }
}

function certificateOf(field: string | undefined): InspectReport['certificate'] {
  if (!field || field.length < 50) return undefined;
  try {
    const cert = new X509Certificate(Buffer.from(field, 'base64'));
    const details = cert.publicKey.asymmetricKeyDetails;
    const key = `${cert.publicKey.asymmetricKeyType ?? 'unknown'}${details?.namedCurve ? ` ${details.namedCurve}` : details?.modulusLength ? ` ${details.modulusLength} bits` : ''}`;
    return { subject: cert.subject.replace(/\n/g, ', '), issuer: cert.issuer.replace(/\n/g, ', '), validFrom: cert.validFrom, validTo: cert.validTo, key, sha256: cert.fingerprint256 };
  } catch {
    return undefined;
  }
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)))]).finally(() => clearTimeout(timer));
}

/** The report as text for a terminal. */
export function formatReport(r: InspectReport): string {
  const out: string[] = [];
  const line = (label: string, text: string) => out.push(`${label.padEnd(12)}${text}`);
  line('plugin', r.host.reattach ? `reattach to pid ${r.pid ?? '?'}` : r.command.join(' '));
  line('host', `cookie ${r.host.cookieKey}${r.host.knownHost ? ` (${r.host.knownHost})` : ''}, versions ${r.host.versions.join(',')}, AutoMTLS ${r.host.autoMTLS ? 'on' : 'off'}`);
  if (r.handshake) {
    line('handshake', r.handshake.line.length > 90 ? `${r.handshake.line.slice(0, 89)}…` : r.handshake.line);
    for (const f of r.handshake.fields) out.push(`  ${String(f.index).padEnd(3)}${f.name.padEnd(23)}${f.value || '(empty)'}  ${f.meaning}`);
  }
  if (r.negotiatedVersion !== undefined) line('connected', `version ${r.negotiatedVersion}, ${r.network} ${r.address}, ${r.connection?.tls ? `mutual TLS${r.connection.protocol ? ` (${[r.connection.protocol, r.connection.cipher].filter(Boolean).join(', ')})` : ''}` : 'plaintext'}, pid ${r.pid}`);
  if (r.certificate) line('certificate', `${r.certificate.subject}, ${r.certificate.key}, valid ${r.certificate.validFrom} to ${r.certificate.validTo}\n${' '.repeat(12)}sha256 ${r.certificate.sha256}`);
  const t = r.timings;
  const phases = [
    ['spawn', t.spawned],
    ['first stdout line', t.firstLine],
    [r.connection?.tls ? 'TLS connected' : 'connected', t.connected],
    ['health', t.healthy],
    ['services', t.services],
    ['stopped', t.stopped],
  ].filter(([, v]) => v !== undefined);
  line('timing', phases.map(([name, v]) => `${name} ${v} ms`).join(' · ') || 'no phase reached');
  if (r.health) line('health', r.health.ok ? 'SERVING' : `failed: ${r.health.status}`);
  if (r.services) {
    const source = r.services.source === 'reflection' ? 'from server reflection' : r.services.source === 'proto' ? 'from --proto' : 'unknown: the plugin serves no reflection; pass --proto FILE';
    line('services', source + (r.services.error ? ` (${r.services.error})` : ''));
    for (const s of r.services.list) {
      if (!s.methods) {
        out.push(`  ${s.name}  (no descriptor)`);
        continue;
      }
      out.push(`  ${s.name}`);
      for (const m of s.methods) out.push(`    ${m.name}(${m.clientStream ? 'stream ' : ''}${m.requestType}) returns (${m.serverStream ? 'stream ' : ''}${m.responseType})`);
    }
  }
  if (r.logs.length) {
    line('logs', `${r.logs.length} line(s) on stderr`);
    for (const l of r.logs) out.push(`  ${l.level.padEnd(6)}${l.message}${Object.keys(l.fields).length ? ` ${JSON.stringify(l.fields)}` : ''}`);
  }
  if (r.stdout) {
    line('stdout', '(over the stdio stream)');
    for (const text of r.stdout.replace(/\n$/, '').split('\n')) out.push(`  ${text}`);
  }
  if (r.startError) line('failed', r.startError.split('\n')[0]!);
  if (r.stop) {
    const how = r.stop.reattached
      ? 'left running (reattached with Test: true, as hosts do)'
      : `${r.stop.graceful ? 'Shutdown' : 'Shutdown, no exit within 2 s, SIGKILL'} → exited ${r.stop.signal ? `by ${r.stop.signal}` : `with code ${r.stop.code}`}`;
    line('stop', `${how} in ${r.stop.ms} ms`);
  }
  if (r.diagnoses.length === 0) line('verdict', r.startError ? 'failed' : 'OK: a go-plugin host can launch, use and stop this plugin');
  else {
    line('verdict', `${r.diagnoses.length} problem(s)`);
    for (const d of r.diagnoses) {
      out.push(`  ✗ ${d.problem}`);
      out.push(`    → ${d.fix}`);
    }
  }
  return out.join('\n') + '\n';
}
