// A yamux stream's life (hashicorp/yamux spec.md "Stream Establishment" and "Stream Close", pinned:
// https://github.com/hashicorp/yamux/blob/v0.1.2/spec.md): SYN opens, ACK confirms, FIN half-closes
// one direction, RST aborts both. Pure transitions, so the rules are tested without sockets.
import { Flag } from './frame.js';

export type StreamPhase =
  /** Opened here, SYN not yet sent. */
  | 'init'
  | 'synSent'
  /** Opened by the peer, our ACK not yet sent. */
  | 'synReceived'
  | 'established'
  /** We sent FIN: we write no more, the peer may. */
  | 'localClose'
  /** The peer sent FIN: it writes no more, we may. */
  | 'remoteClose'
  | 'closed'
  | 'reset';

/** The flags the next frame we send on the stream must carry, and the phase after sending it. */
export function flagsToSend(phase: StreamPhase): { flags: number; phase: StreamPhase } {
  if (phase === 'init') return { flags: Flag.SYN, phase: 'synSent' };
  if (phase === 'synReceived') return { flags: Flag.ACK, phase: 'established' };
  return { flags: 0, phase };
}

export interface RemoteFlagsResult {
  phase: StreamPhase;
  /** The peer acknowledged our SYN. */
  established: boolean;
  /** The peer will send no more data (FIN). */
  ended: boolean;
  /** The peer aborted the stream (RST). */
  reset: boolean;
  /** Both directions are done: the stream leaves the session. */
  finished: boolean;
  /** A FIN the state does not allow: a protocol error that ends the session (Go: ErrUnexpectedFlag). */
  error?: string;
}

export function onRemoteFlags(phase: StreamPhase, flags: number): RemoteFlagsResult {
  const result: RemoteFlagsResult = { phase, established: false, ended: false, reset: false, finished: false };
  if (flags & Flag.ACK) {
    if (result.phase === 'synSent') result.phase = 'established';
    result.established = true;
  }
  if (flags & Flag.FIN) {
    switch (result.phase) {
      case 'synSent':
      case 'synReceived':
      case 'established':
        result.phase = 'remoteClose';
        result.ended = true;
        break;
      case 'localClose':
        result.phase = 'closed';
        result.ended = true;
        result.finished = true;
        break;
      default:
        result.error = `unexpected FIN on a stream that is ${phase}`;
        return result;
    }
  }
  if (flags & Flag.RST) {
    result.phase = 'reset';
    result.reset = true;
    result.finished = true;
  }
  return result;
}

/** Our side ends writing: whether to send FIN and whether the stream is then done. */
export function onLocalClose(phase: StreamPhase): { phase: StreamPhase; sendFin: boolean; finished: boolean } {
  switch (phase) {
    case 'init':
    case 'synSent':
    case 'synReceived':
    case 'established':
      return { phase: 'localClose', sendFin: true, finished: false };
    case 'remoteClose':
      return { phase: 'closed', sendFin: true, finished: true };
    default:
      return { phase, sendFin: false, finished: phase === 'closed' || phase === 'reset' };
  }
}

export function canWrite(phase: StreamPhase): boolean {
  return phase !== 'localClose' && phase !== 'closed' && phase !== 'reset';
}
