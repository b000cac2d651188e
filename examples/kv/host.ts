// The KV host: launches the TS plugin under AutoMTLS, puts and gets values, prints what happened.
import { fileURLToPath } from 'node:url';
import { startPlugin, type Logger } from '../../src/index.js';
import { KV, KV_COOKIE, KV_VERSION } from './handshake.js';

const pluginFile = fileURLToPath(new URL('./plugin.ts', import.meta.url));
const text = new TextDecoder();

// The plugin's hclog lines arrive here at their own level, with their fields.
const show = (level: string) => (message: string, fields?: Record<string, unknown>) => {
  const { plugin: _name, ...rest } = fields ?? {};
  console.log(`  [plugin ${level}] ${message}${Object.keys(rest).length ? ' ' + JSON.stringify(rest) : ''}`);
};
const logger: Logger = { trace: show('trace'), debug: show('debug'), info: show('info'), warn: show('warn'), error: show('error') };

const plugin = await startPlugin({
  command: process.execPath,
  args: ['--import', 'tsx', pluginFile],
  ...KV_COOKIE,
  versions: [KV_VERSION],
  logger,
  onStdout: (data) => process.stdout.write(`  [plugin stdout] ${text.decode(data)}`),
  // KV_MULTIPLEX=1: one yamux connection for every gRPC connection (go-plugin >= 1.6 multiplexing).
  multiplex: process.env.KV_MULTIPLEX === '1',
});
console.log(`launched plugin pid ${plugin.pid}, protocol ${plugin.negotiatedVersion}, AutoMTLS on`);
await plugin.ping();
console.log('ping: plugin is SERVING');

const kv = plugin.client(KV);
await kv.put({ key: 'greeting', value: new TextEncoder().encode('hello from the host') });
await kv.put({ key: 'answer', value: new TextEncoder().encode('42') });
const got = await kv.get({ key: 'greeting' });
console.log(`get greeting -> ${JSON.stringify(text.decode(got.value))} (found: ${got.found})`);
const missing = await kv.get({ key: 'nope' });
console.log(`get nope -> found: ${missing.found}`);
for await (const entry of kv.list({})) console.log(`list: ${entry.key} = ${text.decode(entry.value)}`);

await plugin.kill();
const { code } = await plugin.exited;
console.log(`plugin exited with code ${code}`);
