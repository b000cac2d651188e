import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createQueue } from '../../../src/grpc/queue.js';
import { collect } from '../../helpers/streams.js';

describe('createQueue: a single-consumer async queue with backpressure hooks', () => {
  it('yields pushed values in order and finishes after end()', async () => {
    const q = createQueue<number>();
    q.push(1);
    q.push(2);
    const done = collect(q);
    q.push(3);
    q.end();
    assert.deepEqual(await done, [1, 2, 3]);
    assert.equal(q.ended, true);
  });

  it('a waiting consumer is woken by push, end and fail', async () => {
    const q = createQueue<string>();
    const it = q[Symbol.asyncIterator]();
    const first = it.next();
    q.push('a');
    assert.deepEqual(await first, { value: 'a', done: false });
    const second = it.next();
    q.end();
    assert.deepEqual(await second, { value: undefined, done: true });

    const q2 = createQueue<string>();
    const it2 = q2[Symbol.asyncIterator]();
    const pending = it2.next();
    q2.fail(new Error('boom'));
    await assert.rejects(pending, /boom/);
  });

  it('calls onFull when the queue reaches highWater and onDrain once the consumer is below it again', async () => {
    const events: string[] = [];
    const q = createQueue<number>({ highWater: 3, onFull: () => events.push('full'), onDrain: () => events.push('drain') });
    q.push(1);
    q.push(2);
    assert.deepEqual(events, []);
    q.push(3);
    assert.deepEqual(events, ['full']);
    q.push(4);
    assert.deepEqual(events, ['full'], 'onFull fires once per episode');
    assert.equal(q.length, 4);
    const it = q[Symbol.asyncIterator]();
    await it.next(); // 3 left: still at highWater
    assert.deepEqual(events, ['full']);
    await it.next(); // 2 left
    assert.deepEqual(events, ['full', 'drain']);
    await it.next();
    await it.next();
    q.push(5);
    q.push(6);
    q.push(7);
    assert.deepEqual(events, ['full', 'drain', 'full'], 'a second episode fires again');
  });

  it('defaults highWater to 16', () => {
    let full = 0;
    const q = createQueue<number>({ onFull: () => full++ });
    for (let i = 0; i < 15; i++) q.push(i);
    assert.equal(full, 0);
    q.push(15);
    assert.equal(full, 1);
  });

  it('fail() lets queued values out first, then throws', async () => {
    const q = createQueue<number>();
    q.push(1);
    q.push(2);
    q.fail(new Error('broken'));
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const v of q) seen.push(v);
    }, /broken/);
    assert.deepEqual(seen, [1, 2]);
  });

  it('fail(err, discard) throws at once, dropping what is queued', async () => {
    const q = createQueue<number>();
    q.push(1);
    q.push(2);
    q.fail(new Error('now'), true);
    assert.equal(q.length, 0);
    await assert.rejects(q[Symbol.asyncIterator]().next(), /now/);
  });

  it('ignores pushes after end or fail, and a fail after end', async () => {
    const q = createQueue<number>();
    q.push(1);
    q.end();
    q.push(2);
    q.fail(new Error('late'));
    assert.deepEqual(await collect(q), [1]);
  });

  it('can be iterated only once', () => {
    const q = createQueue<number>();
    q[Symbol.asyncIterator]();
    assert.throws(() => q[Symbol.asyncIterator](), /iterated only once/);
  });

  it('a consumer that stops early (break) calls onCancel and drops the rest', async () => {
    let cancelled = 0;
    const q = createQueue<number>({ onCancel: () => cancelled++ });
    for (let i = 0; i < 5; i++) q.push(i);
    for await (const v of q) if (v === 1) break;
    assert.equal(cancelled, 1);
    assert.equal(q.length, 0);
    assert.equal(q.ended, true);
    q.push(9);
    assert.equal(q.length, 0);
  });

  it('return() after the queue ended normally does not call onCancel', async () => {
    let cancelled = 0;
    const q = createQueue<number>({ onCancel: () => cancelled++ });
    q.push(1);
    q.end();
    const it = q[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { value: 1, done: false });
    assert.deepEqual(await it.next(), { value: undefined, done: true });
    await it.return!();
    assert.equal(cancelled, 0);
  });

  it('stays correct over many values (internal compaction)', async () => {
    const q = createQueue<number>({ highWater: 1e9 });
    const n = 5000;
    for (let i = 0; i < n; i++) q.push(i);
    q.end();
    const it = q[Symbol.asyncIterator]();
    for (let i = 0; i < n; i++) assert.equal((await it.next()).value, i);
    assert.equal((await it.next()).done, true);
  });

  it('keeps order when pushes and takes interleave across compactions', async () => {
    const q = createQueue<number>({ highWater: 1e9 });
    const it = q[Symbol.asyncIterator]();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) q.push(next++);
      for (let i = 0; i < 60; i++) assert.equal((await it.next()).value, expected++);
    }
    q.end();
    while (expected < next) assert.equal((await it.next()).value, expected++);
    assert.equal((await it.next()).done, true);
  });
});
