// One yamux stream as a node Duplex: writes become Data frames within the peer's window, reads grant
// window back as the reader consumes, end() sends FIN (half-close), destroy() before both directions
// finished sends RST.
import { Duplex } from 'node:stream';
import { encodeHeader, Flag, FrameType, INITIAL_STREAM_WINDOW } from './frame.js';
import { canWrite, flagsToSend, onLocalClose, onRemoteFlags, type StreamPhase } from './stream-state.js';
import { exceedsWindow, growSendWindow, nextDataFrameBytes, windowGrant } from './window.js';

/** What a stream needs from its session. */
export interface StreamLink {
  readonly maxWindow: number;
  readonly maxFrame: number;
  send(header: Buffer, payload?: Uint8Array): void;
  /** Runs `fn` once the connection takes more bytes (at once when it does now). */
  whenWritable(fn: () => void): void;
  readonly closed: boolean;
  forget(id: number): void;
}

export class YamuxStream extends Duplex {
  readonly id: number;
  private phase: StreamPhase;
  private sendWindow = INITIAL_STREAM_WINDOW;
  private recvWindow = INITIAL_STREAM_WINDOW;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private wantMore = false;
  private remoteEnded = false;
  private pushedEnd = false;
  private blockedWrite: (() => void) | undefined;
  /** Work waiting for holdUntil()'s promise: the SYN is not sent yet. */
  private held: Array<() => void> | undefined;
  private readonly link: StreamLink;

  constructor(link: StreamLink, id: number, phase: StreamPhase) {
    super({ allowHalfOpen: true });
    this.link = link;
    this.id = id;
    this.phase = phase;
  }

  /** The peer acknowledged the SYN of a stream we opened. */
  get established(): boolean {
    return this.phase !== 'init' && this.phase !== 'synSent';
  }

  /** Bytes the peer may still send before we grant more. */
  get receiveWindow(): number {
    return this.recvWindow;
  }

  /** Sends our SYN (a stream we open) or ACK (one we accept), with any window grown beyond 256 KiB. */
  acknowledge(): void {
    this.sendWindowUpdate(true);
  }

  /**
   * Sends the SYN only once `ready` resolves; writes and end() wait until then. go-plugin's broker
   * must knock (and get the ack) before the peer sees the stream (see docs/protocol.md#multiplexing).
   * A rejection destroys the stream with that error.
   */
  holdUntil(ready: Promise<unknown>): void {
    this.held = [];
    ready.then(
      () => {
        const work = this.held ?? [];
        this.held = undefined;
        if (this.destroyed || this.link.closed) return;
        this.acknowledge();
        for (const run of work) run();
      },
      (err: unknown) => {
        const work = this.held ?? [];
        this.held = undefined;
        this.destroy(err instanceof Error ? err : new Error(String(err)));
        for (const run of work) run();
      },
    );
  }

  /** @internal The flags of a frame from the peer; a protocol error comes back as its description. */
  remoteFlags(flags: number, payloadFollows: boolean): string | undefined {
    const result = onRemoteFlags(this.phase, flags);
    if (result.error) return result.error;
    this.phase = result.phase;
    if (result.established) this.emit('established');
    if (result.reset) {
      this.link.forget(this.id);
      this.destroy(Object.assign(new Error(`yamux stream ${this.id} was reset by the peer`), { code: 'ECONNRESET' }));
      return undefined;
    }
    if (result.finished) this.link.forget(this.id);
    if (result.ended && !payloadFollows) this.remoteEnd();
    return undefined;
  }

  /** @internal The peer sends no more: end the readable side once what is queued is read. */
  remoteEnd(): void {
    this.remoteEnded = true;
    this.flush();
  }

  /** @internal Accounts a Data frame of `length` bytes against the receive window. */
  reserveReceive(length: number): boolean {
    if (exceedsWindow(length, this.recvWindow)) return false;
    this.recvWindow -= length;
    return true;
  }

  /** @internal Payload bytes from the peer. */
  receive(bytes: Uint8Array): void {
    if (this.destroyed || this.pushedEnd) return;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.queue.push(buffer);
    this.queued += buffer.length;
    this.flush();
  }

  /** @internal A WindowUpdate from the peer; false when it overflows 32 bits. */
  grantSendWindow(delta: number): boolean {
    const next = growSendWindow(this.sendWindow, delta);
    if (next === undefined) return false;
    this.sendWindow = next;
    const blocked = this.blockedWrite;
    this.blockedWrite = undefined;
    if (blocked && this.sendWindow > 0) blocked();
    else this.blockedWrite = blocked;
    return true;
  }

  /** @internal The session ended: the stream ends without RST, as Go's forceClose does. */
  sessionEnded(): void {
    this.phase = 'closed';
    const blocked = this.blockedWrite;
    this.blockedWrite = undefined;
    blocked?.();
    if (!this.pushedEnd) {
      this.pushedEnd = true;
      this.queue.length = 0;
    }
    this.destroy();
  }

  /** Aborts both directions at once: RST to the peer (as destroy() does before both sides ended). */
  reset(): void {
    this.destroy();
  }

  // Socket methods callers of a connection expect (Deno's node:http2 calls unref() on the
  // connection of a client session); a stream has no handle of its own, the yamux connection does.
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }

  override _read(): void {
    this.wantMore = true;
    this.flush();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeFrom(chunk, 0, callback);
  }

  // node:http2 writes a frame header and its payload as separate chunks; one yamux frame (and one
  // socket write) for the lot keeps small writes from each costing a header and a syscall.
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeFrom(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), 0, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.held) {
      this.held.push(() => this._final(callback));
      return;
    }
    if (this.link.closed || this.phase === 'reset' || this.phase === 'closed') return callback();
    const flags = this.takeFlags();
    const next = onLocalClose(this.phase);
    this.phase = next.phase;
    if (next.sendFin) this.link.send(encodeHeader(FrameType.WindowUpdate, flags | Flag.FIN, this.id, 0));
    if (next.finished) this.link.forget(this.id);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const finished = this.phase === 'closed' || this.phase === 'reset';
    // A stream whose SYN never went out does not exist for the peer: nothing to reset.
    if (!finished && !this.link.closed && this.phase !== 'init') this.link.send(encodeHeader(FrameType.WindowUpdate, Flag.RST, this.id, 0));
    this.phase = finished ? this.phase : 'reset';
    this.link.forget(this.id);
    const blocked = this.blockedWrite;
    this.blockedWrite = undefined;
    blocked?.();
    callback(error);
  }

  private writeFrom(chunk: Buffer, offset: number, callback: (error?: Error | null) => void): void {
    if (this.held) {
      this.held.push(() => this.writeFrom(chunk, offset, callback));
      return;
    }
    while (offset < chunk.length) {
      if (this.link.closed || this.destroyed) return callback(new Error(`yamux stream ${this.id} is closed`));
      if (!canWrite(this.phase)) {
        return callback(Object.assign(new Error(`yamux stream ${this.id} is ${this.phase === 'reset' ? 'reset' : 'closed for writing'}`), { code: this.phase === 'reset' ? 'ECONNRESET' : 'EPIPE' }));
      }
      if (this.sendWindow === 0) {
        // Window exhausted: the peer's reader is behind. Resume on its WindowUpdate.
        this.blockedWrite = () => this.writeFrom(chunk, offset, callback);
        return;
      }
      const n = nextDataFrameBytes(this.sendWindow, chunk.length - offset, this.link.maxFrame);
      const flags = this.takeFlags();
      this.link.send(encodeHeader(FrameType.Data, flags, this.id, n), chunk.subarray(offset, offset + n));
      this.sendWindow -= n;
      offset += n;
      if (offset < chunk.length) {
        const at = offset;
        let sync = true;
        let resumed = false;
        this.link.whenWritable(() => {
          resumed = true;
          if (!sync) this.writeFrom(chunk, at, callback);
        });
        sync = false;
        if (!resumed) return;
      }
    }
    this.link.whenWritable(() => callback());
  }

  private takeFlags(): number {
    const next = flagsToSend(this.phase);
    this.phase = next.phase;
    return next.flags;
  }

  private flush(): void {
    while (this.wantMore && this.queue.length > 0) {
      const buffer = this.queue.shift()!;
      this.queued -= buffer.length;
      this.wantMore = this.push(buffer);
    }
    if (this.queue.length === 0 && this.remoteEnded && !this.pushedEnd) {
      this.pushedEnd = true;
      this.push(null);
    }
    this.sendWindowUpdate(false);
  }

  private sendWindowUpdate(mustSend: boolean): void {
    if (this.link.closed || this.destroyed || this.phase === 'reset') return;
    const grant = windowGrant(this.link.maxWindow, this.queued, this.recvWindow, mustSend);
    if (grant === 0 && !mustSend) return;
    const flags = this.takeFlags();
    this.recvWindow += grant;
    this.link.send(encodeHeader(FrameType.WindowUpdate, flags, this.id, grant));
  }
}
