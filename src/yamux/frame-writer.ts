// Frames out to the connection, one write per frame (header and payload corked together). A full
// socket buffer is not an error: streams wait for 'drain' through whenWritable, as Go's writers
// block on the session's send channel (session.go waitForSendErr).
import type { Duplex } from 'node:stream';

export class FrameWriter {
  private writable = true;
  private stopped = false;
  private readonly drainWaiters: Array<() => void> = [];
  private readonly conn: Duplex;

  constructor(conn: Duplex) {
    this.conn = conn;
    conn.on('drain', () => {
      this.writable = true;
      for (const waiter of this.drainWaiters.splice(0)) waiter();
    });
  }

  send(header: Buffer, payload?: Uint8Array): void {
    if (this.stopped || this.conn.destroyed) return;
    let ok: boolean;
    if (payload && payload.length > 0) {
      this.conn.cork();
      this.conn.write(header);
      ok = this.conn.write(payload);
      this.conn.uncork();
    } else {
      ok = this.conn.write(header);
    }
    if (!ok) this.writable = false;
  }

  /** Runs `fn` once the connection takes more bytes (at once when it does now, or when stopped). */
  whenWritable(fn: () => void): void {
    if (this.writable || this.stopped) fn();
    else this.drainWaiters.push(fn);
  }

  /** The session ended: nothing more is written, and whoever waits for 'drain' runs now. */
  stop(): void {
    this.stopped = true;
    for (const wake of this.drainWaiters.splice(0)) wake();
  }
}
