// The broker's StartStream, as both sides carry it: ConnInfo messages go out on one stream (the host's
// requests, the plugin's responses) and come in on the same call (docs/protocol.md#broker).
import type { ConnInfo } from './internal-services.js';

export interface BrokerOutbox {
  /** Queues one message for the stream (the broker's `send`). */
  send(info: ConnInfo): void;
  /** The queued messages and every later one, until `signal` aborts. */
  messages(signal: AbortSignal): AsyncGenerator<ConnInfo>;
}

export function createBrokerOutbox(): BrokerOutbox {
  const pending: ConnInfo[] = [];
  let wake: (() => void) | undefined;
  return {
    send(info) {
      pending.push(info);
      wake?.();
    },
    async *messages(signal) {
      // One abort listener for the whole stream: one per wait passed Node's limit of 10 after 11
      // acceptAndServe calls, and the MaxListenersExceededWarning reached the host's log.
      const onAbort = () => wake?.();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        while (!signal.aborted) {
          while (pending.length > 0) yield pending.shift()!;
          if (signal.aborted) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** Hands each incoming message to `receive` until the stream ends; an ended or failed stream is no error. */
export function receiveBrokerMessages(incoming: AsyncIterable<ConnInfo>, receive: (info: ConnInfo) => void): void {
  void (async () => {
    try {
      for await (const info of incoming) receive(info);
    } catch {
      // The peer closed the stream, or never served it (UNIMPLEMENTED): nothing more will arrive.
    }
  })();
}
