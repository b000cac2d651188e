import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { callOutcome, type CallEndState } from '../../../src/grpc/call-outcome.js';
import { statusFromRequestError } from '../../../src/grpc/http-status.js';
import { Metadata } from '../../../src/grpc/metadata.js';
import { GrpcError, Status } from '../../../src/grpc/status.js';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_PROTOCOL_ERROR } = http2.constants;

/** A stream that closed after a 200 gRPC response with no status and nothing else wrong. */
function ended(over: Partial<CallEndState> = {}): CallEndState {
  return { partialMessage: false, httpStatus: 200, contentTypeOk: true, connectionLost: false, sessionClosed: false, pastDeadline: false, target: 'unix:/tmp/x.sock', ...over };
}

function code(s: CallEndState): Status | undefined {
  return callOutcome(s)?.code;
}

describe('callOutcome: how a client call ended', () => {
  it('OK status with a complete response is success; inside a message it is INTERNAL', () => {
    const trailers = new Metadata();
    assert.equal(callOutcome(ended({ status: { code: Status.OK, details: '', trailers } })), undefined);
    const err = callOutcome(ended({ status: { code: Status.OK, details: '', trailers }, partialMessage: true }));
    assert.equal(err?.code, Status.INTERNAL);
    assert.match(err!.details, /inside a message/);
  });

  it('a non-OK status keeps its code, text and trailers', () => {
    const trailers = new Metadata({ 'x-why': 'because' });
    const err = callOutcome(ended({ status: { code: Status.NOT_FOUND, details: 'no such key', trailers } }));
    assert.equal(err?.code, Status.NOT_FOUND);
    assert.equal(err?.details, 'no such key');
    assert.equal(err?.metadata?.get('x-why'), 'because');
  });

  it('a local error wins over the server status and over a reset', () => {
    const local = new GrpcError(Status.CANCELLED, 'the caller stopped');
    assert.equal(callOutcome(ended({ localError: local, status: { code: Status.OK, details: '', trailers: new Metadata() } })), local);
    assert.equal(callOutcome(ended({ localError: local, rstCode: NGHTTP2_PROTOCOL_ERROR })), local);
  });

  it('HTTP statuses without grpc-status map as the gRPC mapping says', () => {
    assert.equal(code(ended({ httpStatus: 404 })), Status.UNIMPLEMENTED);
    assert.equal(code(ended({ httpStatus: 503 })), Status.UNAVAILABLE);
    assert.equal(code(ended({ httpStatus: 401 })), Status.UNAUTHENTICATED);
    assert.equal(code(ended({ httpStatus: 500 })), Status.UNKNOWN);
    assert.match(callOutcome(ended({ httpStatus: 502 }))!.details, /HTTP 502 without a gRPC status/);
  });

  it('a grpc-status wins over the HTTP status', () => {
    assert.equal(code(ended({ httpStatus: 503, status: { code: Status.ABORTED, details: '', trailers: new Metadata() } })), Status.ABORTED);
  });

  it('200 with another content-type is UNKNOWN', () => {
    assert.equal(code(ended({ contentTypeOk: false })), Status.UNKNOWN);
  });

  it('a CANCEL reset past the deadline is DEADLINE_EXCEEDED, before it CANCELLED', () => {
    const late = callOutcome(ended({ rstCode: NGHTTP2_CANCEL, pastDeadline: true, timeoutMs: 50 }));
    assert.equal(late?.code, Status.DEADLINE_EXCEEDED);
    assert.match(late!.details, /after 50 ms/);
    assert.equal(code(ended({ rstCode: NGHTTP2_CANCEL })), Status.CANCELLED);
  });

  it('resets from the server map by code; ENHANCE_YOUR_CALM says it is a limit', () => {
    assert.equal(code(ended({ rstCode: NGHTTP2_REFUSED_STREAM })), Status.UNAVAILABLE);
    assert.equal(code(ended({ rstCode: NGHTTP2_PROTOCOL_ERROR })), Status.INTERNAL);
    const calm = callOutcome(ended({ rstCode: NGHTTP2_ENHANCE_YOUR_CALM }));
    assert.equal(calm?.code, Status.RESOURCE_EXHAUSTED);
    assert.match(calm!.details, /ENHANCE_YOUR_CALM/);
  });

  it('a lost connection is UNAVAILABLE, even with the local CANCEL code Node sets then', () => {
    const lost = callOutcome(ended({ httpStatus: undefined, connectionLost: true, rstCode: NGHTTP2_CANCEL }));
    assert.equal(lost?.code, Status.UNAVAILABLE);
    assert.match(lost!.details, /connection to unix:\/tmp\/x.sock was lost/);
    const withError = callOutcome(ended({ streamError: new Error('socket hang up'), rstCode: NGHTTP2_NO_ERROR }));
    assert.equal(withError?.code, Status.UNAVAILABLE);
    assert.match(withError!.details, /socket hang up/);
    assert.equal(code(ended({ sessionClosed: true })), Status.UNAVAILABLE);
  });

  it('no status at all: INTERNAL before any response headers, UNKNOWN after them', () => {
    assert.equal(code(ended({ httpStatus: undefined })), Status.INTERNAL);
    assert.equal(code(ended()), Status.UNKNOWN);
  });
});

describe('statusFromRequestError: node:http2 errors from session.request()', () => {
  it('a session that can take no more streams is UNAVAILABLE; anything else is not mapped', () => {
    for (const c of ['ERR_HTTP2_OUT_OF_STREAMS', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_INVALID_SESSION']) assert.equal(statusFromRequestError(c), Status.UNAVAILABLE);
    assert.equal(statusFromRequestError('ERR_INVALID_ARG_TYPE'), undefined);
    assert.equal(statusFromRequestError(undefined), undefined);
  });
});
