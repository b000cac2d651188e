// The provider RPCs on protocol messages, without a host: diagnostics, state upgrades, stop, and
// the checks on what handlers return.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createProviderRpc,
  decodeMsgpack,
  encodeMsgpack,
  logLevelFromEnv,
  resource,
  schema as s,
  TerraformError,
  unknown,
  FunctionArgumentError,
  providerFunction,
  types,
  type ProviderDefinition,
} from '../../src/terraform/index.ts';
import { blockType } from '../../src/terraform/schema.ts';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const thingSchema = s.of(
  {
    attributes: {
      name: s.string({ required: true }),
      count: s.number({ optional: true }),
      id: s.string({ computed: true }),
    },
    blocks: { rule: s.block('list', { attributes: { port: s.number({ required: true, validate: (p) => (Number(p) < 65536 ? undefined : 'a port is below 65536') }) } }) },
  },
  { version: 2 },
);
const type = blockType(thingSchema.block);
const dv = (value: unknown) => ({ msgpack: encodeMsgpack(value, type), json: new Uint8Array() });
const thing = (v: Record<string, unknown>) => ({ name: 'x', count: null, id: null, rule: [], ...v });

function provider(overrides: Partial<Parameters<typeof resource<typeof thingSchema>>[0]> = {}, extra: Partial<ProviderDefinition> = {}) {
  return createProviderRpc(
    {
      resources: {
        test_thing: resource({
          schema: thingSchema,
          create: () => ({ id: 'new' }),
          read: ({ state }) => state,
          update: () => ({}),
          delete: () => {},
          ...overrides,
        }),
      },
      ...extra,
    },
    quiet,
  );
}

describe('diagnostics', () => {
  it('turns a thrown TerraformError into an error with its detail and attribute path', async () => {
    const rpc = provider({
      create: () => {
        throw new TerraformError('Quota exceeded', { detail: 'only 3 allowed', path: ['rule', 0, 'port'] });
      },
    });
    const response = await rpc.applyResourceChange({ typeName: 'test_thing', priorState: dv(null), plannedState: dv(thing({ id: unknown })), config: dv(thing({})) });
    assert.deepEqual(response.diagnostics, [
      {
        severity: 'ERROR',
        summary: 'Quota exceeded',
        detail: 'only 3 allowed',
        attribute: { steps: [{ attributeName: 'rule' }, { elementKeyInt: 0n }, { attributeName: 'port' }] },
      },
    ]);
  });

  it('keeps warnings handlers add next to a thrown plain Error', async () => {
    const rpc = provider({
      validate: (_config, ctx) => {
        ctx.diagnostics.warn('Deprecated name', { path: ['name'] });
        throw new Error('boom');
      },
    });
    const response = await rpc.validateResourceConfig({ typeName: 'test_thing', config: dv(thing({})) });
    assert.deepEqual(
      response.diagnostics.map((d: any) => [d.severity, d.summary]),
      [
        ['WARNING', 'Deprecated name'],
        ['ERROR', 'boom'],
      ],
    );
  });

  it('reports the diagnostics a validate hook returns', async () => {
    const rpc = provider({ validate: (config) => (config.count === null ? [{ severity: 'warning', summary: 'No count', detail: 'one is assumed', path: ['count'] }] : []) });
    const response = await rpc.validateResourceConfig({ typeName: 'test_thing', config: dv(thing({})) });
    assert.deepEqual(response.diagnostics, [{ severity: 'WARNING', summary: 'No count', detail: 'one is assumed', attribute: { steps: [{ attributeName: 'count' }] } }]);
  });

  it('runs attribute validators in nested blocks with the path of the value', async () => {
    const rpc = provider();
    const response = await rpc.validateResourceConfig({ typeName: 'test_thing', config: dv(thing({ rule: [{ port: 80 }, { port: 70000 }] })) });
    assert.deepEqual(response.diagnostics, [
      {
        severity: 'ERROR',
        summary: 'Invalid port',
        detail: 'a port is below 65536',
        attribute: { steps: [{ attributeName: 'rule' }, { elementKeyInt: 1n }, { attributeName: 'port' }] },
      },
    ]);
  });

  it('refuses a create that leaves an attribute unknown, naming it', async () => {
    const rpc = provider({ create: () => ({}) });
    const response = await rpc.applyResourceChange({ typeName: 'test_thing', priorState: dv(null), plannedState: dv(thing({ id: unknown })), config: dv(thing({})) });
    assert.equal(response.diagnostics.length, 1);
    assert.match(response.diagnostics[0].detail, /id: create left this attribute unknown/);
    assert.deepEqual(response.diagnostics[0].attribute, { steps: [{ attributeName: 'id' }] });
  });

  it('answers an unknown resource type with an error, not a gRPC failure', async () => {
    const response = await provider().readResource({ typeName: 'test_nope', currentState: dv(null) });
    assert.match(response.diagnostics[0].summary, /no resource type "test_nope"/);
  });
});

describe('resource lifecycle RPCs', () => {
  it('fills what create leaves out from the plan', async () => {
    const rpc = provider({ create: ({ planned }) => ({ id: `id-${planned.name}` }) });
    const response = await rpc.applyResourceChange({ typeName: 'test_thing', priorState: dv(null), plannedState: dv(thing({ id: unknown, count: 3 })), config: dv(thing({ count: 3 })) });
    assert.deepEqual(response.diagnostics, []);
    assert.deepEqual(decodeMsgpack(response.newState.msgpack, type), thing({ id: 'id-x', count: 3 }));
  });

  it('reports a vanished object as null state', async () => {
    const rpc = provider({ read: () => null });
    const response = await rpc.readResource({ typeName: 'test_thing', currentState: dv(thing({ id: 'a' })) });
    assert.equal(decodeMsgpack(response.newState.msgpack, type), null);
  });

  it('refuses import without importState', async () => {
    const response = await provider().importResourceState({ typeName: 'test_thing', id: 'a' });
    assert.match(response.diagnostics[0].summary, /does not support import/);
  });

  it('reads state of the current version from JSON, numbers exact, attributes of older schemas dropped', async () => {
    const rpc = provider();
    const json = new TextEncoder().encode('{"name":"x","count":12345678901234567890,"id":"a","rule":[],"gone":1}');
    const response = await rpc.upgradeResourceState({ typeName: 'test_thing', version: 2n, rawState: { json } });
    assert.deepEqual(response.diagnostics, []);
    assert.deepEqual(decodeMsgpack(response.upgradedState.msgpack, type), thing({ count: 12345678901234567890n, id: 'a' }));
  });

  it('hands older state to upgradeState with its version', async () => {
    let seen: unknown;
    const rpc = provider({
      upgradeState: ({ version, state }) => {
        seen = { version, state };
        return { name: state.title, id: state.id };
      },
    });
    const json = new TextEncoder().encode('{"title":"old","id":"a"}');
    const response = await rpc.upgradeResourceState({ typeName: 'test_thing', version: 1n, rawState: { json } });
    assert.deepEqual(seen, { version: 1, state: { title: 'old', id: 'a' } });
    assert.deepEqual(decodeMsgpack(response.upgradedState.msgpack, type), thing({ name: 'old', id: 'a' }));
  });

  it('refuses state from a newer schema version', async () => {
    const json = new TextEncoder().encode('{"name":"x"}');
    const response = await provider().upgradeResourceState({ typeName: 'test_thing', version: 3n, rawState: { json } });
    assert.match(response.diagnostics[0].summary, /schema version 3, newer than this provider's 2/);
  });
});

describe('StopProvider', () => {
  it('aborts the signal of a running handler', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const rpc = provider({
      create: (_input, ctx) =>
        new Promise((_resolve, reject) => {
          started();
          ctx.signal.addEventListener('abort', () => reject(new Error('interrupted by stop')));
        }),
    });
    const apply = rpc.applyResourceChange({ typeName: 'test_thing', priorState: dv(null), plannedState: dv(thing({ id: unknown })), config: dv(thing({})) });
    await running;
    assert.deepEqual(rpc.stopProvider(), { Error: '' });
    const response = await apply;
    assert.equal(response.diagnostics[0].summary, 'interrupted by stop');
    assert.ok(rpc.signal.aborted);
  });
});

describe('functions', () => {
  const rpc = provider(
    {},
    {
      functions: {
        add: providerFunction({
          parameters: [
            { name: 'a', type: types.number },
            { name: 'b', type: types.number },
          ],
          returns: types.number,
          run: ([a, b]) => {
            if (Number(b) < 0) throw new FunctionArgumentError(1, 'b must not be negative');
            return BigInt(a) + BigInt(b);
          },
        }),
      },
    },
  );
  const num = (n: unknown) => ({ msgpack: encodeMsgpack(n, { kind: 'number' }) });

  it('calls with decoded arguments and encodes the result exactly', async () => {
    const response = await rpc.callFunction({ name: 'add', arguments: [num(9007199254740993n), num(1)] });
    assert.equal(decodeMsgpack(response.result.msgpack, { kind: 'number' }), 9007199254740994n);
  });

  it('names the argument at fault', async () => {
    assert.deepEqual((await rpc.callFunction({ name: 'add', arguments: [num(1), num(-1)] })).error, { text: 'b must not be negative', functionArgument: 1n });
    assert.deepEqual((await rpc.callFunction({ name: 'add', arguments: [num(1), num(2), num(3)] })).error, { text: 'add takes 2 arguments, got 3', functionArgument: 2n });
    assert.match((await rpc.callFunction({ name: 'nope', arguments: [] })).error.text, /no function "nope"/);
  });
});

describe('log level', () => {
  it('follows TF_LOG_PROVIDER, then TF_LOG', () => {
    assert.equal(logLevelFromEnv({}), 'info');
    assert.equal(logLevelFromEnv({ TF_LOG: 'DEBUG' }), 'debug');
    assert.equal(logLevelFromEnv({ TF_LOG: 'DEBUG', TF_LOG_PROVIDER: 'warn' }), 'warn');
    assert.equal(logLevelFromEnv({ TF_LOG: 'JSON' }), 'trace');
    assert.equal(logLevelFromEnv({ TF_LOG_PROVIDER: 'off' }), 'off');
  });
});
