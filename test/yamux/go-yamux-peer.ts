// Builds test/go/yamux-peer (a hashicorp/yamux v0.1.2 peer) with the Go that goBinary() finds ($GO or PATH), into
// test/go/bin, rebuilt only when its sources change. Interop tests are never skipped: no Go fails.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBinary, goBuildEnv } from '../helpers/tools.js';

const dir = fileURLToPath(new URL('../go/yamux-peer/', import.meta.url));
const binDir = fileURLToPath(new URL('../go/bin/', import.meta.url));

let built: string | undefined;

export function yamuxPeer(): string {
  if (built) return built;
  const go = goBinary();
  const hash = createHash('sha256');
  for (const name of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(dir, name)));
  const version = spawnSync(go, ['version'], { encoding: 'utf8' });
  hash.update(version.stdout);
  const digest = hash.digest('hex');
  const binary = join(binDir, 'yamux-peer');
  const stamp = join(binDir, '.yamux-peer.stamp');
  if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return (built = binary);
  mkdirSync(binDir, { recursive: true });
  const staging = `${binary}.${process.pid}`;
  const result = spawnSync(go, ['build', '-o', staging, '.'], { cwd: dir, env: goBuildEnv(), encoding: 'utf8', timeout: 10 * 60_000 });
  if (result.status !== 0) throw new Error(`go build test/go/yamux-peer failed:\n${result.stderr}`);
  renameSync(staging, binary);
  writeFileSync(stamp, digest);
  return (built = binary);
}
