import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseGrpcTimeout, formatGrpcTimeout, MAX_TIMER_MS } from '../../../src/grpc/timeout.js';
import { GrpcError, Status } from '../../../src/grpc/status.js';

const isInternal = (err: unknown) => err instanceof GrpcError && err.code === Status.INTERNAL;

describe('parseGrpcTimeout: 1-8 digits and a unit, anchored (docs/node-http2.md#grpc-timeout)', () => {
  it('reads every unit as milliseconds', () => {
    assert.equal(parseGrpcTimeout('2H'), 2 * 3_600_000);
    assert.equal(parseGrpcTimeout('3M'), 3 * 60_000);
    assert.equal(parseGrpcTimeout('4S'), 4000);
    assert.equal(parseGrpcTimeout('5m'), 5);
    assert.equal(parseGrpcTimeout('6000u'), 6);
    assert.equal(parseGrpcTimeout('7000000n'), 7);
    assert.equal(parseGrpcTimeout('500u'), 0.5);
  });

  it('accepts 8 digits, leading zeros and zero', () => {
    assert.equal(parseGrpcTimeout('99999999m'), 99_999_999);
    assert.equal(parseGrpcTimeout('00000001S'), 1000);
    assert.equal(parseGrpcTimeout('0m'), 0);
  });

  it('reads the largest legal value, 99999999H, without wrapping (docs/node-http2.md#long-timeouts)', () => {
    const ms = parseGrpcTimeout('99999999H');
    assert.equal(ms, 99_999_999 * 3_600_000);
    assert.ok(ms > MAX_TIMER_MS);
  });

  it('rejects 9 digits instead of reading the last 8 (grpc-js reads 123456789S as 23456789S)', () => {
    assert.throws(() => parseGrpcTimeout('123456789S'), isInternal);
    assert.throws(() => parseGrpcTimeout('000000001m'), isInternal);
  });

  it('rejects anything else with INTERNAL and a message naming the value', () => {
    for (const bad of ['', 'S', '1', '1x', '1s ', ' 1S', '1S ', '1.5S', '-1S', '+1S', '1 S', '1SS', '1h', '１S', '0x1S', 'S1']) {
      assert.throws(() => parseGrpcTimeout(bad), (err: unknown) => isInternal(err) && (err as GrpcError).details.includes(`"${bad}"`), JSON.stringify(bad));
    }
  });
});

describe('formatGrpcTimeout: smallest unit that fits 8 digits, rounded up (docs/node-http2.md#grpc-timeout)', () => {
  it('writes milliseconds while they fit', () => {
    assert.equal(formatGrpcTimeout(1), '1m');
    assert.equal(formatGrpcTimeout(1500), '1500m');
    assert.equal(formatGrpcTimeout(99_999_999), '99999999m');
  });

  it('rounds fractions up, so a deadline is never shortened', () => {
    assert.equal(formatGrpcTimeout(1.2), '2m');
    assert.equal(formatGrpcTimeout(0.3), '300u');
    assert.equal(formatGrpcTimeout(0.0001), '1u');
  });

  it('moves to seconds, minutes, hours as the value grows (connect-es always sends ms)', () => {
    assert.equal(formatGrpcTimeout(100_000_000), '100000S');
    assert.equal(formatGrpcTimeout(100_000_001), '100001S');
    assert.equal(formatGrpcTimeout(99_999_999_000), '99999999S');
    assert.equal(formatGrpcTimeout(99_999_999_001), '1666667M');
    assert.equal(formatGrpcTimeout(99_999_999 * 60_000 + 1), '1666667H');
  });

  it('never writes more than 8 digits; beyond the largest value it writes 99999999H', () => {
    assert.equal(formatGrpcTimeout(99_999_999 * 3_600_000), '99999999H');
    assert.equal(formatGrpcTimeout(1e20), '99999999H');
    assert.equal(formatGrpcTimeout(Infinity), '99999999H');
  });

  it('writes 0m for zero, negative or NaN (already expired)', () => {
    assert.equal(formatGrpcTimeout(0), '0m');
    assert.equal(formatGrpcTimeout(-5), '0m');
    assert.equal(formatGrpcTimeout(NaN), '0m');
  });

  it('every formatted value parses back to at least the input', () => {
    for (const ms of [0.001, 0.5, 1, 999, 12_345.6, 86_400_000, 2 ** 31, 3e10, 1e11, 7e12, 3.5e14]) {
      const text = formatGrpcTimeout(ms);
      assert.match(text, /^[0-9]{1,8}[HMSmun]$/, text);
      const back = parseGrpcTimeout(text);
      assert.ok(back >= ms - 1e-9, `${ms} → ${text} → ${back}`);
    }
  });
});
