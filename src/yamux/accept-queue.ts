// Streams the peer opened, waiting for accept() (session.go acceptCh): a stream handed to a waiting
// accept() is acknowledged at once; one queued is acknowledged when accept() takes it, so the peer's
// open waits for us, as Go's does.
import type { YamuxStream } from './stream.js';

export class AcceptQueue {
  private readonly queued: YamuxStream[] = [];
  private readonly waiters: Array<{ resolve: (s: YamuxStream) => void; reject: (e: Error) => void }> = [];
  private readonly backlog: number;

  constructor(backlog: number) {
    this.backlog = backlog;
  }

  /** The backlog is reached: a new stream from the peer is reset. */
  get full(): boolean {
    return this.queued.length >= this.backlog;
  }

  /** A stream the peer opened: to the oldest waiting accept(), else queued. */
  offer(stream: YamuxStream): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      stream.acknowledge();
      waiter.resolve(stream);
    } else this.queued.push(stream);
  }

  /** The oldest queued stream, or the next one offered. */
  take(): Promise<YamuxStream> {
    const queued = this.queued.shift();
    if (queued) {
      queued.acknowledge();
      return Promise.resolve(queued);
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The session ended: waiting accept() calls reject with `reason`, queued streams end. */
  end(reason: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(reason);
    for (const stream of this.queued.splice(0)) stream.sessionEnded();
  }
}
