// The command-line tools the tests and the benchmark need besides Node: Go (for the Go peers, which
// are built here from the Go module proxy) and the openssl CLI (an independent reader of the
// certificates we write). Each is looked up once; a missing one fails with a sentence naming the
// tool and how to get it, because the tests that use them are never skipped.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** The oldest Go that builds every Go peer here (their go.mod files say `go 1.26.0`). */
export const GO_MINIMUM = '1.26';

/** `command` as an absolute path when it is one or is found on PATH; undefined otherwise. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = command.includes('/') ? [resolve(command)] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return isAbsolute(candidate);
    } catch {
      return false;
    }
  });
}

let go: string | undefined;

/**
 * The Go toolchain: `$GO` when set, else `go` on PATH. Throws when neither is there, or when it is
 * older than GO_MINIMUM (GOTOOLCHAIN=local everywhere here: a build never downloads another Go).
 */
export function goBinary(): string {
  if (go) return go;
  const wanted = process.env.GO || 'go';
  const found = findOnPath(wanted);
  if (!found) {
    throw new Error(
      `GO IS NEEDED, AND THE TESTS THAT USE IT ARE NEVER SKIPPED: ${process.env.GO ? `$GO is ${process.env.GO}, which is not an executable` : 'no `go` on PATH'}. ` +
        `Install Go >= ${GO_MINIMUM} (https://go.dev/dl, or your system's package if it is that new), put its bin directory on PATH ` +
        '(or set GO=/path/to/bin/go), and let it reach the Go module proxy (GOPROXY, default https://proxy.golang.org).',
    );
  }
  const version = spawnSync(found, ['env', 'GOVERSION'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
  const seen = /^go(\d+)\.(\d+)/.exec(version.stdout?.trim() ?? '');
  const [major, minor] = GO_MINIMUM.split('.').map(Number) as [number, number];
  if (!seen || Number(seen[1]) < major || (Number(seen[1]) === major && Number(seen[2]) < minor)) {
    throw new Error(
      `Go >= ${GO_MINIMUM} is needed; ${found} is ${version.stdout?.trim() || `not runnable (${version.error?.message ?? version.stderr})`}. ` +
        'Install a newer Go from https://go.dev/dl and put it first on PATH, or set GO=/path/to/bin/go.',
    );
  }
  go = found;
  return go;
}

/**
 * The environment for a `go build` here: the toolchain as found (never a downloaded one), no cgo
 * (no C compiler needed), no VCS stamping (test/go sits in this git checkout) and no go.work.
 * GOROOT is dropped so the toolchain finds its own.
 */
export function goBuildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '-mod=mod -buildvcs=false', ...extra };
  delete env.GOROOT;
  return env;
}

/** The openssl CLI on PATH, or a thrown sentence saying how to install it. */
export function opensslBinary(): string {
  const found = findOnPath('openssl');
  if (!found) {
    throw new Error(
      'THE OPENSSL CLI IS NEEDED, AND THE CERTIFICATE TESTS THAT USE IT ARE NEVER SKIPPED: no `openssl` on PATH. ' +
        'Install it (Debian/Ubuntu: `apt-get install openssl`; macOS: it ships with the system; others: https://openssl-library.org).',
    );
  }
  return found;
}
