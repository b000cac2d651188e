// The framework's default plan, without a host: what Terraform sees before a provider's own hook.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planResourceChange, schema as s, unknown, isUnknown, valuesEqual } from '../../src/terraform/index.ts';

const server = s.of({
  attributes: {
    name: s.string({ required: true }),
    zone: s.string({ required: true, requiresReplace: true }),
    size: s.number({ optional: true, computed: true, default: 1 }),
    id: s.string({ computed: true, useStateForUnknown: true }),
    ip: s.string({ computed: true }),
    note: s.string({ optional: true, computed: true }),
  },
  blocks: {
    disk: s.block('list', { attributes: { gb: s.number({ required: true }), serial: s.string({ computed: true }) } }),
  },
});

const config = { name: 'web', zone: 'a', size: null, id: null, ip: null, note: null, disk: [{ gb: 10, serial: null }] };
const prior = { name: 'web', zone: 'a', size: 1, id: 'i-1', ip: '10.0.0.1', note: 'set by provider', disk: [{ gb: 10, serial: 'S1' }] };

describe('the default plan', () => {
  it('on create: computed attributes the configuration leaves null are unknown, defaults are filled in', () => {
    const { planned, requiresReplace } = planResourceChange({ schema: server, prior: null, proposed: config, config });
    const p = planned as Record<string, any>;
    assert.equal(p.name, 'web');
    assert.equal(p.size, 1);
    assert.ok(isUnknown(p.id) && isUnknown(p.ip) && isUnknown(p.note));
    assert.ok(isUnknown(p.disk[0].serial));
    assert.equal(p.disk[0].gb, 10);
    assert.deepEqual(requiresReplace, []);
  });

  it('with no change: every prior value stays', () => {
    const { planned } = planResourceChange({ schema: server, prior, proposed: prior, config });
    assert.deepEqual(planned, prior);
  });

  it('on an update: computed attributes become unknown unless useStateForUnknown', () => {
    const proposed = { ...prior, name: 'web2' };
    const { planned, requiresReplace } = planResourceChange({ schema: server, prior, proposed, config: { ...config, name: 'web2' } });
    const p = planned as Record<string, any>;
    assert.equal(p.name, 'web2');
    assert.equal(p.id, 'i-1');
    assert.ok(isUnknown(p.ip));
    assert.ok(isUnknown(p.note));
    assert.ok(isUnknown(p.disk[0].serial));
    assert.deepEqual(requiresReplace, []);
  });

  it('asks for replacement when a requiresReplace attribute changes', () => {
    const proposed = { ...prior, zone: 'b' };
    const { requiresReplace } = planResourceChange({ schema: server, prior, proposed, config: { ...config, zone: 'b' } });
    assert.deepEqual(requiresReplace, [[{ attribute: 'zone' }]]);
  });

  it('plans nothing for a destroy', () => {
    assert.deepEqual(planResourceChange({ schema: server, prior, proposed: null, config: null }), { planned: null, requiresReplace: [] });
  });
});

describe('value equality', () => {
  it('compares numbers by value across representations and never equates unknowns', () => {
    assert.ok(valuesEqual(5, 5n));
    assert.ok(valuesEqual({ a: [1, '0.1000000000000000000001'] }, { a: [1, '0.1000000000000000000001'] }));
    assert.ok(!valuesEqual(9007199254740993n, 9007199254740992));
    assert.ok(!valuesEqual(unknown, unknown));
    assert.ok(valuesEqual(null, undefined));
    assert.ok(!valuesEqual({ a: 1 }, { a: 1, b: 2 }));
  });
});

describe('the default plan inside nested attributes', () => {
  const lb = s.of({
    attributes: {
      listeners: s.nested('list', { port: s.number({ required: true }), arn: s.string({ computed: true }) }, { required: true }),
    },
  });

  it('plans the computed attributes of each nested object', () => {
    const config = { listeners: [{ port: 80, arn: null }] };
    const created = planResourceChange({ schema: lb, prior: null, proposed: config, config }).planned as any;
    assert.equal(created.listeners[0].port, 80);
    assert.ok(isUnknown(created.listeners[0].arn));
    const prior = { listeners: [{ port: 80, arn: 'arn:1' }] };
    assert.deepEqual(planResourceChange({ schema: lb, prior, proposed: prior, config }).planned, prior);
  });
});
