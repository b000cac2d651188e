import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as env from '../../../src/plugin/env.js';

describe('go-plugin environment variables', () => {
  it('names each variable by its own value, and lists all seven', () => {
    const names = [
      'PLUGIN_PROTOCOL_VERSIONS',
      'PLUGIN_MIN_PORT',
      'PLUGIN_MAX_PORT',
      'PLUGIN_CLIENT_CERT',
      'PLUGIN_MULTIPLEX_GRPC',
      'PLUGIN_UNIX_SOCKET_DIR',
      'PLUGIN_UNIX_SOCKET_GROUP',
    ] as const;
    for (const name of names) assert.equal(env[name], name);
    assert.deepEqual([...env.PLUGIN_ENV_VARS].sort(), [...names].sort());
  });

  it('uses core version 1 and the host default ports 10000–25000', () => {
    assert.equal(env.CORE_PROTOCOL_VERSION, 1);
    assert.deepEqual([env.DEFAULT_MIN_PORT, env.DEFAULT_MAX_PORT], [10000, 25000]);
  });
});

describe('KNOWN_HOSTS (docs/protocol.md#known-hosts)', () => {
  it('cannot be changed at run time, down to the version lists', () => {
    assert.ok(Object.isFrozen(env.KNOWN_HOSTS));
    for (const host of Object.values(env.KNOWN_HOSTS)) {
      assert.ok(Object.isFrozen(host) && Object.isFrozen(host.versions));
    }
    assert.throws(() => {
      (env.KNOWN_HOSTS.terraform.versions as number[]).push(7);
    }, TypeError);
  });

  it('holds the cookies and versions hosts check', () => {
    const table: Array<[env.KnownHost, string, string, number[]]> = [
      ['terraform', 'TF_PLUGIN_MAGIC_COOKIE', 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2', [5, 6]],
      ['vault', 'VAULT_BACKEND_PLUGIN', '6669da05-b1c8-4f49-97d9-c8e5bed98e20', [3, 4, 5]],
      ['vaultDatabase', 'VAULT_DATABASE_PLUGIN', '926a0820-aea2-be28-51d6-83cdf00e8edb', [4, 5]],
      ['nomad', 'NOMAD_PLUGIN_MAGIC_COOKIE', 'e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255', [2]],
      ['grafana', 'grafana_plugin_type', 'datasource', [2]],
      ['tflint', 'TFLINT_RULESET_PLUGIN', '5adSn1bX8nrDfgBqiAqqEkC6OE1h3iD8SqbMc5UUONx8x3xCF0KlPDsBRNDjoYDP', [11]],
      ['velero', 'VELERO_PLUGIN', 'hello', [2]],
      ['wundergraphCosmo', 'GRPC_DATASOURCE_PLUGIN', 'GRPC_DATASOURCE_PLUGIN', [1]],
      ['goKmsWrapping', 'HASHICORP_GKW_PLUGIN', 'wrapper', [1]],
    ];
    assert.deepEqual(Object.keys(env.KNOWN_HOSTS).sort(), table.map(([name]) => name).sort());
    for (const [name, magicCookieKey, magicCookieValue, versions] of table) {
      assert.deepEqual({ ...env.KNOWN_HOSTS[name], versions: [...env.KNOWN_HOSTS[name].versions] }, {
        magicCookieKey,
        magicCookieValue,
        versions,
      });
    }
  });
});
