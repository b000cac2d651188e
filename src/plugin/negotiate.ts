// App protocol version negotiation, plugin side (docs/protocol.md#version-negotiation,
// after go-plugin's protocolVersion in server.go).

import { parseGoInt } from './go-strconv.js';

export interface ProtocolVersions {
  /** The integers, in the order the host wrote them (random: Go map iteration). */
  versions: number[];
  /** Items that were not integers, as written; a plugin notes them on stderr and goes on. */
  skipped: string[];
}

/**
 * Reads PLUGIN_PROTOCOL_VERSIONS: comma-separated decimal integers. Items are trimmed (Go does not
 * trim; we are lenient). An empty or blank value counts as absent (a legacy host). Never throws.
 */
export function parseProtocolVersions(envValue: string | undefined): ProtocolVersions {
  const result: ProtocolVersions = { versions: [], skipped: [] };
  if (envValue === undefined || envValue.trim() === '') return result;
  for (const item of envValue.split(',')) {
    const version = parseGoInt(item.trim());
    if (version === undefined || !Number.isSafeInteger(version)) result.skipped.push(item);
    else result.versions.push(version);
  }
  return result;
}

export interface NegotiatedVersion {
  /** The version to serve and to print in handshake field 2. */
  version: number;
  /** False when nothing matched: the host will report the mismatch, not us. */
  matched: boolean;
  /** Items of the host's list that were not integers. */
  skipped: string[];
}

/**
 * The highest of the plugin's versions the host offered. With no common version, or no list at
 * all, the plugin's lowest version, unmatched: a plugin answers and lets the host report the
 * mismatch; it never throws or exits over the host's list (docs/protocol.md#version-negotiation). Compares numbers,
 * never
 * strings ("10" < "9" as strings).
 */
export function negotiateVersion(
  pluginVersions: readonly number[],
  envValue: string | undefined,
): NegotiatedVersion {
  if (pluginVersions.length === 0) {
    throw new Error('the plugin must serve at least one app protocol version');
  }
  for (const version of pluginVersions) {
    if (!Number.isSafeInteger(version)) {
      throw new Error(`app protocol versions must be integers, got ${String(version)}`);
    }
  }
  const { versions: offered, skipped } = parseProtocolVersions(envValue);
  const descending = [...pluginVersions].sort((a, b) => b - a);
  for (const version of descending) {
    if (offered.includes(version)) return { version, matched: true, skipped };
  }
  return { version: descending[descending.length - 1]!, matched: false, skipped };
}
