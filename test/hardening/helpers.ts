// Measurements the hardening tests assert on: descriptors, address space, processes, socket dirs.
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

export { descendants, isRunning, collectingLogger } from '../fixtures/host/processes.js';

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

/** go-plugin socket directories (`plugin-dir*`) in the temp dir. */
export function socketDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('plugin-dir'));
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
