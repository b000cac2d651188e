import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  LEVELS,
  createLogLineParser,
  formatHclogTimestamp,
  formatLogLine,
  levelEnabled,
  parseHclogTimestamp,
  parseLogLine,
  type LogLevel,
} from '../../../src/plugin/hclog.js';
import { seededRandom } from './random.js';

const random = seededRandom(0x4c06);
// Date.UTC maps years 0–99 to 1900–1999; this does not.
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}
const time = new Date(Date.UTC(2026, 10, 25, 1, 49, 0, 123));
// Go's layout 2006-01-02T15:04:05.000000Z07:00, written out independently of the module.
const GO_LAYOUT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

describe('levels', () => {
  it('orders trace < debug < info < warn < error', () => {
    assert.deepEqual([...LEVELS], ['trace', 'debug', 'info', 'warn', 'error']);
    for (const [i, level] of LEVELS.entries()) {
      for (const [j, min] of LEVELS.entries()) assert.equal(levelEnabled(level, min), i >= j, `${level} at ${min}`);
    }
  });
});

describe('formatLogLine: what a plugin writes to stderr', () => {
  it('writes the hclog keys first, with a six-digit UTC timestamp (docs/protocol.md#logs)', () => {
    const line = formatLogLine({ level: 'info', message: 'serving', module: 'kv', time, fields: { addr: '/tmp/p1' } });
    assert.equal(
      line,
      '{"@level":"info","@message":"serving","@module":"kv","@timestamp":"2026-11-25T01:49:00.123000Z","addr":"/tmp/p1"}',
    );
  });

  it('leaves @module out when no module is set, and never writes a newline', () => {
    const line = formatLogLine({ level: 'warn', message: 'two\nlines\r\n', time });
    assert.deepEqual(Object.keys(JSON.parse(line)), ['@level', '@message', '@timestamp']);
    assert.doesNotMatch(line, /[\r\n]/);
  });

  it('always matches Go’s timestamp layout (200 random instants, years 1–9999)', () => {
    for (let i = 0; i < 200; i++) {
      const instant = new Date(random.int(utc(1, 0, 1), utc(9999, 11, 31, 23, 59, 59, 999)));
      const stamp = formatHclogTimestamp(instant);
      assert.match(stamp, GO_LAYOUT);
      assert.equal(parseHclogTimestamp(stamp)?.getTime(), instant.getTime());
    }
  });

  it('always writes @message as a string (a non-string panics Go hosts)', () => {
    const cases: Array<[unknown, string]> = [
      [5, '5'],
      [null, 'null'],
      [undefined, 'undefined'],
      [new Error('boom'), 'boom'],
      [{ a: 1n }, '{"a":"1"}'],
      [Symbol('s'), 'Symbol(s)'],
    ];
    for (const [message, expected] of cases) {
      assert.equal(JSON.parse(formatLogLine({ level: 'error', message, time }))['@message'], expected);
    }
  });

  it('turns field values into the JSON a Go logger would print', () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const shared = { x: 1 };
    const fields = JSON.parse(
      formatLogLine({
        level: 'debug',
        message: 'm',
        time,
        fields: {
          error: new TypeError('bad input'),
          big: 2n ** 70n,
          bytes: new Uint8Array([0xfb, 0xff]),
          when: time,
          nan: Number.NaN,
          missing: undefined,
          circular,
          shared: [shared, shared],
          map: new Map([['k', 1]]),
          set: new Set([1, 2]),
          nested: { errors: [new Error('inner')] },
        },
      }),
    );
    assert.deepEqual(fields.error, 'bad input');
    assert.equal(fields.big, '1180591620717411303424');
    assert.equal(fields.bytes, '+/8=');
    assert.equal(fields.when, '2026-11-25T01:49:00.123Z');
    assert.equal(fields.nan, 'NaN');
    assert.equal(fields.missing, null);
    assert.deepEqual(fields.circular, { name: 'loop', self: '[Circular]' });
    assert.deepEqual(fields.shared, [{ x: 1 }, { x: 1 }]);
    assert.deepEqual(fields.map, { k: 1 });
    assert.deepEqual(fields.set, [1, 2]);
    assert.deepEqual(fields.nested, { errors: ['inner'] });
  });

  it('prefixes field names starting with @ so they cannot replace hclog keys', () => {
    const entry = JSON.parse(
      formatLogLine({ level: 'info', message: 'real', time, fields: { '@message': 'fake', '@level': 'error' } }),
    );
    assert.equal(entry['@message'], 'real');
    assert.equal(entry['@level'], 'info');
    assert.equal(entry['_@message'], 'fake');
    assert.equal(entry['_@level'], 'error');
  });

  it('refuses an unknown level', () => {
    assert.throws(() => formatLogLine({ level: 'warning' as LogLevel, message: 'm' }), /unknown log level/);
  });
});

describe('parseLogLine: hclog JSON entries', () => {
  it('reads the example line of the spec', () => {
    const raw = '{"@level":"info","@message":"serving","@module":"kv","@timestamp":"2026-11-25T01:49:00.123000Z","addr":"x"}';
    assert.deepEqual(parseLogLine(raw), {
      level: 'info',
      message: 'serving',
      module: 'kv',
      timestamp: time,
      fields: { addr: 'x' },
      raw,
    });
  });

  it('reads levels case-insensitively and trimmed', () => {
    for (const [value, level] of [['TRACE', 'trace'], [' Debug ', 'debug'], ['WARN', 'warn'], ['error', 'error']] as const) {
      assert.equal(parseLogLine(JSON.stringify({ '@level': value, '@message': 'm' })).level, level);
    }
  });

  it('logs the whole line at debug for a missing, unknown or non-string level', () => {
    for (const entry of [{}, { '@level': 'warning' }, { '@level': 'fatal' }, { '@level': 'off' }, { '@level': 5 }, { '@level': null }]) {
      const raw = JSON.stringify({ ...entry, '@message': 'm', extra: 1 });
      assert.deepEqual(parseLogLine(raw), { level: 'debug', message: raw, fields: {}, raw });
    }
  });

  it('stringifies a non-string @message instead of panicking like a Go host', () => {
    assert.equal(parseLogLine('{"@level":"info","@message":5}').message, '5');
    assert.equal(parseLogLine('{"@level":"info","@message":{"a":[1]}}').message, '{"a":[1]}');
    assert.equal(parseLogLine('{"@level":"info"}').message, '');
  });

  describe('@timestamp', () => {
    const at = (stamp: unknown) => parseLogLine(JSON.stringify({ '@level': 'info', '@message': 'm', '@timestamp': stamp }));
    const accepted: Array<[string, number]> = [
      ['2026-11-25T01:49:00.123000Z', Date.UTC(2026, 10, 25, 1, 49, 0, 123)],
      ['2026-11-25T01:49:00.123Z', Date.UTC(2026, 10, 25, 1, 49, 0, 123)],
      ['2026-11-25T01:49:00.123456+02:00', Date.UTC(2026, 10, 24, 23, 49, 0, 123)],
      ['2026-11-25T01:49:00.000000-05:30', Date.UTC(2026, 10, 25, 7, 19, 0, 0)],
      ['2026-11-25T01:49:00,123000Z', Date.UTC(2026, 10, 25, 1, 49, 0, 123)],
      ['2024-02-29T23:59:59.999999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
      ['0001-01-01T00:00:00.000000Z', utc(1, 0, 1)],
    ];
    for (const [stamp, ms] of accepted) {
      it(`accepts ${stamp}`, () => {
        const parsed = at(stamp);
        assert.equal(parsed.level, 'info');
        assert.equal(parsed.timestamp?.getTime(), ms);
        assert.equal('@timestamp' in parsed.fields, false);
      });
    }
    // Go rejects these, so the host treats the line as plain text: debug, raw.
    const rejected: unknown[] = [
      '2026-11-25T01:49:00.1230000Z',
      '2026-11-25T01:49:00.12Z',
      '2026-11-25T01:49:00Z',
      '2026-11-25T01:49:00.123000z',
      '2026-11-25T01:49:00.123000+0200',
      '2026-11-25T01:49:00.123000+25:00',
      '2026-11-25T01:49:00.123000+23:61',
      '2026-11-25 01:49:00.123000Z',
      '2026-02-29T00:00:00.000000Z',
      '2026-13-01T00:00:00.000000Z',
      '2026-11-25T24:00:00.000000Z',
      '2026-11-25T23:59:60.000000Z',
      1764035340,
      null,
    ];
    for (const stamp of rejected) {
      it(`treats ${JSON.stringify(stamp)} as a plain line`, () => {
        const parsed = at(stamp);
        assert.deepEqual(parsed, { level: 'debug', message: parsed.raw, fields: {}, raw: parsed.raw });
      });
    }
  });

  it('keeps a non-string @module among the fields', () => {
    const parsed = parseLogLine('{"@level":"info","@message":"m","@module":7}');
    assert.equal(parsed.module, undefined);
    assert.deepEqual(parsed.fields, { '@module': 7 });
  });

  it('treats JSON that is not an object as plain text', () => {
    for (const raw of ['[1,2]', '"text"', '42', 'null', '{"@level":"info"', '{"@level":"info"} trailing']) {
      assert.deepEqual(parseLogLine(raw), { level: 'debug', message: raw, fields: {}, raw });
    }
  });

  it('round-trips formatLogLine output', () => {
    const line = formatLogLine({ level: 'warn', message: 'disk low', module: 'store.kv', time, fields: { free: 12, path: '/d' } });
    assert.deepEqual(parseLogLine(line), {
      level: 'warn',
      message: 'disk low',
      module: 'store.kv',
      timestamp: time,
      fields: { free: 12, path: '/d' },
      raw: line,
    });
  });
});

describe('parseLogLine: plain lines', () => {
  const table: Array<[string, LogLevel, string]> = [
    ['[TRACE] tick', 'trace', 'tick'],
    ['[DEBUG] x', 'debug', 'x'],
    ['[INFO] serving on /tmp/p', 'info', 'serving on /tmp/p'],
    ['[WARN]no space', 'warn', 'no space'],
    ['[ERROR]  two spaces', 'error', ' two spaces'],
    ['[info] lower case', 'debug', '[info] lower case'],
    [' [INFO] indented', 'debug', ' [INFO] indented'],
    ['just text', 'debug', 'just text'],
    ['', 'debug', ''],
  ];
  for (const [raw, level, message] of table) {
    it(`${JSON.stringify(raw)} → ${level} ${JSON.stringify(message)}`, () => {
      assert.deepEqual(parseLogLine(raw), { level, message, fields: {}, raw });
    });
  }

  it('drops the line ending', () => {
    assert.deepEqual(parseLogLine('[INFO] hi\r\n'), { level: 'info', message: 'hi', fields: {}, raw: '[INFO] hi' });
    assert.equal(parseLogLine('{"@level":"info","@message":"m"}\r').message, 'm');
  });
});

describe('createLogLineParser: after a panic, unprefixed lines are errors', () => {
  for (const start of ['panic: runtime error: index out of range', 'fatal error: all goroutines are asleep - deadlock!']) {
    it(`switches on ${JSON.stringify(start.split(':')[0])}`, () => {
      const parse = createLogLineParser();
      const lines = ['[INFO] ok', 'goroutine?', start, '', 'goroutine 1 [running]:', '[WARN] still a warning', 'main.main()', '{"@level":"info","@message":"json"}'];
      assert.deepEqual(
        lines.map((line) => parse(line).level),
        ['info', 'debug', 'error', 'error', 'error', 'warn', 'error', 'info'],
      );
    });
  }

  it('keeps state per parser; parseLogLine keeps none', () => {
    const first = createLogLineParser();
    const second = createLogLineParser();
    first('panic: boom');
    assert.equal(first('\tmain.go:12').level, 'error');
    assert.equal(second('\tmain.go:12').level, 'debug');
    assert.equal(parseLogLine('panic: boom').level, 'error');
    assert.equal(parseLogLine('\tmain.go:12').level, 'debug');
  });

  it('never throws, whatever the line (2000 random lines)', () => {
    const pieces = ['{', '}', '"@level"', '"@message"', '"@timestamp"', '"@module"', ':', ',', '"info"', '5', 'null', '[', ']', 'x', ' ', 'panic: ', '[ERROR]', '"2026-11-25T01:49:00.123000Z"', '\\', '"'];
    const parse = createLogLineParser();
    for (let i = 0; i < 2000; i++) {
      const line = Array.from({ length: random.int(0, 12) }, () => random.pick(pieces)).join('');
      const parsed = parse(line);
      assert.ok(LEVELS.includes(parsed.level));
      assert.equal(typeof parsed.message, 'string');
      assert.equal(parsed.raw, line);
    }
  });
});
