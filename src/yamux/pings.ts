// Pings this side sent and waits to hear back (session.go Ping/handlePing): each carries an opaque
// 32-bit id that the peer's ACK echoes; a Ping unanswered within the timeout rejects.

export class Pings {
  private next = 0;
  /** Answer callbacks by ping id; `ended` is true when the session ended before the ACK. */
  private readonly waiting = new Map<number, (ended: boolean) => void>();
  private readonly timeoutMs: number;
  private readonly sendPing: (id: number) => void;

  constructor(timeoutMs: number, sendPing: (id: number) => void) {
    this.timeoutMs = timeoutMs;
    this.sendPing = sendPing;
  }

  /** Sends a Ping; resolves with its round-trip time in ms. */
  start(): Promise<number> {
    const id = this.next;
    this.next = (this.next + 1) >>> 0;
    const started = performance.now();
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no yamux Ping answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      timer.unref?.();
      this.waiting.set(id, (ended) => {
        clearTimeout(timer);
        if (ended) reject(new Error('the yamux session is closed'));
        else resolve(performance.now() - started);
      });
      this.sendPing(id);
    });
  }

  /** The peer's ACK for ping `id`; an id we are not waiting for is ignored. */
  answered(id: number): void {
    const answer = this.waiting.get(id);
    this.waiting.delete(id);
    answer?.(false);
  }

  /** The session ended: every waiting Ping rejects. */
  end(): void {
    for (const answer of this.waiting.values()) answer(true);
    this.waiting.clear();
  }
}
