// The plugin's executable: found on PATH like exec.LookPath, checked against a checksum (go-plugin's SecureConfig).
import { createHash, timingSafeEqual } from 'node:crypto';
import { accessSync, constants as fsConstants, createReadStream, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { PluginStartError, type StartPluginOptions } from './options.js';

export function resolveExecutable(command: string, cwd: string | undefined, pathEnv: string | undefined): string {
  const check = (file: string) => {
    try {
      if (!statSync(file).isFile()) return false;
      accessSync(file, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/') || command.includes('\\')) {
    const file = isAbsolute(command) ? command : resolvePath(cwd ?? process.cwd(), command);
    try {
      statSync(file);
    } catch {
      throw new PluginStartError(`cannot start plugin: ${file} does not exist`);
    }
    if (!check(file)) throw new PluginStartError(`cannot start plugin: ${file} is not an executable file (check its permissions: chmod +x)`);
    return file;
  }
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, command);
    if (check(file)) return file;
  }
  throw new PluginStartError(`cannot start plugin: "${command}" was not found on PATH`);
}

export async function verifyChecksum(file: string, checksum: NonNullable<StartPluginOptions['checksum']>): Promise<void> {
  if (!checksum.hex) throw new PluginStartError('no checksum provided');
  const hash = createHash(checksum.algorithm);
  await new Promise<void>((resolve, reject) => {
    createReadStream(file).on('data', (d) => hash.update(d)).on('end', resolve).on('error', reject);
  });
  const actual = hash.digest();
  const expected = Buffer.from(checksum.hex, 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(actual, expected)) {
    throw new PluginStartError(`checksums did not match for ${file}: expected ${checksum.hex}, got ${actual.toString('hex')}`);
  }
}

