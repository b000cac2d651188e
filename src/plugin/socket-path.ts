// Where a plugin listens: unix socket paths and TCP port ranges (docs/protocol.md#listeners).
// Only makeSocketDir and resolveSocketGroup touch the file system.

import { errorMessage } from '../errors.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { PLUGIN_MAX_PORT, PLUGIN_MIN_PORT, PLUGIN_UNIX_SOCKET_DIR, PLUGIN_UNIX_SOCKET_GROUP, type Env } from './env.js';
import { parseGoInt } from './go-strconv.js';


/**
 * `sizeof(sun_path)` per platform, the terminating NUL included. Node silently truncates a longer
 * path (and Go refuses it), so checkSocketPath keeps paths strictly shorter, leaving room for the NUL
 * that macOS and the BSDs require.
 */
export const MAX_UNIX_PATH_BYTES: Readonly<Record<string, number>> = Object.freeze({
  linux: 108,
  android: 108,
  darwin: 104,
  freebsd: 104,
  openbsd: 104,
  netbsd: 104,
  sunos: 108,
});

/** The sun_path size for a platform; the smallest common one (104) when unknown. */
export function maxUnixPathBytes(platform: string = process.platform): number {
  return MAX_UNIX_PATH_BYTES[platform] ?? 104;
}

/** PLUGIN_UNIX_SOCKET_DIR when set and non-empty, else the OS temp dir (TMPDIR). */
export function socketDirectory(env: Env = process.env): string {
  const dir = env[PLUGIN_UNIX_SOCKET_DIR];
  return dir !== undefined && dir !== '' ? dir : tmpdir();
}

/**
 * Creates a fresh private directory (mode 0700) named `plugin-dir<random>` under
 * socketDirectory(env), as a go-plugin host does before it sets PLUGIN_UNIX_SOCKET_DIR, and
 * returns its path. The caller removes it when done.
 */
export function makeSocketDir(env: Env = process.env): string {
  // mkdtemp creates the directory with mode 0700.
  return mkdtempSync(join(socketDirectory(env), 'plugin-dir'));
}

/** `<dir>/plugin<random digits>`, go-plugin's socket name. Creates nothing. */
export function socketPathIn(dir: string): string {
  return join(dir, `plugin${randomInt(0, 2 ** 32)}`);
}

/**
 * Throws when a unix socket path is too long to bind. A long TMPDIR otherwise fails deep in listen,
 * and users only see "Unrecognized remote plugin message" (docs/protocol.md#socket-path-length;
 * hashicorp/terraform#22198).
 */
export function checkSocketPath(path: string, platform: string = process.platform): void {
  const bytes = new TextEncoder().encode(path).length;
  const limit = maxUnixPathBytes(platform);
  if (bytes >= limit) {
    throw new Error(
      `the unix socket path ${path} is ${bytes} bytes long, but ${platform} allows at most ${limit - 1} ` +
        `(sun_path is ${limit} bytes with its terminating NUL); set TMPDIR or ${PLUGIN_UNIX_SOCKET_DIR} ` +
        'to a shorter directory',
    );
  }
}

/**
 * The gid for PLUGIN_UNIX_SOCKET_GROUP: a decimal gid as is, else a group name looked up in
 * `groupFile` (/etc/group; NSS sources such as LDAP are not consulted).
 */
export function resolveSocketGroup(value: string, groupFile = '/etc/group'): number {
  const gid = parseGoInt(value);
  if (gid !== undefined) {
    if (gid < 0 || gid > 0xffffffff) {
      throw new Error(`${PLUGIN_UNIX_SOCKET_GROUP}=${value} is not a valid group id`);
    }
    return gid;
  }
  if (value === '') throw new Error(`${PLUGIN_UNIX_SOCKET_GROUP} is empty; give a group name or gid`);
  let content: string;
  try {
    content = readFileSync(groupFile, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot look up group "${value}" from ${PLUGIN_UNIX_SOCKET_GROUP}: reading ${groupFile} failed ` +
        `(${errorMessage(err)}); give a numeric gid instead`,
    );
  }
  for (const line of content.split('\n')) {
    // name:password:gid:members
    const [name, , id] = line.split(':');
    if (name === value && id !== undefined && /^[0-9]+$/.test(id)) return Number(id);
  }
  throw new Error(
    `unknown group "${value}" in ${PLUGIN_UNIX_SOCKET_GROUP}: it is not in ${groupFile}; give an existing group name or a numeric gid`,
  );
}

export interface PortRange {
  min: number;
  max: number;
}

/**
 * PLUGIN_MIN_PORT and PLUGIN_MAX_PORT as a plugin reads them (docs/protocol.md#tcp-and-port-ranges):
 * base 10, unset or empty = 0. No defaults here: the host always sets both (10000/25000 unless its
 * caller chose), so 0/0 means one try on an ephemeral port.
 */
export function parsePortRange(env: Env = process.env): PortRange {
  const read = (name: string): number => {
    const text = env[name];
    if (text === undefined || text === '') return 0;
    const port = parseGoInt(text, 32);
    if (port === undefined || port < 0 || port > 65535) {
      throw new Error(`couldn't get value from ${name}: ${JSON.stringify(text)} is not a TCP port (0 to 65535)`);
    }
    return port;
  };
  const min = read(PLUGIN_MIN_PORT);
  const max = read(PLUGIN_MAX_PORT);
  if (min > max) {
    throw new Error(`${PLUGIN_MIN_PORT} value of ${min} is greater than ${PLUGIN_MAX_PORT} value of ${max}`);
  }
  return { min, max };
}

/** The ports to try on 127.0.0.1, in order, min and max included; the first that binds wins. */
export function* candidatePorts(range: PortRange): Generator<number, void, undefined> {
  for (let port = range.min; port <= range.max; port++) yield port;
}
