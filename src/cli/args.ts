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

/**
 * Parses the options before the plugin command. The command starts at the first argument that is not
 * an option (or after `--`); `take` may claim arguments after it (call's Service/Method and body).
 */
export function parseTarget(argv: string[], allow: { headers?: boolean } = {}): { target: PluginTarget; rest: string[] } {
  let cookie: [string, string] | undefined;
  let host: KnownHost | undefined;
  let versions: number[] | undefined;
  let autoMTLS = true;
  let reattach: ReattachConfig | undefined;
  let json = false;
  let startTimeoutMs = 10_000;
  const protoFiles: string[] = [];
  const includeDirs: string[] = [];
  const headers: Array<[string, string]> = [];
  let i = 0;
  const value = (flag: string) => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-')) break;
    const [flag, inline] = arg.includes('=') && arg.startsWith('--') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const next = () => inline ?? value(flag);
    switch (flag) {
      case '--cookie': {
        const text = next();
        const eq = text.indexOf('=');
        if (eq <= 0) throw new UsageError(`--cookie wants KEY=VALUE, got ${JSON.stringify(text)}`);
        cookie = [text.slice(0, eq), text.slice(eq + 1)];
        break;
      }
      case '--host': {
        const name = next();
        if (!(name in KNOWN_HOSTS)) throw new UsageError(`unknown --host ${JSON.stringify(name)}; known hosts: ${Object.keys(KNOWN_HOSTS).join(', ')}`);
        host = name as KnownHost;
        break;
      }
      case '--versions': {
        const text = next();
        versions = text.split(',').map((v) => Number(v.trim()));
        if (versions.length === 0 || versions.some((v) => !Number.isSafeInteger(v) || v < 0)) throw new UsageError(`--versions wants integers like 1,2; got ${JSON.stringify(text)}`);
        break;
      }
      case '--no-mtls':
        autoMTLS = false;
        break;
      case '--reattach':
        reattach = parseReattach(next());
        break;
      case '--proto':
        protoFiles.push(next());
        break;
      case '-I':
      case '--include':
        includeDirs.push(next());
        break;
      case '--timeout': {
        startTimeoutMs = Number(next());
        if (!Number.isFinite(startTimeoutMs) || startTimeoutMs <= 0) throw new UsageError('--timeout wants milliseconds');
        break;
      }
      case '--json':
        json = true;
        break;
      case '-H':
      case '--header': {
        if (!allow.headers) throw new UsageError(`unknown option ${arg}`);
        const text = next();
        const colon = text.indexOf(':');
        if (colon <= 0) throw new UsageError(`${flag} wants "key: value", got ${JSON.stringify(text)}`);
        headers.push([text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim()]);
        break;
      }
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  const rest = argv.slice(i);
  const known = host ? KNOWN_HOSTS[host] : undefined;
  if (!cookie && !known && !reattach) {
    throw new UsageError('give the magic cookie the plugin expects: --cookie KEY=VALUE, or --host NAME for a known host');
  }
  const target: PluginTarget = {
    command: reattach ? [] : rest,
    magicCookieKey: cookie?.[0] ?? known?.magicCookieKey ?? 'GO_PLUGIN_TS_REATTACH',
    magicCookieValue: cookie?.[1] ?? known?.magicCookieValue ?? '',
    versions: versions ?? (reattach ? [reattach.protocolVersion] : known ? [...known.versions] : [1]),
    autoMTLS,
    protoFiles,
    includeDirs,
    headers,
    json,
    startTimeoutMs,
    ...(reattach ? { reattach } : {}),
    ...(host ? { host } : {}),
  };
  return { target, rest: reattach ? rest : [] };
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
