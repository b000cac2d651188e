// The hand-written codecs of go-plugin's internal messages against protobufjs reading the .proto files
// the package ships (proto/), in both directions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadProto, messageOf } from '../../../src/grpc/proto.js';
import { connInfoCodec, internalServices, stdioDataCodec } from '../../../src/plugin/internal-services.js';
import { readFields } from '../../../src/plugin/wire.js';

const proto = (p: string) => fileURLToPath(new URL(`../../../proto/${p}`, import.meta.url));
const plugin = loadProto([proto('plugin/grpc_broker.proto'), proto('plugin/grpc_stdio.proto'), proto('plugin/grpc_controller.proto')], { longs: 'number' });
const health = loadProto(proto('grpc/health/v1/health.proto'));
const ConnInfo = messageOf(plugin, 'plugin.ConnInfo');
const StdioData = messageOf(plugin, 'plugin.StdioData');
const HealthCheckResponse = messageOf(health, 'grpc.health.v1.HealthCheckResponse');
const HealthCheckRequest = messageOf(health, 'grpc.health.v1.HealthCheckRequest');

describe('internal service codecs', () => {
  it('encode ConnInfo exactly as protobufjs does, with and without a knock, and decode protobufjs output', () => {
    const cases = [
      { serviceId: 1, network: 'unix', address: '/tmp/plugin-dir1/plugin42' },
      { serviceId: 4294967295, network: 'tcp', address: '127.0.0.1:10000' },
      { serviceId: 7, network: 'unix', address: 'é/ü', knock: { knock: true, ack: true, error: 'no listener for id 7' } },
      { serviceId: 0, network: '', address: '' },
    ];
    for (const info of cases) {
      const ours = connInfoCodec.encode(info);
      const theirs = ConnInfo.encode(ConnInfo.fromObject(info)).finish();
      assert.deepEqual([...ours], [...theirs], JSON.stringify(info));
      const back = connInfoCodec.decode(theirs);
      assert.equal(back.serviceId, info.serviceId);
      assert.equal(back.network, info.network);
      assert.equal(back.address, info.address);
      assert.deepEqual(back.knock ?? null, info.knock ?? null);
    }
  });

  it('encode and decode StdioData, keeping unknown channel numbers', () => {
    const data = new Uint8Array([104, 105, 10]);
    const ours = stdioDataCodec.encode({ channel: 'STDERR', data });
    assert.deepEqual([...ours], [...StdioData.encode(StdioData.fromObject({ channel: 2, data })).finish()]);
    const decoded = stdioDataCodec.decode(StdioData.encode(StdioData.fromObject({ channel: 1, data })).finish());
    assert.equal(decoded.channel, 'STDOUT');
    assert.deepEqual([...decoded.data], [...data]);
    assert.equal(stdioDataCodec.decode(Uint8Array.from([0x08, 0x09])).channel, 9);
  });

  it('speak grpc.health.v1 as grpc-go does: the request frame go-plugin sends and the SERVING reply', () => {
    const { Check } = internalServices().health;
    // go-plugin's Ping: HealthCheckRequest{service:"plugin"} = 0a 06 "plugin" (docs/protocol.md#internal-services).
    assert.deepEqual([...Check.requestSerialize({ service: 'plugin' })], [0x0a, 0x06, ...new TextEncoder().encode('plugin')]);
    assert.deepEqual([...Check.responseSerialize({ status: 'SERVING' })], [0x08, 0x01]);
    assert.deepEqual(Check.responseDeserialize(HealthCheckResponse.encode(HealthCheckResponse.fromObject({ status: 3 })).finish()), { status: 'SERVICE_UNKNOWN' });
    assert.deepEqual(Check.requestDeserialize(HealthCheckRequest.encode({ service: '' }).finish()), { service: '' });
  });

  it('skip unknown fields of every wire type and reject truncated input', () => {
    // field 9 fixed64, field 10 fixed32, field 11 varint, then service_id = 5
    const bytes = Uint8Array.from([0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x55, 1, 2, 3, 4, 0x58, 0x96, 0x01, 0x08, 0x05]);
    assert.equal(connInfoCodec.decode(bytes).serviceId, 5);
    assert.throws(() => readFields(Uint8Array.from([0x1a, 0x05, 0x61]), () => {}), /truncated/);
    assert.throws(() => readFields(Uint8Array.from([0x08, 0x80]), () => {}), /truncated varint/);
  });

  it('use go-plugin\'s method paths', () => {
    const s = internalServices();
    assert.equal(s.broker.StartStream.path, '/plugin.GRPCBroker/StartStream');
    assert.equal(s.controller.Shutdown.path, '/plugin.GRPCController/Shutdown');
    assert.equal(s.stdio.StreamStdio.path, '/plugin.GRPCStdio/StreamStdio');
    assert.equal(s.health.Watch.path, '/grpc.health.v1.Health/Watch');
    assert.equal(s.broker.StartStream.requestStream && s.broker.StartStream.responseStream, true);
  });
});
