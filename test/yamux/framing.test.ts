// The pure yamux rules: header layout, frames cut at every byte, window accounting, stream phases.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHeader, encodeHeader, Flag, FrameReader, FrameType, headerError, isClientStreamId, type FrameEvent } from '../../src/yamux/frame.js';
import { exceedsWindow, growSendWindow, nextDataFrameBytes, windowGrant } from '../../src/yamux/window.js';
import { flagsToSend, onLocalClose, onRemoteFlags } from '../../src/yamux/stream-state.js';

describe('yamux header', () => {
  it('is 12 big-endian bytes: version, type, flags, stream id, length', () => {
    const bytes = encodeHeader(FrameType.WindowUpdate, Flag.SYN | Flag.FIN, 0x01020304, 0xa0b0c0d0);
    assert.deepEqual([...bytes], [0, 1, 0, 5, 1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0]);
    assert.deepEqual(decodeHeader(bytes), { version: 0, type: 1, flags: 5, streamId: 0x01020304, length: 0xa0b0c0d0 });
  });
  it('refuses an unknown version or type, accepts the four types', () => {
    assert.match(headerError({ version: 1, type: 0, flags: 0, streamId: 1, length: 0 })!, /unknown yamux version 1/);
    assert.match(headerError({ version: 0, type: 4, flags: 0, streamId: 1, length: 0 })!, /unknown yamux frame type 4/);
    for (const type of [0, 1, 2, 3]) assert.equal(headerError({ version: 0, type, flags: 0, streamId: 0, length: 0 }), undefined);
  });
  it('client streams are odd, server streams even', () => {
    assert.equal(isClientStreamId(1), true);
    assert.equal(isClientStreamId(2), false);
    assert.equal(isClientStreamId(4294967295), true);
  });
});

function frames(): Buffer {
  const payload = Buffer.alloc(70_001, 7);
  payload[0] = 1;
  payload[70_000] = 9;
  return Buffer.concat([
    encodeHeader(FrameType.WindowUpdate, Flag.SYN, 1, 0),
    encodeHeader(FrameType.Data, 0, 1, payload.length),
    payload,
    encodeHeader(FrameType.Ping, Flag.SYN, 0, 42),
    encodeHeader(FrameType.Data, Flag.FIN, 1, 0),
    encodeHeader(FrameType.Data, 0, 3, 3),
    Buffer.from('abc'),
  ]);
}

function summarise(events: FrameEvent[]): { headers: string[]; data: Map<number, Buffer> } {
  const headers: string[] = [];
  const data = new Map<number, Buffer[]>();
  for (const e of events) {
    if (e.t === 'header') headers.push(`${e.header.type}/${e.header.flags}/${e.header.streamId}/${e.header.length}`);
    else data.set(e.streamId, [...(data.get(e.streamId) ?? []), Buffer.from(e.bytes)]);
  }
  return { headers, data: new Map([...data].map(([k, v]) => [k, Buffer.concat(v)])) };
}

describe('FrameReader', () => {
  const whole = frames();
  const expected = summarise(new FrameReader().push(whole));
  it('reads a stream of frames in one piece', () => {
    assert.deepEqual(expected.headers, ['1/1/1/0', '0/0/1/70001', '2/1/0/42', '0/4/1/0', '0/0/3/3']);
    assert.equal(expected.data.get(1)!.length, 70_001);
    assert.equal(expected.data.get(3)!.toString(), 'abc');
  });
  it('gives the same frames however the bytes are cut: at every single boundary', () => {
    // Every cut point in the header region and around the payload's ends, then every 997th byte.
    const cuts = new Set<number>();
    for (let i = 1; i < 40; i++) cuts.add(i);
    for (let i = whole.length - 40; i < whole.length; i++) cuts.add(i);
    for (let i = 0; i < whole.length; i += 997) cuts.add(i);
    for (const cut of cuts) {
      const reader = new FrameReader();
      const got = summarise([...reader.push(whole.subarray(0, cut)), ...reader.push(whole.subarray(cut))]);
      assert.deepEqual(got, expected, `cut at ${cut}`);
    }
  });
  it('one byte at a time', () => {
    const reader = new FrameReader();
    const events: FrameEvent[] = [];
    for (let i = 0; i < whole.length; i++) events.push(...reader.push(whole.subarray(i, i + 1)));
    assert.deepEqual(summarise(events), expected);
    const last = events.filter((e) => e.t === 'data' && e.streamId === 1).at(-1);
    assert.equal(last?.t === 'data' && last.last, true);
  });
  it('stops at a bad header: what follows cannot be framed', () => {
    const bad = Buffer.concat([encodeHeader(FrameType.Ping, Flag.SYN, 0, 1), Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), encodeHeader(FrameType.Ping, Flag.SYN, 0, 2)]);
    const events = new FrameReader().push(bad);
    assert.equal(events.length, 2);
    assert.equal(events[1]!.t === 'header' && events[1]!.header.version, 1);
  });
});

describe('window accounting', () => {
  const max = 256 * 1024;
  it('grants what was consumed once at least half the window, as Go does', () => {
    assert.equal(windowGrant(max, 0, max, false), 0);
    assert.equal(windowGrant(max, 0, max - 100, false), 0);
    assert.equal(windowGrant(max, 0, max / 2, false), max / 2);
    assert.equal(windowGrant(max, 10_000, 0, false), max - 10_000);
    // Bytes still queued for the reader are not granted back.
    assert.equal(windowGrant(max, max / 2 + 1, 0, false), 0);
    assert.equal(windowGrant(max, 0, max - 100, true), 100);
  });
  it('a frame beyond the receive window is refused', () => {
    assert.equal(exceedsWindow(max, max), false);
    assert.equal(exceedsWindow(max + 1, max), true);
  });
  it('the send window may not pass 2^32-1', () => {
    assert.equal(growSendWindow(max, 100), max + 100);
    assert.equal(growSendWindow(0xffffffff - 5, 5), 0xffffffff);
    assert.equal(growSendWindow(0xffffffff - 5, 6), undefined);
  });
  it('a data frame is bounded by window, pending bytes and the frame limit', () => {
    assert.equal(nextDataFrameBytes(100, 70_000, 65_536), 100);
    assert.equal(nextDataFrameBytes(max, 70_000, 65_536), 65_536);
    assert.equal(nextDataFrameBytes(max, 5, 65_536), 5);
    assert.equal(nextDataFrameBytes(0, 5, 65_536), 0);
  });
});

describe('stream phases', () => {
  it('SYN on our first frame, ACK on the first frame of an accepted stream, then none', () => {
    assert.deepEqual(flagsToSend('init'), { flags: Flag.SYN, phase: 'synSent' });
    assert.deepEqual(flagsToSend('synReceived'), { flags: Flag.ACK, phase: 'established' });
    assert.deepEqual(flagsToSend('established'), { flags: 0, phase: 'established' });
  });
  it('ACK establishes; FIN half-closes; FIN after our FIN finishes', () => {
    assert.equal(onRemoteFlags('synSent', Flag.ACK).phase, 'established');
    const fin = onRemoteFlags('established', Flag.FIN);
    assert.equal(fin.phase, 'remoteClose');
    assert.equal(fin.ended && !fin.finished, true);
    const both = onRemoteFlags('localClose', Flag.FIN);
    assert.equal(both.phase, 'closed');
    assert.equal(both.finished, true);
  });
  it('a second FIN is a protocol error; RST resets from any phase', () => {
    assert.match(onRemoteFlags('remoteClose', Flag.FIN).error!, /unexpected FIN/);
    for (const phase of ['synSent', 'established', 'localClose', 'remoteClose'] as const) {
      const r = onRemoteFlags(phase, Flag.RST);
      assert.equal(r.phase, 'reset');
      assert.equal(r.reset && r.finished, true);
    }
  });
  it('our end sends FIN once, and finishes after the peer ended', () => {
    assert.deepEqual(onLocalClose('established'), { phase: 'localClose', sendFin: true, finished: false });
    assert.deepEqual(onLocalClose('remoteClose'), { phase: 'closed', sendFin: true, finished: true });
    assert.deepEqual(onLocalClose('localClose'), { phase: 'localClose', sendFin: false, finished: false });
    assert.deepEqual(onLocalClose('reset'), { phase: 'reset', sendFin: false, finished: true });
  });
});
