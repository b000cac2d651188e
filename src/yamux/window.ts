// yamux flow control per stream (hashicorp/yamux spec.md "Flow Control", pinned:
// https://github.com/hashicorp/yamux/blob/v0.1.2/spec.md). Each side may send as many Data bytes as
// the other side's window allows; the receiver grants more with WindowUpdate once its reader has
// consumed enough. Pure: plain numbers in, plain numbers out.
import { MAX_UINT32 } from './frame.js';

/**
 * The window to grant after reading, or 0 to wait: Go grants `max - buffered - recvWindow` and
 * skips updates under half the maximum unless the frame carries flags anyway (stream.go
 * sendWindowUpdate), which keeps WindowUpdate frames rare.
 */
export function windowGrant(maxWindow: number, buffered: number, recvWindow: number, mustSend: boolean): number {
  const delta = Math.max(0, maxWindow - buffered - recvWindow);
  if (delta < maxWindow / 2 && !mustSend) return 0;
  return delta;
}

/** A Data frame larger than the window we granted is a protocol error (Go: ErrRecvWindowExceeded). */
export function exceedsWindow(length: number, recvWindow: number): boolean {
  return length > recvWindow;
}

/**
 * The send window after a WindowUpdate, or undefined when it would pass 2^32-1: a peer that grants
 * more than a 32-bit window can hold is broken (Go's uint32 would silently wrap).
 */
export function growSendWindow(window: number, delta: number): number | undefined {
  const next = window + delta;
  return next > MAX_UINT32 ? undefined : next;
}

/** How many bytes of a `pending`-byte write go into the next Data frame. */
export function nextDataFrameBytes(sendWindow: number, pending: number, maxFrame: number): number {
  return Math.max(0, Math.min(sendWindow, pending, maxFrame));
}
