// Go programs the tools tests run, built here from the Go module proxy (never committed):
// - reflect-client: grpc-go's raw reflection client plus protodesc (test/go/modern/cmd/reflect-client);
// - grpcurl (github.com/fullstorydev/grpcurl, MIT), pinned.
// Binaries land in test/go/bin/tools, rebuilt when their sources change; a build goes to a temporary
// name first, so parallel test files never run a half-written binary.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBinary, goBuildEnv } from '../helpers/tools.js';

export const GRPCURL_VERSION = 'v1.9.3';
const modernDir = fileURLToPath(new URL('../go/modern/', import.meta.url));
const binDir = fileURLToPath(new URL('../go/bin/tools/', import.meta.url));

function env(): NodeJS.ProcessEnv {
  return goBuildEnv({ GOFLAGS: '-mod=mod -buildvcs=false' });
}

function build(name: string, stampInput: string, args: (out: string) => string[], cwd: string): string {
  const target = join(binDir, name);
  const stamp = `${target}.stamp`;
  const hash = createHash('sha256').update(stampInput).digest('hex');
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return target;
  mkdirSync(binDir, { recursive: true });
  const staging = `${target}.${process.pid}.tmp`;
  const result = spawnSync(goBinary(), args(staging), { cwd, env: env(), encoding: 'utf8', timeout: 15 * 60_000 });
  if (result.status !== 0) {
    rmSync(staging, { force: true });
    throw new Error(`building ${name} failed (${result.error ?? `exit ${result.status}`}):\n${result.stderr}`);
  }
  renameSync(staging, target);
  writeFileSync(stamp, hash);
  return target;
}

/** Path of the reflect-client binary. */
export function reflectClient(): string {
  const dir = join(modernDir, 'cmd/reflect-client');
  const sources = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  const input = sources + readFileSync(join(modernDir, 'go.mod'), 'utf8') + readFileSync(join(modernDir, 'go.sum'), 'utf8');
  return build('reflect-client', input, (out) => ['build', '-o', out, './cmd/reflect-client'], modernDir);
}

/** Path of grpcurl, `go install`ed at GRPCURL_VERSION (its own go.mod pins its dependencies). */
export function grpcurl(): string {
  const target = join(binDir, 'grpcurl');
  const stamp = `${target}.stamp`;
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === GRPCURL_VERSION) return target;
  const staging = join(binDir, `.grpcurl-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  const e = { ...env(), GOBIN: staging, GOFLAGS: '-buildvcs=false' };
  const result = spawnSync(goBinary(), ['install', `github.com/fullstorydev/grpcurl/cmd/grpcurl@${GRPCURL_VERSION}`], { env: e, encoding: 'utf8', timeout: 15 * 60_000 });
  if (result.status !== 0) throw new Error(`go install grpcurl failed (${result.error ?? `exit ${result.status}`}):\n${result.stderr}`);
  renameSync(join(staging, 'grpcurl'), target);
  rmSync(staging, { recursive: true, force: true });
  writeFileSync(stamp, GRPCURL_VERSION);
  return target;
}
