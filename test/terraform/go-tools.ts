// Go programs the Terraform tests build on this machine: test/go/cty-vectors (go-cty's own
// encoder and decoder) and Terraform v1.5.7, the last MPL-2.0 release (`go install` from the Go
// module proxy; releases from 1.6 on are BSL and never used). Binaries go to a per-user cache
// (XDG_CACHE_HOME or ~/.cache, under go-plugin-ts/), so every checkout and CI run on a machine
// shares one Terraform build (minutes the first time, nothing after).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBinary, goBuildEnv } from '../helpers/tools.js';

export const TERRAFORM_VERSION = 'v1.5.7';
const BUILD_TIMEOUT_MS = 30 * 60_000;

export const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'go-plugin-ts');

/** Go from $GO or PATH (test/helpers/tools.ts), with one clear error when there is none. */
export const goCommand = goBinary;

const goEnv = goBuildEnv;

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): void {
  const result = spawnSync(goCommand(), args, { cwd, env, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    const why = result.error ? String(result.error) : `exit ${result.status ?? result.signal}`;
    throw new Error(`\`go ${args.join(' ')}\` in ${cwd} failed (${why}); these tests need Go (set $GO or put go on PATH):\n${result.stderr}`);
  }
}

/** Holds an exclusive lock file while `build` runs, so parallel test files build once. */
async function locked<T>(name: string, build: () => T): Promise<T> {
  mkdirSync(cacheDir, { recursive: true });
  const lock = join(cacheDir, `${name}.lock`);
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(readFileSync(lock, 'utf8') || '0', 10);
    if (holder > 0 && !alive(holder)) rmSync(lock, { force: true });
    else if (Date.now() > deadline) throw new Error(`${lock} is still held; remove it if no build is running`);
    else await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    return build();
  } finally {
    rmSync(lock, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const ctyVectorsDir = fileURLToPath(new URL('../go/cty-vectors/', import.meta.url));

/** test/go/cty-vectors built with go-cty v1.18.1; rebuilt when its sources change. */
export async function ctyVectorsBinary(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of readdirSync(ctyVectorsDir).sort()) {
    if (statSync(join(ctyVectorsDir, name)).isFile()) hash.update(name).update(readFileSync(join(ctyVectorsDir, name)));
  }
  const binary = join(cacheDir, `cty-vectors-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(binary)) return binary;
  return locked('cty-vectors', () => {
    if (!existsSync(binary)) run(['build', '-o', binary, '.'], ctyVectorsDir, goEnv());
    return binary;
  });
}

/** Terraform v1.5.7 from the Go module proxy (about 6 minutes on 2 cores the first time). */
export async function terraformBinary(): Promise<string> {
  const dir = join(cacheDir, `terraform-${TERRAFORM_VERSION}`);
  const binary = join(dir, 'terraform');
  if (existsSync(binary)) return binary;
  return locked('terraform', () => {
    if (!existsSync(binary)) {
      mkdirSync(dir, { recursive: true });
      process.stderr.write(`terraform tests: building Terraform ${TERRAFORM_VERSION} into ${dir} (minutes the first time)\n`);
      run(['install', `github.com/hashicorp/terraform@${TERRAFORM_VERSION}`], cacheDir, goEnv({ GOBIN: dir }));
    }
    return binary;
  });
}

export const OPENTOFU_VERSION = 'v1.12.6';

/**
 * OpenTofu (MPL-2.0) from the Go module proxy. Its go.mod has replace directives, so `go install`
 * refuses it; the module is copied into a writable folder and ./cmd/tofu built there (about 11 minutes
 * on 2 cores the first time).
 */
export async function tofuBinary(): Promise<string> {
  const dir = join(cacheDir, `opentofu-${OPENTOFU_VERSION}`);
  const binary = join(dir, 'tofu');
  if (existsSync(binary)) return binary;
  return locked('opentofu', () => {
    if (existsSync(binary)) return binary;
    process.stderr.write(`terraform tests: building OpenTofu ${OPENTOFU_VERSION} into ${dir} (minutes the first time)\n`);
    mkdirSync(dir, { recursive: true });
    const download = spawnSync(goCommand(), ['mod', 'download', '-json', `github.com/opentofu/opentofu@${OPENTOFU_VERSION}`], {
      cwd: cacheDir,
      env: goEnv(),
      encoding: 'utf8',
      timeout: BUILD_TIMEOUT_MS,
    });
    if (download.status !== 0) throw new Error(`go mod download of OpenTofu failed:\n${download.stderr}${download.stdout}`);
    const source = join(dir, 'src');
    rmSync(source, { recursive: true, force: true });
    cpSync((JSON.parse(download.stdout) as { Dir: string }).Dir, source, { recursive: true });
    chmodTree(source);
    run(['build', '-o', binary, './cmd/tofu'], source, goEnv({ GOFLAGS: '-buildvcs=false' }));
    rmSync(source, { recursive: true, force: true });
    return binary;
  });
}

/** The module cache is read-only; the copy must be writable for the build. */
function chmodTree(path: string): void {
  chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chmodTree(join(path, name));
}
