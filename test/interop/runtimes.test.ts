// The runtime matrix beyond the plugin side (which plugin-go-hosts.test.ts runs on Node, Bun and Deno):
// our gRPC server under Bun and Deno against grpc-go's interop client, and our host side under Bun and
// Deno driving the newest go-plugin Go plugin under AutoMTLS (broker included).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { goPeers, type GoPeers } from '../helpers/go-peers.js';
import { GO_CLIENT_CASES } from '../helpers/interop-service.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/runtime/${name}`, import.meta.url));
const run = promisify(execFile);

const RUNTIMES = {
  bun: (file: string, args: string[] = []) => [`${root}node_modules/.bin/bun`, [file, ...args]] as const,
  deno: (file: string, args: string[] = []) => [`${root}node_modules/.bin/deno`, ['run', '--allow-all', '--sloppy-imports', file, ...args]] as const,
};

// grpc-go's cases minus the soak runs (slow under Bun and Deno), pick_first (one backend here) and
// unimplemented_service (the same path as unimplemented_method).
const CASES = GO_CLIENT_CASES.filter((c) => !['rpc_soak', 'channel_soak', 'pick_first_unary', 'unimplemented_service'].includes(c));

let peers: GoPeers;
before(async () => {
  peers = await goPeers();
});

for (const [runtime, command] of Object.entries(RUNTIMES)) {
  describe(`our gRPC server on ${runtime} ← grpc-go's interop client`, { concurrency: 1 }, () => {
    let child: ReturnType<typeof spawn>;
    let port: number;
    before(async () => {
      const [bin, args] = command(fixture('interop-server.ts'));
      child = spawn(bin, [...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      port = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`the ${runtime} interop server printed no port: ${out}`)), 30_000);
        child.stdout!.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          const m = /\{"port":(\d+)\}/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        child.once('exit', (code) => reject(new Error(`the ${runtime} interop server exited (${code}): ${out}`)));
      });
    });
    after(() => {
      child?.kill('SIGKILL');
    });
    for (const testCase of CASES) {
      it(testCase, async () => {
        const args = ['--server_host=127.0.0.1', `--server_port=${port}`, '--use_tls=false', `--test_case=${testCase}`];
        await assert.doesNotReject(run(peers.interopClient, args, { timeout: 60_000 }), `grpc-go interop client, ${testCase}, against ${runtime}`);
      });
    }
  });

  describe(`our host on ${runtime} → the newest go-plugin Go plugin`, () => {
    it('launches it under AutoMTLS, calls every kind of method, runs the broker round trip and kills it', async () => {
      const [bin, args] = command(fixture('host-smoke.ts'), [peers.modernPlugin]);
      const { stdout } = await run(bin, [...args], { cwd: root, timeout: 60_000 });
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      assert.deepEqual(result, { version: 2, doubled: 42, streamed: [2, 4, 6], pong: 'pong', exitCode: 0 });
    });
  });
}
