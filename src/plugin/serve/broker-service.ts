// plugin.GRPCBroker on the plugin side: the host opens StartStream; our ConnInfo messages are its responses.
import type { Server } from '../../grpc/server.js';
import type { Broker } from '../broker.js';
import type { BrokerOutbox } from '../broker-stream.js';
import { receiveBrokerMessages } from '../broker-stream.js';
import { internalServices } from '../internal-services.js';

export function addBrokerService(server: Server, broker: Broker, outbox: BrokerOutbox, lifetime: AbortSignal): void {
  server.addService(internalServices().broker, {
    StartStream(requests, call) {
      receiveBrokerMessages(requests, (info) => broker.receive(info));
      return outbox.messages(AbortSignal.any([call.signal, lifetime]));
    },
  });
}
