import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { negotiateVersion, parseProtocolVersions } from '../../../src/plugin/negotiate.js';
import { seededRandom } from './random.js';

const random = seededRandom(0x4e60);

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('parseProtocolVersions: reading PLUGIN_PROTOCOL_VERSIONS', () => {
  const table: Array<[string | undefined, number[], string[]]> = [
    [undefined, [], []],
    ['', [], []],
    ['   ', [], []],
    ['5', [5], []],
    ['6,5', [6, 5], []],
    [' 6 , 5 ', [6, 5], []],
    ['+6,05', [6, 5], []],
    ['5,x,6', [5, 6], ['x']],
    ['1.5,2', [2], ['1.5']],
    ['0x6,1_0,6', [6], ['0x6', '1_0']],
    ['6,,5,', [6, 5], ['', '']],
    ['99999999999999999999', [], ['99999999999999999999']],
  ];
  for (const [value, versions, skipped] of table) {
    it(`${JSON.stringify(value)} → versions ${JSON.stringify(versions)}, skipped ${JSON.stringify(skipped)}`, () => {
      assert.deepEqual(parseProtocolVersions(value), { versions, skipped });
    });
  }
});

describe('negotiateVersion: the highest common version, else the lowest (docs/protocol.md#version-negotiation)', () => {
  it('settles host {1,3,4} and plugin {2,3,5} on 3, whatever order either side lists them in', () => {
    for (const hostOrder of permutations([1, 3, 4])) {
      for (const pluginOrder of permutations([2, 3, 5])) {
        assert.deepEqual(negotiateVersion(pluginOrder, hostOrder.join(',')), { version: 3, matched: true, skipped: [] });
      }
    }
  });

  it('compares numbers, not strings: 10 beats 9', () => {
    assert.equal(negotiateVersion([9, 10], '9,10').version, 10);
    assert.equal(negotiateVersion([10, 9], '10,9').version, 10);
    assert.equal(negotiateVersion([2, 10, 9], '2,9').version, 9);
    assert.equal(negotiateVersion([100, 20, 3], '3,20,100').version, 100);
  });

  it('answers a legacy host (no list) with the lowest version, unmatched, without throwing', () => {
    for (const value of [undefined, '', '  ']) {
      assert.deepEqual(negotiateVersion([6, 5], value), { version: 5, matched: false, skipped: [] });
    }
    assert.deepEqual(negotiateVersion([10, 9], undefined), { version: 9, matched: false, skipped: [] });
  });

  it('answers the lowest version, unmatched, when nothing is common', () => {
    assert.deepEqual(negotiateVersion([5, 6], '3,4'), { version: 5, matched: false, skipped: [] });
  });

  it('skips garbage in the list, reports it, and still matches the rest', () => {
    assert.deepEqual(negotiateVersion([5, 6], 'five,5,x'), { version: 5, matched: true, skipped: ['five', 'x'] });
    assert.deepEqual(negotiateVersion([5, 6], 'garbage'), { version: 5, matched: false, skipped: ['garbage'] });
  });

  it('never throws on host input (1000 random values)', () => {
    const chars = '0123456789,, +-.xé\t\n';
    for (let i = 0; i < 1000; i++) {
      const pluginVersions = random.shuffle([random.int(0, 12), random.int(0, 12), random.int(0, 12)]);
      const value = random.string(chars, 0, 20);
      const { version, matched } = negotiateVersion(pluginVersions, value);
      const offered = parseProtocolVersions(value).versions;
      const common = pluginVersions.filter((v) => offered.includes(v));
      assert.equal(matched, common.length > 0, value);
      assert.equal(version, matched ? Math.max(...common) : Math.min(...pluginVersions), value);
    }
  });

  it('refuses a plugin that serves no version, or a non-integer one', () => {
    assert.throws(() => negotiateVersion([], '1'), /at least one/);
    assert.throws(() => negotiateVersion([1.5], '1'), /integers/);
  });
});
