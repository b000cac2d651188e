// Command-line options shared by inspect and call: how to reach the plugin as a host would.
import { errorMessage } from '../errors.js';
import { KNOWN_HOSTS, type KnownHost } from '../plugin/env.js';
import type { ReattachConfig, StartPluginOptions } from '../plugin/host/start.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface PluginTarget {
  /** The plugin's command and arguments (empty with --reattach). */
  command: string[];
  magicCookieKey: string;
  magicCookieValue: string;
  versions: number[];
  autoMTLS: boolean;
  reattach?: ReattachConfig;
  /** .proto files describing the plugin's services when it serves no reflection. */
  protoFiles: string[];
  includeDirs: string[];
  json: boolean;
  startTimeoutMs: number;
  /** Which known host the cookie came from, if any. */
  host?: string;
  /** Request metadata (`-H 'key: value'`, call only). */
  headers: Array<[string, string]>;
}

export const TARGET_OPTIONS = `  --cookie KEY=VALUE     the magic cookie the plugin expects
  --host NAME            a known host's cookie and versions: ${Object.keys(KNOWN_HOSTS).join(', ')}
  --versions 1,2         app protocol versions offered (default: the host's, else 1)
  --no-mtls              no AutoMTLS (default: on, as Terraform and Vault run plugins)
  --reattach JSON        connect to a running plugin (debug mode prints this JSON) instead of launching
  --proto FILE           the plugin's .proto (repeatable), when it serves no reflection
  -I DIR                 import directory for --proto files (repeatable)
  --timeout MS           start timeout (default 10000)
  --json                 print one JSON document instead of text`;

/** What the options said, before the known host fills in what they left out. */
interface TargetOptions {
  cookie?: [string, string];
  host?: KnownHost;
  versions?: number[];
  autoMTLS: boolean;
  reattach?: ReattachConfig;
  json: boolean;
  startTimeoutMs: number;
  protoFiles: string[];
  includeDirs: string[];
  headers: Array<[string, string]>;
}

/**
 * Parses the options before the plugin command. The command starts at the first argument that is not
 * an option (or after `--`); `take` may claim arguments after it (call's Service/Method and body).
 */
export function parseTarget(argv: string[], allow: { headers?: boolean } = {}): { target: PluginTarget; rest: string[] } {
  const { options, rest } = readOptions(argv, allow);
  const known = options.host ? KNOWN_HOSTS[options.host] : undefined;
  if (!options.cookie && !known && !options.reattach) {
    throw new UsageError('give the magic cookie the plugin expects: --cookie KEY=VALUE, or --host NAME for a known host');
  }
  const { cookie, host, reattach } = options;
  const target: PluginTarget = {
    command: reattach ? [] : rest,
    magicCookieKey: cookie?.[0] ?? known?.magicCookieKey ?? 'GO_PLUGIN_TS_REATTACH',
    magicCookieValue: cookie?.[1] ?? known?.magicCookieValue ?? '',
    versions: options.versions ?? (reattach ? [reattach.protocolVersion] : known ? [...known.versions] : [1]),
    autoMTLS: options.autoMTLS,
    protoFiles: options.protoFiles,
    includeDirs: options.includeDirs,
    headers: options.headers,
    json: options.json,
    startTimeoutMs: options.startTimeoutMs,
    ...(reattach ? { reattach } : {}),
    ...(host ? { host } : {}),
  };
  return { target, rest: reattach ? rest : [] };
}

/** The options up to the first argument that is not one (or up to `--`), and the arguments after them. */
function readOptions(argv: string[], allow: { headers?: boolean }): { options: TargetOptions; rest: string[] } {
  const options: TargetOptions = { autoMTLS: true, json: false, startTimeoutMs: 10_000, protoFiles: [], includeDirs: [], headers: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-')) break;
    const [flag, inline] = arg.includes('=') && arg.startsWith('--') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const next = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    applyOption(options, arg, flag, next, allow);
  }
  return { options, rest: argv.slice(i) };
}

/** One option: `next()` reads its value (after `=`, or the next argument). */
function applyOption(options: TargetOptions, arg: string, flag: string, next: () => string, allow: { headers?: boolean }): void {
  switch (flag) {
    case '--cookie':
      options.cookie = parseCookie(next());
      break;
    case '--host':
      options.host = parseHost(next());
      break;
    case '--versions':
      options.versions = parseVersions(next());
      break;
    case '--no-mtls':
      options.autoMTLS = false;
      break;
    case '--reattach':
      options.reattach = parseReattach(next());
      break;
    case '--proto':
      options.protoFiles.push(next());
      break;
    case '-I':
    case '--include':
      options.includeDirs.push(next());
      break;
    case '--timeout':
      options.startTimeoutMs = Number(next());
      if (!Number.isFinite(options.startTimeoutMs) || options.startTimeoutMs <= 0) throw new UsageError('--timeout wants milliseconds');
      break;
    case '--json':
      options.json = true;
      break;
    case '-H':
    case '--header':
      if (!allow.headers) throw new UsageError(`unknown option ${arg}`);
      options.headers.push(parseHeader(flag, next()));
      break;
    default:
      throw new UsageError(`unknown option ${arg}`);
  }
}

function parseCookie(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--cookie wants KEY=VALUE, got ${JSON.stringify(text)}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

function parseHost(name: string): KnownHost {
  if (!(name in KNOWN_HOSTS)) throw new UsageError(`unknown --host ${JSON.stringify(name)}; known hosts: ${Object.keys(KNOWN_HOSTS).join(', ')}`);
  return name as KnownHost;
}

function parseVersions(text: string): number[] {
  const versions = text.split(',').map((v) => Number(v.trim()));
  if (versions.length === 0 || versions.some((v) => !Number.isSafeInteger(v) || v < 0)) throw new UsageError(`--versions wants integers like 1,2; got ${JSON.stringify(text)}`);
  return versions;
}

/** `key: value`, the key lower-cased as gRPC metadata keys are. */
function parseHeader(flag: string, text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError(`${flag} wants "key: value", got ${JSON.stringify(text)}`);
  return [text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim()];
}

/** Accepts our reattach JSON and go-plugin's (`{"Protocol":…,"Addr":{"Network":…,"String":…}}`). */
export function parseReattach(text: string): ReattachConfig {
  let value: any;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--reattach wants JSON: ${errorMessage(err)}`);
  }
  const go = value && typeof value === 'object' && 'Addr' in value;
  const config = go
    ? { protocol: value.Protocol, protocolVersion: value.ProtocolVersion, network: value.Addr?.Network, address: value.Addr?.String, pid: value.Pid, test: value.Test }
    : value;
  if (config?.protocol !== 'grpc') throw new UsageError('--reattach: protocol must be "grpc"');
  if (config.network !== 'unix' && config.network !== 'tcp') throw new UsageError('--reattach: network must be unix or tcp');
  if (typeof config.address !== 'string' || !Number.isSafeInteger(config.pid) || !Number.isSafeInteger(config.protocolVersion)) {
    throw new UsageError('--reattach needs protocolVersion, network, address and pid');
  }
  return { protocol: 'grpc', protocolVersion: config.protocolVersion, network: config.network, address: config.address, pid: config.pid, ...(config.test ? { test: true } : {}), ...(config.tls ? { tls: config.tls } : {}) };
}

/** startPlugin's options for the target: launch its command, or reattach. */
export function startOptions(target: PluginTarget): StartPluginOptions {
  return {
    ...(target.command.length ? { command: target.command[0], args: target.command.slice(1) } : {}),
    ...(target.reattach ? { reattach: target.reattach } : {}),
    magicCookieKey: target.magicCookieKey,
    magicCookieValue: target.magicCookieValue,
    versions: target.versions,
    autoMTLS: target.autoMTLS,
    startTimeoutMs: target.startTimeoutMs,
  };
}
