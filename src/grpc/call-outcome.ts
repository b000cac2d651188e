// How a client call ended, decided once its stream has closed: a pure function of what was seen on the
// stream (docs/node-http2.md#http-status-mapping, #missing-grpc-status, #connection-loss, #reset-codes).
import http2 from 'node:http2';
import { statusFromHttpStatus, statusFromRstCode } from './http-status.js';
import type { Metadata } from './metadata.js';
import { GrpcError, Status } from './status.js';

export interface CallEndState {
  /** A local cancel (caller, deadline, a bad response): it wins over anything the server said. */
  localError?: GrpcError;
  /** grpc-status, grpc-message and the trailers, when the server sent a status. */
  status?: { code: Status; details: string; trailers: Metadata };
  /** The response ended inside a length-prefixed message. */
  partialMessage: boolean;
  /** The response's :status, when response headers arrived. */
  httpStatus?: number;
  /** Whether the response's content-type was application/grpc. */
  contentTypeOk: boolean;
  /** The stream's RST_STREAM code, when it has one. */
  rstCode?: number;
  /** The session was gone when the stream closed (Node then closes its streams with a local CANCEL). */
  connectionLost: boolean;
  /** The session had closed (GOAWAY) though not destroyed. */
  sessionClosed: boolean;
  /** An 'error' the stream emitted. */
  streamError?: Error;
  /** The call's own deadline, in ms, and whether it has passed. */
  timeoutMs?: number;
  pastDeadline: boolean;
  /** The channel's target, for messages. */
  target: string;
}

/** undefined: the call succeeded; otherwise the error the caller gets. */
export function callOutcome(s: CallEndState): GrpcError | undefined {
  if (s.localError) return s.localError;
  if (s.status) {
    if (s.status.code !== Status.OK) return new GrpcError(s.status.code, s.status.details, { metadata: s.status.trailers });
    return s.partialMessage ? new GrpcError(Status.INTERNAL, 'the response ended inside a message') : undefined;
  }
  if (s.httpStatus !== undefined && s.httpStatus !== 200) {
    return new GrpcError(statusFromHttpStatus(s.httpStatus), `the server answered HTTP ${s.httpStatus} without a gRPC status`);
  }
  if (s.httpStatus === 200 && !s.contentTypeOk) {
    return new GrpcError(Status.UNKNOWN, 'the server answered with a content-type that is not application/grpc');
  }
  const rst = s.rstCode;
  // A server whose copy of the deadline fired first resets with CANCEL (grpc-go does); past our own
  // deadline that is DEADLINE_EXCEEDED, whichever timer won the race.
  if (rst === http2.constants.NGHTTP2_CANCEL && s.pastDeadline) {
    return new GrpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded after ${s.timeoutMs} ms (the server cancelled the call at its deadline)`);
  }
  if (!s.connectionLost && rst !== undefined && rst !== http2.constants.NGHTTP2_NO_ERROR) {
    const calm = rst === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM ? ': ENHANCE_YOUR_CALM, a server limit such as its header-field count or a flood guard' : '';
    return new GrpcError(statusFromRstCode(rst), `the stream was reset by the server (HTTP/2 error code ${rst}${calm})`);
  }
  if (s.connectionLost || s.streamError || s.sessionClosed) {
    return new GrpcError(Status.UNAVAILABLE, `the connection to ${s.target} was lost${s.streamError ? `: ${s.streamError.message}` : ''}`, { cause: s.streamError });
  }
  return new GrpcError(s.httpStatus === undefined ? Status.INTERNAL : Status.UNKNOWN, 'the server ended the call without a grpc-status');
}
