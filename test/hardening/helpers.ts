// Measurements the hardening tests assert on: descriptors, address space, processes, socket dirs.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

import { descendants as allDescendants } from '../fixtures/host/processes.js';

export { isRunning, collectingLogger } from '../fixtures/host/processes.js';

/** Processes below `pid`, without tsx's own esbuild service, which the test runner's loader starts. */
export function descendants(pid: number): ReturnType<typeof allDescendants> {
  return allDescendants(pid).filter((p) => !(p.comm === 'esbuild' && p.ppid === process.pid));
}

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Open file descriptors of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A field of /proc/<pid>/status in KiB (VmSize, VmRSS, ...). */
export function statusKiB(field: 'VmSize' | 'VmRSS' | 'VmHWM', pid: number | 'self' = 'self'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

/**
 * A private TMPDIR for the plugins a test starts (other test runs share /tmp): what is left in it
 * afterwards was left by those plugins. `entries()` lists it; `remove()` deletes it.
 */
export function privateTmp(): { path: string; entries(): string[]; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'hardening-tmp-'));
  // tsx keeps its cache (tsx-<uid>) in TMPDIR: not the plugin's.
  return { path, entries: () => readdirSync(path).filter((name) => !name.startsWith('tsx-')), remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const MiB = 1024 * 1024;

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 25 ms until it is true or `ms` pass; returns its last value. */
export async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await delay(25);
  }
  return check();
}

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** One HTTP/2 frame (RFC 9113 §4.1), for peers that speak raw bytes. */
export function h2Frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}
