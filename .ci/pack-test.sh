#!/usr/bin/env bash
# Packs the library, installs the tarball into an empty project, checks the installed footprint and
# runs a plugin (ESM) launched by a host (CommonJS) from the installed package, under AutoMTLS.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tarball="$root/$(npm pack --silent | tail -1)"
project=$(mktemp -d)
trap 'rm -rf "$project" "$tarball"' EXIT
cd "$project"
npm init -y >/dev/null
npm install --no-audit --no-fund "$tarball" >/dev/null
bytes=$(du -sb node_modules | cut -f1)
packages=$(find node_modules -name package.json -not -path '*/node_modules/*/node_modules/*/node_modules/*' | xargs grep -l '"version"' | wc -l)
echo "installed footprint: $bytes bytes ($(awk "BEGIN{printf \"%.2f\", $bytes/1048576}") MiB), package.json files: $packages"
# 6 MiB: protobufjs (3.7 MiB) plus dist, which carries its own protobufjs copies for bundles and the
# CLI (gen, inspect, call). The seed package needed 13.98 MB in 33 packages.
if [ "$bytes" -gt $((6 * 1024 * 1024)) ]; then echo "FAIL: the installed footprint is over 6 MiB" >&2; exit 1; fi
tar -tzf "$tarball" | sed 's|^package/||' | sort > files.txt
if grep -Ev '^(dist/|proto/|README.md$|package.json$|LICENSE)' files.txt; then echo "FAIL: unexpected files in the tarball (above)" >&2; exit 1; fi

cat > kv.proto <<'PROTO'
syntax = "proto3";
package kv;
message Key { string key = 1; }
message Value { string value = 1; }
message Pair { string key = 1; string value = 2; }
message Empty {}
service KV { rpc Get(Key) returns (Value); rpc Put(Pair) returns (Empty); }
PROTO
cat > plugin.mjs <<'JS'
import { serve, loadProto, serviceOf } from 'go-plugin-ts';
const KV = serviceOf(loadProto(new URL('./kv.proto', import.meta.url).pathname), 'kv.KV');
const store = new Map();
await serve({
  magicCookieKey: 'PACK_TEST', magicCookieValue: 'yes', reflection: true,
  versions: { 1: (server) => server.addService(KV, {
    Get: ({ key }) => ({ value: store.get(key) ?? '' }),
    Put: ({ key, value }) => (store.set(key, value), {}),
  }) },
});
console.log('plugin stdout reaches the host');
JS
cat > host.cjs <<'JS'
const { startPlugin, loadProto, serviceOf } = require('go-plugin-ts');
(async () => {
  const KV = serviceOf(loadProto(__dirname + '/kv.proto'), 'kv.KV');
  let stdout = '';
  const plugin = await startPlugin({
    command: process.execPath, args: [__dirname + '/plugin.mjs'],
    magicCookieKey: 'PACK_TEST', magicCookieValue: 'yes', versions: [1],
    onStdout: (d) => (stdout += Buffer.from(d).toString()),
  });
  const kv = plugin.client(KV);
  await kv.put({ key: 'a', value: 'b' });
  const { value } = await kv.get({ key: 'a' });
  await new Promise((r) => setTimeout(r, 200));
  await plugin.kill();
  const { code } = await plugin.exited;
  if (value !== 'b' || code !== 0 || !stdout.includes('plugin stdout reaches the host')) {
    console.error('FAIL', { value, code, stdout });
    process.exit(1);
  }
  console.log('packed package works: ESM plugin, CommonJS host, AutoMTLS, stdio, exit code', code);
})().catch((err) => { console.error(err); process.exit(1); });
JS
node host.cjs

# The package's go-plugin-ts command: inspect and call the plugin above; reflection describes go-plugin's
# internal services from the proto/ files in the package.
npx --no-install go-plugin-ts inspect --cookie PACK_TEST=yes node plugin.mjs > inspect.txt || { cat inspect.txt; echo "FAIL: go-plugin-ts inspect" >&2; exit 1; }
grep -q '^verdict     OK' inspect.txt && grep -q 'StartStream(stream plugin.ConnInfo)' inspect.txt && grep -q 'Get(kv.Key) returns (kv.Value)' inspect.txt \
  || { cat inspect.txt; echo "FAIL: go-plugin-ts inspect output" >&2; exit 1; }
answer=$(npx --no-install go-plugin-ts call --cookie PACK_TEST=yes node plugin.mjs kv.KV/Put '{"key":"a","value":"b"}')
if [ "$answer" != '{}' ]; then echo "FAIL: go-plugin-ts call answered $answer" >&2; exit 1; fi
echo "packed go-plugin-ts command works: inspect and call"
# go-plugin-ts/terraform from the installed package: an ESM provider, a CommonJS host speaking tfplugin6.
cat > provider.mjs <<'JS'
import { serveProvider, providerFunction, types } from 'go-plugin-ts/terraform';
await serveProvider({
  functions: { twice: providerFunction({ parameters: [{ name: 's', type: types.string }], returns: types.string, run: ([s]) => s + s }) },
});
JS
cat > tf-host.cjs <<'JS'
const { startPlugin } = require('go-plugin-ts');
const { providerService, TF_PLUGIN_MAGIC_COOKIE, encodeMsgpack, decodeMsgpack, cty } = require('go-plugin-ts/terraform');
(async () => {
  const plugin = await startPlugin({
    command: process.execPath, args: [__dirname + '/provider.mjs'],
    magicCookieKey: TF_PLUGIN_MAGIC_COOKIE.key, magicCookieValue: TF_PLUGIN_MAGIC_COOKIE.value, versions: [6],
  });
  const provider = plugin.client(providerService(6));
  const { result } = await provider.CallFunction({ name: 'twice', arguments: [{ msgpack: encodeMsgpack('ab', cty.string) }] });
  await plugin.kill();
  const value = decodeMsgpack(result.msgpack, cty.string);
  if (value !== 'abab') { console.error('FAIL', { value }); process.exit(1); }
  console.log('packed go-plugin-ts/terraform works: ESM provider, CommonJS tfplugin6 host');
})().catch((err) => { console.error(err); process.exit(1); });
JS
node tf-host.cjs

# go-plugin-ts/protocol from the installed package, both module systems; the root keeps only its documented API.
node --input-type=module -e "
import { parseHandshake, KNOWN_HOSTS } from 'go-plugin-ts/protocol';
import * as root from 'go-plugin-ts';
const h = parseHandshake('1|6|unix|/tmp/p.sock|grpc|', { offeredVersions: KNOWN_HOSTS.terraform.versions, expectCert: false });
if (h.appVersion !== 6 || 'parseHandshake' in root || !('startPlugin' in root)) { console.error('FAIL', h, Object.keys(root)); process.exit(1); }
"
node -e "const p = require('go-plugin-ts/protocol'); if (typeof p.formatHandshake !== 'function') { console.error('FAIL: require(go-plugin-ts/protocol)'); process.exit(1); }"
echo "packed go-plugin-ts/protocol works: ESM and CommonJS"
