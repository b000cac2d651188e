// Schemas as code: the handlers' value types come from the schema (checked by `npm run typecheck`,
// which compiles this file), and the schema becomes the protocol's Schema message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resource, schema as s, types, typeToJson, type ValueOf, type CtyNumber } from '../../src/terraform/index.ts';
import { blockType, schemaMessage } from '../../src/terraform/schema.ts';

const server = s.of(
  {
    description: 'A server',
    attributes: {
      name: s.string({ required: true, description: 'Its name' }),
      size: s.number({ optional: true }),
      tags: s.map(types.string, { optional: true }),
      ports: s.list(types.number, { optional: true }),
      owner: s.object({ name: types.string, admin: types.bool }, { optional: true }),
      password: s.string({ optional: true, sensitive: true, deprecated: 'use password_wo' }),
      id: s.string({ computed: true }),
      anything: s.dynamic({ optional: true }),
      rules: s.nested('list', { port: s.number({ required: true }), note: s.string({ optional: true }) }, { optional: true }),
    },
    blocks: {
      disk: s.block('list', { attributes: { gb: s.number({ required: true }) } }, { maxItems: 4 }),
      network: s.block('single', { attributes: { cidr: s.string({ required: true }) } }),
    },
  },
  { version: 3 },
);

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_: T) => {};

type V = ValueOf<typeof server>;
expectType<Equal<V['name'], string>>(true);
expectType<Equal<V['size'], CtyNumber | null>>(true);
expectType<Equal<V['tags'], Record<string, string | null> | null>>(true);
expectType<Equal<V['ports'], Array<CtyNumber | null> | null>>(true);
expectType<Equal<V['owner'], { name: string | null; admin: boolean | null } | null>>(true);
expectType<Equal<V['disk'], Array<{ gb: CtyNumber }>>>(true);
expectType<Equal<V['network'], { cidr: string } | null>>(true);
expectType<Equal<V['rules'], Array<{ port: CtyNumber; note: string | null }> | null>>(true);

// Handlers receive those types.
resource({
  schema: server,
  create: ({ config }) => {
    const name: string = config.name;
    // @ts-expect-error size may be null
    const size: CtyNumber = config.size;
    return { id: `${name}-${String(size)}` };
  },
  read: ({ state }) => state,
  delete: () => {},
});

describe('schemas as code', () => {
  it('give the cty object type of the values', () => {
    assert.deepEqual(typeToJson(blockType(server.block)), [
      'object',
      {
        anything: 'dynamic',
        disk: ['list', ['object', { gb: 'number' }]],
        id: 'string',
        name: 'string',
        network: ['object', { cidr: 'string' }],
        owner: ['object', { admin: 'bool', name: 'string' }],
        password: 'string',
        ports: ['list', 'number'],
        rules: ['list', ['object', { note: 'string', port: 'number' }]],
        size: 'number',
        tags: ['map', 'string'],
      },
    ]);
  });

  it('become the protocol Schema message', () => {
    const message = schemaMessage(server) as any;
    assert.equal(message.version, 3n);
    assert.equal(message.block.description, 'A server');
    const password = message.block.attributes.find((a: any) => a.name === 'password');
    assert.equal(new TextDecoder().decode(password.type), '"string"');
    assert.deepEqual([password.optional, password.sensitive, password.deprecated, password.deprecationMessage], [true, true, true, 'use password_wo']);
    const disk = message.block.blockTypes.find((b: any) => b.typeName === 'disk');
    assert.deepEqual([disk.nesting, disk.maxItems], ['LIST', 4n]);
  });

  it('refuse contradictory attribute options', () => {
    assert.throws(() => s.string({}), /must be required, optional or computed/);
    assert.throws(() => s.string({ required: true, computed: true }), /required attribute cannot also be/);
    assert.throws(() => s.string({ optional: true, default: 'x' }), /default must be optional and computed/);
  });
});
