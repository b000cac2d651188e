// Provider functions and the RPCs Terraform 1.5.7 never calls (GetFunctions, CallFunction,
// GetMetadata, StopProvider), on the example provider as a real process, launched by this
// package's go-plugin host with Terraform's cookie and AutoMTLS, on protocols 6 and 5.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startPlugin, type PluginClient } from '../../src/index.ts';
import { decodeMsgpack, encodeMsgpack, cty, providerService, TF_PLUGIN_MAGIC_COOKIE } from '../../src/terraform/index.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

for (const protocol of [6, 5] as const) {
  describe(`the example provider's function and metadata RPCs on protocol ${protocol}`, () => {
    let plugin: PluginClient;
    let provider: any;

    before(async () => {
      plugin = await startPlugin({
        command: process.execPath,
        args: ['--import', 'tsx', 'examples/terraform-provider/provider.ts'],
        cwd: repo,
        magicCookieKey: TF_PLUGIN_MAGIC_COOKIE.key,
        magicCookieValue: TF_PLUGIN_MAGIC_COOKIE.value,
        versions: [protocol],
      });
      provider = plugin.client(providerService(protocol));
    });

    after(async () => {
      await plugin?.kill();
    });

    it('negotiates the protocol asked for', () => {
      assert.equal(plugin.negotiatedVersion, protocol);
    });

    it('lists the function with its signature', async () => {
      const { functions } = await provider.GetFunctions({});
      assert.deepEqual(Object.keys(functions), ['sha256']);
      assert.equal(functions.sha256.summary, 'SHA-256 of a string, hex');
      assert.equal(new TextDecoder().decode(functions.sha256.parameters[0].type), '"string"');
      assert.equal(new TextDecoder().decode(functions.sha256.return.type), '"string"');
    });

    it('calls it', async () => {
      const response = await provider.CallFunction({ name: 'sha256', arguments: [{ msgpack: encodeMsgpack('hello', cty.string) }] });
      assert.equal(response.error, null);
      assert.equal(decodeMsgpack(response.result.msgpack, cty.string), createHash('sha256').update('hello').digest('hex'));
    });

    it('reports a wrong argument with its position', async () => {
      const response = await provider.CallFunction({ name: 'sha256', arguments: [{ msgpack: encodeMsgpack(true, cty.bool) }] });
      assert.equal(response.error.functionArgument, 0n);
      assert.match(response.error.text, /invalid input: a string is required/);
    });

    it('describes itself in GetMetadata and the schema', async () => {
      const metadata = await provider.GetMetadata({});
      assert.deepEqual(metadata.resources, [{ typeName: 'localfile_file' }]);
      assert.deepEqual(metadata.dataSources, [{ typeName: 'localfile_file' }, { typeName: 'localfile_directory' }]);
      assert.deepEqual(metadata.functions, [{ name: 'sha256' }]);
      const schema = await (protocol === 6 ? provider.GetProviderSchema({}) : provider.GetSchema({}));
      const attributes = schema.resourceSchemas.localfile_file.block.attributes.map((a: any) => a.name);
      assert.deepEqual(attributes, ['content', 'id', 'mode', 'path', 'sha256', 'size']);
      assert.ok(schema.functions.sha256);
      // A nested attribute: protocol 6 describes its attributes, protocol 5 gets an object type.
      const files = schema.dataSourceSchemas.localfile_directory.block.attributes.find((a: any) => a.name === 'files');
      if (protocol === 6) assert.deepEqual([files.nestedType.nesting, files.nestedType.attributes.map((a: any) => a.name)], ['LIST', ['name', 'size']]);
      else assert.equal(new TextDecoder().decode(files.type), '["list",["object",{"name":"string","size":"number"},["name","size"]]]');
    });

    it('answers a method of a newer minor version as a provider without it does', async () => {
      await assert.rejects(provider.ValidateEphemeralResourceConfig({ typeName: 'x' }), /UNIMPLEMENTED|unimplemented/i);
    });

    it('acknowledges StopProvider', async () => {
      const response = await (protocol === 6 ? provider.StopProvider({}) : provider.Stop({}));
      assert.equal(response.Error, '');
    });
  });
}
