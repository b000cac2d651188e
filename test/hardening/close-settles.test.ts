// client.close() and channel.close() settle even when nothing else keeps the event loop alive: the
// session is unref'd between calls, so waiting on its 'close' event alone let the process exit first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from '../../src/index.js';
import { CallsService } from '../grpc/helpers.js';
import { fixture } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CJS_BUILD = join(root, 'node_modules', '.cache', 'hardening-cjs');

/** The package's CommonJS build, made with tsup as `npm run build` makes dist/index.cjs. */
function buildCjs(): string {
  const tsup = join(root, 'node_modules', '.bin', 'tsup');
  execFileSync(tsup, ['--no-config', 'src/index.ts', '--format', 'cjs', '--shims', '--platform', 'node', '--target', 'node20', '--out-dir', CJS_BUILD], { cwd: root, stdio: 'ignore' });
  return join(CJS_BUILD, 'index.cjs');
}

function runScript(script: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(script.endsWith('.cjs') ? [] : ['--import', 'tsx']), fixture(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('close() settles with nothing else keeping the loop alive', () => {
  let server: Server;
  let address = '';
  before(async () => {
    server = createServer();
    server.addService(CallsService, { Unary: ({ n }: { n: number }) => ({ n }) });
    address = await server.listen('127.0.0.1:0');
  });
  after(() => server.forceClose());

  for (const script of ['close-esm.mts', 'close-cjs.cjs']) {
    it(`${script}: the line after await client.close() runs and the script exits 0`, async () => {
      const result = await runScript(script, address, ...(script.endsWith('.cjs') ? [buildCjs()] : []));
      assert.equal(result.stdout.trim(), 'after close 21', `stderr: ${result.stderr}`);
      assert.equal(result.code, 0);
    });
  }
});
