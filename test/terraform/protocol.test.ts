// proto/terraform/tfplugin{5,6}.proto are written here, comments in our own words; their names,
// numbers and types must be exactly terraform-plugin-go v0.31.0's (protocol 5.11 and 6.11), which
// the test downloads through the Go module proxy and compares field by field.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { providerService } from '../../src/terraform/protocol.ts';
import { readFileSync } from 'node:fs';
import { loadProto, protoFromJson, serviceOf, type ServiceDefinition } from '../../src/index.ts';
import { fileDescriptorName, fileDescriptorsOf } from '../../src/grpc/descriptors.ts';
import { protocolJsonModule, protocolJsonModulePath } from '../../build/generate-tfplugin.ts';
import { goCommand } from './go-tools.ts';

const protoFile = (version: 5 | 6) => fileURLToPath(new URL(`../../proto/terraform/tfplugin${version}.proto`, import.meta.url));
const UPSTREAM = 'github.com/hashicorp/terraform-plugin-go@v0.31.0';

/** The protocol's facts only: names, numbers, types, labels, nesting; no comments or options. */
function shape(file: string, pkg: string): unknown {
  const root = new protobuf.Root();
  root.loadSync(file, { keepCase: true });
  root.resolveAll();
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(node).sort()) {
      if (key === 'comment' || key === 'comments' || key === 'options') continue;
      out[key] = strip((node as Record<string, unknown>)[key]);
    }
    return out;
  };
  return strip((root.toJSON().nested as Record<string, unknown>)[pkg]);
}

describe('tfplugin protocol definitions', () => {
  let upstream: string;
  before(() => {
    const env = { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off', GOTOOLCHAIN: 'local' };
    const out = spawnSync(goCommand(), ['mod', 'download', '-json', UPSTREAM], { encoding: 'utf8', env, timeout: 300_000 });
    assert.equal(out.status, 0, `go mod download ${UPSTREAM} failed: ${out.stderr}${out.stdout}`);
    upstream = (JSON.parse(out.stdout) as { Dir: string }).Dir;
  });

  for (const version of [5, 6] as const) {
    it(`tfplugin${version}.proto matches terraform-plugin-go's protocol ${version}.11 message for message`, () => {
      const ours = shape(protoFile(version), `tfplugin${version}`);
      const theirs = shape(join(upstream, `tfprotov${version}/internal/tfplugin${version}/tfplugin${version}.proto`), `tfplugin${version}`);
      assert.deepEqual(ours, theirs);
    });
  }

  it('serves the method names each protocol uses', () => {
    const v5 = Object.keys(providerService(5));
    const v6 = Object.keys(providerService(6));
    for (const name of ['GetSchema', 'PrepareProviderConfig', 'ValidateResourceTypeConfig', 'ValidateDataSourceConfig', 'Configure', 'Stop']) {
      assert.ok(v5.includes(name), name);
    }
    for (const name of ['GetProviderSchema', 'ValidateProviderConfig', 'ValidateResourceConfig', 'ValidateDataResourceConfig', 'ConfigureProvider', 'StopProvider']) {
      assert.ok(v6.includes(name), name);
    }
    assert.equal(providerService(6).GetProviderSchema!.path, '/tfplugin6.Provider/GetProviderSchema');
    assert.equal(providerService(5).GetSchema!.path, '/tfplugin5.Provider/GetSchema');
  });
});

describe('tfplugin definitions from the generated JSON (no parse at start-up)', () => {
  for (const version of [5, 6] as const) {
    it(`src/terraform/tfplugin${version}-json.ts is what proto/terraform/tfplugin${version}.proto parses to (else: npm run generate)`, () => {
      assert.equal(readFileSync(protocolJsonModulePath(version), 'utf8'), protocolJsonModule(version));
    });

    it(`tfplugin${version}.Provider from the JSON equals the one loadProto parses: methods, reflection descriptors, bytes`, () => {
      const fromJson = providerService(version);
      const parsed = serviceOf(loadProto(protoFile(version)), `tfplugin${version}.Provider`);
      const shapeOf = (s: ServiceDefinition) => Object.entries(s).map(([name, m]) => [name, m.path, m.requestStream, m.responseStream, m.originalName]);
      assert.deepEqual(shapeOf(fromJson), shapeOf(parsed));
      const files = (s: ServiceDefinition) => fileDescriptorsOf(s)!.map((bytes) => [fileDescriptorName(bytes), Buffer.from(bytes).toString('hex')]);
      assert.deepEqual(files(fromJson).map(([name]) => name), [`tfplugin${version}.proto`, 'google/protobuf/timestamp.proto']);
      assert.deepEqual(files(fromJson), files(parsed));
      const method = version === 5 ? 'GetSchema' : 'GetProviderSchema';
      const response = {
        provider: { version: 1n, block: { attributes: [{ name: 'root', type: Buffer.from('"string"'), optional: true, descriptionKind: 'MARKDOWN' }] } },
        resourceSchemas: { x_file: { version: 2n, block: { blockTypes: [{ typeName: 'rule', nesting: 'LIST', minItems: 1n, block: {} }] } } },
        diagnostics: [{ severity: 'WARNING', summary: 's', attribute: { steps: [{ attributeName: 'a' }, { elementKeyInt: 3n }] } }],
        serverCapabilities: { planDestroy: true },
      };
      const bytes = fromJson[method]!.responseSerialize(response);
      assert.ok(bytes.length > 40);
      assert.deepEqual(Buffer.from(bytes), Buffer.from(parsed[method]!.responseSerialize(response)));
      assert.deepEqual(fromJson[method]!.responseDeserialize(Buffer.from(bytes)), parsed[method]!.responseDeserialize(Buffer.from(bytes)));
    });
  }

  it('protoFromJson takes loadProto\'s message options (longs, enums, defaults)', () => {
    const json = '{"nested":{"p":{"nested":{"E":{"values":{"ZERO":0,"ONE":1}},"M":{"fields":{"n":{"type":"int64","id":1},"e":{"type":"E","id":2},"s":{"type":"string","id":3}}},"S":{"methods":{"Call":{"requestType":"M","responseType":"M"}}}}}}}';
    const bytes = serviceOf(protoFromJson(json), 'p.S').Call!.requestSerialize({ n: 5n, e: 'ONE' });
    assert.deepEqual(serviceOf(protoFromJson(json), 'p.S').Call!.requestDeserialize(Buffer.from(bytes)), { n: 5n, e: 'ONE', s: '' });
    const custom = serviceOf(protoFromJson(JSON.parse(json), { longs: 'string', enums: 'number', defaults: false }), 'p.S');
    assert.deepEqual(custom.Call!.requestDeserialize(Buffer.from(bytes)), { n: '5', e: 1 });
  });

  it('protoFromJson says what is wrong with a descriptor it cannot load', () => {
    assert.throws(() => protoFromJson('{"nested":{"p":{"nested":{"M":{"fields":{"f":{"type":"Missing","id":1}}}}}}}'), /cannot load the JSON descriptor: .*Missing/);
    assert.throws(() => protoFromJson('{not json'), /cannot load the JSON descriptor/);
  });
});
