// The broker's knock (go-plugin >= 1.6 multiplexing, grpc_broker.go knock/listenForKnocks): the rules
// with a recorded send() and a stand-in muxer, no sockets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, type Duplex } from 'node:stream';
import { createKnocks, createStreamRouter, type BrokerMuxer } from '../../src/plugin/multiplex.js';
import type { ConnInfo } from '../../src/plugin/internal-services.js';

function setup() {
  const sent: ConnInfo[] = [];
  const expected: number[] = [];
  const routes = new Set<number>();
  const opened: Array<Promise<unknown>> = [];
  const muxer: BrokerMuxer = {
    open(after) {
      opened.push(after);
      return new PassThrough() as Duplex;
    },
    expect: (id) => void expected.push(id),
    route: (id, serve) => void (serve ? routes.add(id) : routes.delete(id)),
    routed: (id) => routes.has(id),
  };
  const knocks = createKnocks((info) => sent.push(info), () => muxer);
  return { sent, expected, routes, opened, muxer, knocks };
}

const knock = (id: number): ConnInfo => ({ serviceId: id, network: '', address: '', knock: { knock: true, ack: false, error: '' } });
const ack = (id: number, error = ''): ConnInfo => ({ serviceId: id, network: '', address: '', knock: { knock: true, ack: true, error } });

describe('the acceptor answers knocks', () => {
  it('a knock for an accepted id: the next stream goes to it, and an ack goes back', () => {
    const t = setup();
    t.routes.add(3);
    assert.equal(t.knocks.receive(knock(3)), true);
    assert.deepEqual(t.expected, [3]);
    assert.deepEqual(t.sent, [ack(3)]);
  });
  it('a knock that comes before acceptAndServe waits for it, as go-plugin buffers it', () => {
    const t = setup();
    t.knocks.receive(knock(5));
    assert.deepEqual(t.sent, []);
    t.routes.add(5);
    t.knocks.accepted(5);
    assert.deepEqual(t.expected, [5]);
    assert.deepEqual(t.sent, [ack(5)]);
    t.knocks.close();
  });
  it('a ConnInfo without a knock is not the knock protocol', () => {
    const t = setup();
    assert.equal(t.knocks.receive({ serviceId: 1, network: 'unix', address: '/s', knock: null }), false);
  });
});

describe('the dialer knocks', () => {
  it('sends a knock, opens the stream only after the ack, and serialises dials', async () => {
    const t = setup();
    t.knocks.dial(1);
    t.knocks.dial(2);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(t.sent, [knock(1)], 'the second knock waits for the first one');
    t.knocks.receive(ack(1));
    await t.opened[0];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(t.sent, [knock(1), knock(2)]);
    t.knocks.receive(ack(2));
    await t.opened[1];
  });
  it("the acceptor's error fails the dial with it", async () => {
    const t = setup();
    t.knocks.dial(7);
    await new Promise((r) => setImmediate(r));
    t.knocks.receive(ack(7, 'no listener for id 7'));
    await assert.rejects(t.opened[0]!, /failed to knock for broker id 7: no listener for id 7/);
  });
});

describe('accepted streams are routed', () => {
  it('knocked ids first come, first served; an unknocked stream goes to the main server', () => {
    const got: string[] = [];
    const router = createStreamRouter(() => got.push('main'));
    router.route(1, () => got.push('one'));
    router.route(2, () => got.push('two'));
    router.expect(2);
    router.expect(1);
    const fake = () => new PassThrough() as never;
    router.accept(fake());
    router.accept(fake());
    router.accept(fake());
    assert.deepEqual(got, ['two', 'one', 'main']);
  });
});
