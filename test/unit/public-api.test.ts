// The root entry exports exactly the values README.md's "API" section lists, and go-plugin-ts/protocol
// exactly its list: an internal module renamed or a helper exported by accident fails here.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The backticked names between `<!-- api:NAME -->` and `<!-- /api:NAME -->`. */
function documented(list: string): string[] {
  const start = readme.indexOf(`<!-- api:${list} -->`);
  const end = readme.indexOf(`<!-- /api:${list} -->`);
  assert.ok(start >= 0 && end > start, `README.md has no <!-- api:${list} --> list`);
  return [...readme.slice(start, end).matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1]!).sort();
}

describe('public API', () => {
  it('the root exports exactly the names README.md documents', async () => {
    const root = await import('../../src/index.js');
    assert.deepEqual(Object.keys(root).sort(), documented('root'));
  });

  it('go-plugin-ts/protocol exports exactly the names README.md documents', async () => {
    const protocol = await import('../../src/protocol.js');
    assert.deepEqual(Object.keys(protocol).sort(), documented('protocol'));
  });

  it('the user agent carries this package\'s name and package.json\'s version', async () => {
    const { PACKAGE_VERSION } = await import('../../src/version.js');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(PACKAGE_VERSION, pkg.version);
    assert.match(readFileSync(new URL('../../src/grpc/client-call.ts', import.meta.url), 'utf8'), /USER_AGENT = `grpc-node-goplugints\/\$\{PACKAGE_VERSION\} go-plugin-ts\/\$\{PACKAGE_VERSION\}`/);
  });

  it("README's protocol example parses a handshake line as written", async () => {
    const { parseHandshake, KNOWN_HOSTS } = await import('../../src/protocol.js');
    const { appVersion, network, address } = parseHandshake('1|6|unix|/tmp/plugin.sock|grpc|', { offeredVersions: KNOWN_HOSTS.terraform.versions, expectCert: false });
    assert.deepEqual({ appVersion, network, address }, { appVersion: 6, network: 'unix', address: '/tmp/plugin.sock' });
  });
});
