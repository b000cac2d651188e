import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/plugin/logger.js';
import { parseLogLine, type LogLevel } from '../../../src/plugin/hclog.js';

const time = new Date(Date.UTC(2026, 10, 25, 1, 49, 0, 123));

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({ now: () => time, ...options, write: (line) => lines.push(line) });
  return { logger, lines, parsed: () => lines.map(parseLogLine) };
}

describe('createLogger: hclog lines a go-plugin host parses', () => {
  it('writes one JSON line per call, which a host reads back at the same level', () => {
    const { logger, lines, parsed } = capture({ level: 'trace' });
    const levels: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];
    for (const level of levels) logger[level](`at ${level}`, { n: 1 });
    assert.equal(lines.length, 5);
    assert.deepEqual(
      parsed().map(({ level, message, fields, timestamp }) => ({ level, message, fields, timestamp })),
      levels.map((level) => ({ level, message: `at ${level}`, fields: { n: 1 }, timestamp: time })),
    );
    for (const line of lines) assert.doesNotMatch(line, /\n/);
  });

  it('defaults to info: trace and debug are dropped', () => {
    const { logger, parsed } = capture();
    assert.equal(logger.level, 'info');
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.error('e');
    assert.deepEqual(parsed().map((p) => p.message), ['i', 'e']);
  });

  it('drops lines below the chosen level', () => {
    const { logger, parsed } = capture({ level: 'warn' });
    logger.info('i');
    logger.warn('w');
    assert.deepEqual(parsed().map((p) => p.level), ['warn']);
  });

  it('names modules like hclog: parent.child', () => {
    const { logger, parsed } = capture({ module: 'plugin' });
    logger.info('a');
    logger.named('broker').named('stream').info('b');
    const { logger: root, parsed: rootParsed } = capture();
    root.named('x').info('c');
    root.info('d');
    assert.deepEqual(parsed().map((p) => p.module), ['plugin', 'plugin.broker.stream']);
    assert.deepEqual(rootParsed().map((p) => p.module), ['x', undefined]);
  });

  it('adds with() fields to every line; a call’s own fields win; the parent is unchanged', () => {
    const { logger, parsed } = capture();
    const child = logger.with({ id: 1, role: 'plugin' }).with({ conn: 'a' });
    child.info('one', { role: 'override' });
    logger.info('two');
    const [one, two] = parsed();
    assert.deepEqual(one!.fields, { id: 1, role: 'override', conn: 'a' });
    assert.deepEqual(two!.fields, {});
  });

  it('writes to stderr by default, never to stdout (it carries the handshake)', () => {
    const written: Array<[string, string]> = [];
    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    process.stdout.write = ((chunk: string) => (written.push(['stdout', String(chunk)]), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => (written.push(['stderr', String(chunk)]), true)) as typeof process.stderr.write;
    try {
      createLogger({ now: () => time }).info('to stderr');
    } finally {
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
    }
    assert.equal(written.length, 1);
    assert.equal(written[0]![0], 'stderr');
    assert.ok(written[0]![1].endsWith('}\n'));
    assert.equal(parseLogLine(written[0]![1]).message, 'to stderr');
  });

  it('refuses an unknown level', () => {
    assert.throws(() => createLogger({ level: 'verbose' as LogLevel }), /unknown log level "verbose"/);
  });
});
