// What inspect tells a plugin author: the handshake line field by field, and from what was observed
// during a launch, what went wrong and what to do. Pure functions over plain values.
import { CORE_PROTOCOL_VERSION, PLUGIN_CLIENT_CERT, PLUGIN_UNIX_SOCKET_DIR } from '../plugin/env.js';

export interface HandshakeField {
  index: number;
  name: string;
  value: string;
  meaning: string;
}

const FIELD_NAMES = ['core protocol version', 'app protocol version', 'network', 'address', 'protocol', 'server certificate', 'broker multiplexing'];

/** The fields of a handshake line with what each means (docs/protocol.md#handshake-line). */
export function describeHandshake(line: string, offered: number[]): HandshakeField[] {
  const parts = line.trim().split('|');
  return parts.map((value, i) => {
    const name = FIELD_NAMES[i] ?? `extra field ${i + 1}`;
    let meaning: string;
    switch (i) {
      case 0:
        meaning = value === String(CORE_PROTOCOL_VERSION) ? "go-plugin's own protocol; every release speaks 1" : `go-plugin speaks core version ${CORE_PROTOCOL_VERSION} only`;
        break;
      case 1:
        meaning = offered.includes(Number(value)) ? `the version the plugin chose from the offered ${offered.join(',')}` : `not among the offered versions ${offered.join(',')}`;
        break;
      case 2:
        meaning = value === 'unix' ? 'a unix domain socket' : value === 'tcp' ? 'TCP on the loopback interface' : 'go-plugin knows only unix and tcp';
        break;
      case 3:
        meaning = 'where the plugin listens; the host dials it';
        break;
      case 4:
        meaning = value === 'grpc' ? 'gRPC over HTTP/2' : value === 'netrpc' ? "go-plugin's older net/rpc protocol" : 'unknown protocol';
        break;
      case 5:
        meaning = value === '' ? 'empty: no TLS' : `the plugin's AutoMTLS certificate, base64 DER (${value.length} characters)`;
        break;
      case 6:
        meaning = value === 'true' ? 'the plugin can multiplex broker connections over yamux' : 'no broker multiplexing';
        break;
      default:
        meaning = 'not part of the protocol';
    }
    return { index: i + 1, name, value: i === 5 && value.length > 24 ? `${value.slice(0, 20)}…` : value, meaning };
  });
}

/** What was seen while launching, talking to and stopping the plugin. */
export interface Observation {
  /** Raw stdout lines, in order; the first is what the host took for the handshake. */
  stdoutLines: string[];
  /** The launch failed with this message (PluginStartError), if it did. */
  startError?: string;
  exitCode?: number | null;
  stderrLines: string[];
  autoMTLS: boolean;
  offered: number[];
  cookieKey: string;
  health?: { ok: boolean; error?: string };
  stop?: { graceful: boolean; code: number | null; signal: string | null; reattached: boolean };
  startTimeoutMs: number;
}

export interface Diagnosis {
  id: 'stray-stdout' | 'wrong-cookie' | 'old-handshake' | 'socket-path-too-long' | 'no-exit-after-shutdown' | 'exited-early' | 'bad-version' | 'no-handshake' | 'unexpected-certificate' | 'not-serving' | 'cannot-connect';
  problem: string;
  fix: string;
}

const COOKIE_REFUSALS = [/meant to be launched by its host/i, /This binary is a plugin/i, /magic cookie/i, /MagicCookieError/];
const SOCKET_TOO_LONG = [/unix socket path .* bytes long/i, /ENAMETOOLONG/, /bind: invalid argument/i, /path too long/i];

/** What went wrong, in the order a launch goes: output, handshake, start failure, connection, health, stop. */
export function diagnose(o: Observation): Diagnosis[] {
  const out: Diagnosis[] = [];
  outputProblems(o, out);
  handshakeProblems(o, out);
  startFailures(o, out);
  afterStartProblems(o, out);
  return out;
}

const looksLikeHandshake = (line: string) => /^\d+\|\d+\|/.test(line.trim());

/** Stray stdout before the handshake, and refusals the plugin wrote to stderr. */
function outputProblems(o: Observation, out: Diagnosis[]): void {
  const stderr = o.stderrLines.join('\n');
  const first = o.stdoutLines[0];
  if (first !== undefined && !looksLikeHandshake(first)) {
    const handshakeLater = o.stdoutLines.slice(1).find(looksLikeHandshake);
    out.push({
      id: 'stray-stdout',
      problem:
        `the plugin wrote ${JSON.stringify(truncate(first))} to stdout before its handshake line` +
        (handshakeLater ? ` (the handshake came ${o.stdoutLines.indexOf(handshakeLater)} line(s) later)` : '') +
        '; a host takes the first stdout line for the handshake and fails with "Unrecognized remote plugin message"',
      fix: 'remove that output: log to stderr (the plugin logger), print after serve() (go-plugin-ts sends it over the stdio stream), or drop the echo from the wrapper script',
    });
  }
  if (COOKIE_REFUSALS.some((r) => r.test(stderr))) {
    out.push({
      id: 'wrong-cookie',
      problem: `the plugin refused the magic cookie: it expects another ${o.cookieKey === '' ? 'cookie' : `key or value than ${o.cookieKey}`}`,
      fix: 'pass the cookie the plugin was built with: --cookie KEY=VALUE (its magicCookieKey and magicCookieValue), or --host NAME for a known host',
    });
  }
  if (SOCKET_TOO_LONG.some((r) => r.test(stderr) || r.test(o.startError ?? ''))) {
    out.push({
      id: 'socket-path-too-long',
      problem: 'the unix socket path is longer than the OS allows (108 bytes on Linux, 104 on macOS)',
      fix: `set TMPDIR or ${PLUGIN_UNIX_SOCKET_DIR} to a short directory such as /tmp`,
    });
  }
}

/** A handshake line that does not fit the TLS setting or the offered versions. */
function handshakeProblems(o: Observation, out: Diagnosis[]): void {
  const first = o.stdoutLines[0];
  if (first === undefined || !looksLikeHandshake(first)) return;
  const fields = first.trim().split('|');
  if (o.autoMTLS && (fields.length === 5 || fields.length === 4)) {
    out.push({
      id: 'old-handshake',
      problem:
        `the plugin printed a ${fields.length}-field handshake line with no certificate: it ignores ${PLUGIN_CLIENT_CERT}, so it cannot do AutoMTLS ` +
        '(go-plugin before 1.2, or an old TS plugin library print this line)',
      fix: 'upgrade the library the plugin is built with; to talk to it as it is, run with --no-mtls (and configure its host without AutoMTLS)',
    });
  } else if (!o.autoMTLS && fields.length >= 6 && fields[5] !== '') {
    out.push({
      id: 'unexpected-certificate',
      problem: `the plugin sent a certificate although no ${PLUGIN_CLIENT_CERT} was set: it serves TLS nobody asked for`,
      fix: `send a certificate only when ${PLUGIN_CLIENT_CERT} is set; or inspect without --no-mtls`,
    });
  }
  if (/Incompatible API version/.test(o.startError ?? '')) {
    out.push({
      id: 'bad-version',
      problem: `the plugin answered app protocol version ${fields[1]}, but the host offered ${o.offered.join(',')}`,
      fix: `offer the plugin's version with --versions ${fields[1]}, or build the plugin for the host's versions (${o.offered.join(',')})`,
    });
  }
}

/** A launch that ended without a handshake, when nothing found so far explains it. */
function startFailures(o: Observation, out: Diagnosis[]): void {
  const error = o.startError ?? '';
  const exitedEarly = /exited before we could connect/.test(error);
  if (exitedEarly && !out.some((d) => d.id === 'wrong-cookie' || d.id === 'socket-path-too-long')) {
    out.push({
      id: 'exited-early',
      problem: `the plugin exited${o.exitCode !== undefined && o.exitCode !== null ? ` with code ${o.exitCode}` : ''} before printing a handshake line${o.stderrLines.length ? '; its stderr is above' : ' and wrote nothing to stderr'}`,
      fix: 'run it by hand to see it fail: go-plugin-ts plugins start without a host with GO_PLUGIN_DEBUG=1',
    });
  }
  if (/timeout while waiting for plugin/.test(error) || (o.stdoutLines[0] === undefined && o.startError && !exitedEarly && !out.length)) {
    out.push({
      id: 'no-handshake',
      problem: `the plugin printed no handshake line within ${o.startTimeoutMs} ms`,
      fix: 'something before serve() blocks or the program never calls it; run it by hand with GO_PLUGIN_DEBUG=1, or raise --timeout if it is only slow',
    });
  }
}

/** After the handshake: the connection, the health check, and the stop. */
function afterStartProblems(o: Observation, out: Diagnosis[]): void {
  const error = o.startError ?? '';
  if (/cannot connect to plugin/.test(error)) {
    out.push({
      id: 'cannot-connect',
      problem: `the handshake was read but the connection failed: ${truncate(error.replace(/^.*cannot connect to plugin [^:]*: /, ''), 200)}`,
      fix: o.autoMTLS ? 'check the plugin serves TLS with the certificate it printed (AutoMTLS); try --no-mtls to see whether TLS is the problem' : 'check the plugin listens on the address it printed',
    });
  }
  if (o.health && !o.health.ok) {
    out.push({
      id: 'not-serving',
      problem: `the health check (grpc.health.v1.Health/Check, service "plugin") failed: ${o.health.error ?? 'not SERVING'}`,
      fix: "serve go-plugin's health service answering SERVING for \"plugin\" (go-plugin-ts's serve() does); hosts Ping through it",
    });
  }
  if (o.stop && !o.stop.graceful && !o.stop.reattached) {
    out.push({
      id: 'no-exit-after-shutdown',
      problem: 'the plugin did not exit within 2 s of the host\'s Shutdown call (GRPCController/Shutdown), so the host killed it with SIGKILL',
      fix: 'exit when Shutdown arrives: serve() does unless exitProcess is false; with exitProcess: false, await plugin.closed and end the process, and close timers, servers and handles that keep it alive',
    });
  }
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
