// ConnInfo announcements the broker's dialer waits for (go-plugin grpc_broker.go gRPCBrokerPending,
// https://github.com/hashicorp/go-plugin/blob/v1.8.0/grpc_broker.go): one that arrives first waits
// for its dial up to 5 s; a dial that comes first waits for its ConnInfo up to its timeout.
import type { ConnInfo } from './internal-services.js';

/** An unclaimed ConnInfo is dropped after this long, as go-plugin does. */
const CONN_INFO_TTL_MS = 5000;
/**
 * Unclaimed ConnInfo kept at most; the oldest goes first. Only the authenticated peer sends them, but
 * 638 000 in 3 s grew a plugin to 372 MiB without a cap, and no real peer has this many dials pending.
 */
export const MAX_PENDING_CONN_INFO = 1024;

export interface PendingConnInfo {
  /** The ConnInfo for `id`: one already here, or the next to arrive within `timeoutMs`. */
  take(id: number, timeoutMs: number): Promise<ConnInfo>;
  /** A ConnInfo from the peer: to the dial waiting for it, else kept for CONN_INFO_TTL_MS. */
  deliver(info: ConnInfo): void;
  /** Drops every kept ConnInfo (the broker closed). */
  clear(): void;
}

export function createPendingConnInfo(): PendingConnInfo {
  const kept = new Map<number, { info: ConnInfo; timer: NodeJS.Timeout }>();
  const waiters = new Map<number, (info: ConnInfo) => void>();

  const drop = (id: number): void => {
    const old = kept.get(id);
    if (!old) return;
    clearTimeout(old.timer);
    kept.delete(id);
  };

  return {
    take(id, timeoutMs) {
      return new Promise<ConnInfo>((resolve, reject) => {
        const ready = kept.get(id);
        if (ready) {
          drop(id);
          resolve(ready.info);
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(id);
          reject(new Error(`timeout waiting for connection info for broker id ${id} (${timeoutMs} ms); the peer never called acceptAndServe for it`));
        }, timeoutMs);
        waiters.set(id, (info) => {
          clearTimeout(timer);
          resolve(info);
        });
      });
    },
    deliver(info) {
      const id = info.serviceId;
      const waiter = waiters.get(id);
      if (waiter) {
        waiters.delete(id);
        waiter(info);
        return;
      }
      drop(id);
      // A Map iterates in insertion order: the first key is the oldest.
      if (kept.size >= MAX_PENDING_CONN_INFO) drop(kept.keys().next().value as number);
      const timer = setTimeout(() => kept.delete(id), CONN_INFO_TTL_MS);
      timer.unref?.();
      kept.set(id, { info, timer });
    },
    clear() {
      for (const { timer } of kept.values()) clearTimeout(timer);
      kept.clear();
    },
  };
}
