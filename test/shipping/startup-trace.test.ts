// GO_PLUGIN_TS_TRACE=1: a plugin prints its start-up phases on stderr, which the newest go-plugin host
// passes on to its log (non-JSON stderr lines at debug level); unset, it prints none.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { goPeers, runGo, type GoPeers } from '../helpers/go-peers.js';

const PLUGIN = [process.execPath, '--import', 'tsx', fileURLToPath(new URL('../fixtures/shipping/plugin-generated.ts', import.meta.url))];
let peers: GoPeers;

before(async () => {
  peers = await goPeers();
});

describe('start-up trace under the newest go-plugin host', () => {
  it('prints each phase in order with its duration and time since the process started', async () => {
    const result = await runGo(peers.modernHost, ['-automtls', '-scenario', 'start', '--', ...PLUGIN], { env: { GO_PLUGIN_TS_TRACE: '1' } });
    assert.equal(result.lines.find((l) => l.step === 'start')?.ok, true, result.stderr.slice(-2000));
    const phases = [...result.stderr.matchAll(/go-plugin-ts startup: (.+?) \+(\d+\.\d) ms \(at (\d+\.\d) ms\)/g)].map((m) => ({
      phase: m[1]!,
      delta: Number(m[2]),
      at: Number(m[3]),
    }));
    const names = phases.map((p) => p.phase);
    const expected = [
      'runtime ready (first module of go-plugin-ts evaluated)',
      'go-plugin-ts imported',
      'serve() called',
      'serve: prepared (cookie, gRPC server, internal services)',
      "serve: version 2's services registered",
      'serve: certificate ready',
      'serve: listening',
      'serve: handshake written',
    ];
    assert.deepEqual(names, expected, result.stderr.slice(-3000));
    for (let i = 1; i < phases.length; i++) {
      assert.ok(phases[i]!.at >= phases[i - 1]!.at, 'phases are in time order');
      assert.ok(Math.abs(phases[i]!.at - phases[i - 1]!.at - phases[i]!.delta) < 0.2, 'each delta is the time since the previous mark');
    }
  });

  it('prints nothing without GO_PLUGIN_TS_TRACE', async () => {
    const result = await runGo(peers.modernHost, ['-scenario', 'start', '--', ...PLUGIN], { env: { GO_PLUGIN_TS_TRACE: '' } });
    assert.equal(result.lines.find((l) => l.step === 'start')?.ok, true, result.stderr.slice(-2000));
    assert.doesNotMatch(result.stderr, /go-plugin-ts startup:/);
  });
});
