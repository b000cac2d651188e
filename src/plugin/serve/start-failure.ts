// A start-up failure, as a plugin reports it to its host.
import { errorMessage } from '../../errors.js';

/** Rethrows, or with `exitProcess` prints one line on stderr and exits 1. */
export function failStart(err: unknown, exitProcess: boolean): never {
  if (!exitProcess) throw err;
  // One readable line; the host shows it with "plugin exited before we could connect".
  process.stderr.write(`${errorMessage(err)}\n`);
  process.exit(1);
}

