// A TS plugin takes Terraform-sized messages: its default receive limit is 256 MiB, not gRPC's 4 MiB
// (docs/protocol.md#message-size).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { GrpcError, Status, loadProto, serviceOf, startPlugin, type Logger } from '../../src/index.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/ts-plugin/launch.sh', import.meta.url));
const Test = serviceOf(loadProto(fileURLToPath(new URL('../fixtures/goplugin/test.proto', import.meta.url))), 'grpctest.Test');

describe('plugin message size', () => {
  it('accepts a 20 MiB request by default, and a host limit still applies to responses', async () => {
    const logs: string[] = [];
    const logger: Logger = { trace: () => {}, debug: () => {}, info: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`), warn: () => {}, error: () => {} };
    const plugin = await startPlugin({ command: PLUGIN, magicCookieKey: 'TEST_PLUGIN_MAGIC_COOKIE', magicCookieValue: 'test', versions: [2], logger });
    try {
      const test = plugin.client(Test) as any;
      const value = 'x'.repeat(20 * 1024 * 1024);
      await test.PrintKV({ Key: 'big', ValueString: value });
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(logs.some((l) => l.includes('PrintKV') && l.includes(`<${value.length} characters>`)), logs.join('\n'));
      // The connection still serves calls after a large message.
      assert.equal((await test.Double({ Input: 4 })).Output, 8);
    } finally {
      await plugin.kill();
    }
  });

  it('refuses a request over the 256 MiB default with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    const plugin = await startPlugin({ command: PLUGIN, magicCookieKey: 'TEST_PLUGIN_MAGIC_COOKIE', magicCookieValue: 'test', versions: [2] });
    try {
      const test = plugin.client(Test) as any;
      const value = 'y'.repeat(256 * 1024 * 1024 + 16);
      await assert.rejects(test.PrintKV({ Key: 'huge', ValueString: value }), (err: unknown) => err instanceof GrpcError && err.code === Status.RESOURCE_EXHAUSTED);
      assert.equal((await test.Double({ Input: 5 })).Output, 10);
    } finally {
      await plugin.kill();
    }
  });
});
