import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GrpcError, Status, parseStatus, statusName } from '../../../src/grpc/status.js';
import { Metadata } from '../../../src/grpc/metadata.js';
import { statusFromHttpStatus, statusFromRstCode } from '../../../src/grpc/http-status.js';
import { isGrpcContentType, GRPC_CONTENT_TYPE } from '../../../src/grpc/content-type.js';

describe('status codes (doc/statuscodes.md)', () => {
  it('has the 17 codes with their numbers', () => {
    assert.equal(Object.keys(Status).length, 17);
    assert.equal(Status.OK, 0);
    assert.equal(Status.DEADLINE_EXCEEDED, 4);
    assert.equal(Status.UNIMPLEMENTED, 12);
    assert.equal(Status.UNAUTHENTICATED, 16);
  });

  it('statusName names every code and marks unknown numbers', () => {
    assert.equal(statusName(0), 'OK');
    assert.equal(statusName(5), 'NOT_FOUND');
    assert.equal(statusName(16), 'UNAUTHENTICATED');
    assert.equal(statusName(17), 'CODE_17');
    assert.equal(statusName(-1), 'CODE_-1');
    for (const [name, code] of Object.entries(Status)) assert.equal(statusName(code), name);
  });
});

describe('parseStatus: received grpc-status values (docs/node-http2.md#grpc-status)', () => {
  it('reads decimal 0-16', () => {
    assert.equal(parseStatus('0'), Status.OK);
    assert.equal(parseStatus('5'), Status.NOT_FOUND);
    assert.equal(parseStatus('16'), Status.UNAUTHENTICATED);
  });

  it('makes numbers outside the spec and non-numbers UNKNOWN', () => {
    for (const v of ['17', '99', '100', '-1', 'abc', '', '0x1', '1.0', '٣']) assert.equal(parseStatus(v), Status.UNKNOWN, v);
  });

  it('is undefined when the header is absent', () => {
    assert.equal(parseStatus(undefined), undefined);
  });
});

describe('GrpcError', () => {
  it('carries code, details and metadata; message reads "<NAME>: <details>"', () => {
    const md = new Metadata({ 'x-why': 'because' });
    const err = new GrpcError(Status.NOT_FOUND, 'no such key', { metadata: md });
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'GrpcError');
    assert.equal(err.code, Status.NOT_FOUND);
    assert.equal(err.details, 'no such key');
    assert.equal(err.message, 'NOT_FOUND: no such key');
    assert.equal(err.metadata, md);
  });

  it('from(GrpcError) returns the same object', () => {
    const err = new GrpcError(Status.ABORTED, 'x');
    assert.equal(GrpcError.from(err), err);
  });

  it('from(plain Error) is UNKNOWN (or the fallback) with the error message and the error as cause', () => {
    const plain = new Error('disk on fire');
    const e = GrpcError.from(plain);
    assert.equal(e.code, Status.UNKNOWN);
    assert.equal(e.details, 'disk on fire');
    assert.equal(e.cause, plain);
    assert.equal(GrpcError.from(plain, Status.INTERNAL).code, Status.INTERNAL);
    assert.equal(GrpcError.from('a string').details, 'a string');
  });

  it('from(a look-alike from another copy of the package) keeps its code, details and metadata', () => {
    const md = new Metadata({ 'x-a': 'b' });
    const like = Object.assign(new Error('PERMISSION_DENIED: nope'), { name: 'GrpcError', code: 7, details: 'nope', metadata: md });
    const e = GrpcError.from(like);
    assert.ok(e instanceof GrpcError);
    assert.equal(e.code, Status.PERMISSION_DENIED);
    assert.equal(e.details, 'nope');
    assert.equal(e.metadata, md);
  });

  it('from() does not trust objects that merely have a code (Node errors have string codes, OK is not an error)', () => {
    const sys = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(GrpcError.from(sys).code, Status.UNKNOWN);
    assert.equal(GrpcError.from({ name: 'GrpcError', code: 0, details: 'ok?' }).code, Status.UNKNOWN);
    assert.equal(GrpcError.from({ name: 'GrpcError', code: 99, details: 'x' }).code, Status.UNKNOWN);
    assert.equal(GrpcError.from({ name: 'Other', code: 5, details: 'x' }).code, Status.UNKNOWN);
  });
});

describe('HTTP status → gRPC status when grpc-status is absent (docs/node-http2.md#http-status-mapping)', () => {
  it('maps per doc/http-grpc-status-mapping.md', () => {
    const table: Array<[number, Status]> = [
      [400, Status.INTERNAL],
      [401, Status.UNAUTHENTICATED],
      [403, Status.PERMISSION_DENIED],
      [404, Status.UNIMPLEMENTED],
      [429, Status.UNAVAILABLE],
      [502, Status.UNAVAILABLE],
      [503, Status.UNAVAILABLE],
      [504, Status.UNAVAILABLE],
      [200, Status.UNKNOWN],
      [302, Status.UNKNOWN],
      [405, Status.UNKNOWN],
      [500, Status.UNKNOWN],
    ];
    for (const [http, code] of table) assert.equal(statusFromHttpStatus(http), code, String(http));
  });
});

describe('RST_STREAM code → gRPC status (docs/node-http2.md#reset-codes)', () => {
  it('maps per the spec', () => {
    const table: Array<[number, Status]> = [
      [0x0, Status.INTERNAL], // NO_ERROR before trailers
      [0x1, Status.INTERNAL], // PROTOCOL_ERROR
      [0x2, Status.INTERNAL], // INTERNAL_ERROR
      [0x3, Status.INTERNAL], // FLOW_CONTROL_ERROR
      [0x4, Status.INTERNAL], // SETTINGS_TIMEOUT
      [0x6, Status.INTERNAL], // FRAME_SIZE_ERROR
      [0x7, Status.UNAVAILABLE], // REFUSED_STREAM
      [0x8, Status.CANCELLED], // CANCEL
      [0x9, Status.INTERNAL], // COMPRESSION_ERROR
      [0xa, Status.INTERNAL], // CONNECT_ERROR
      [0xb, Status.RESOURCE_EXHAUSTED], // ENHANCE_YOUR_CALM
      [0xc, Status.PERMISSION_DENIED], // INADEQUATE_SECURITY
    ];
    for (const [rst, code] of table) assert.equal(statusFromRstCode(rst), code, `RST ${rst}`);
  });
});

describe('content-type (docs/node-http2.md#request-checks)', () => {
  it('accepts application/grpc and any +codec or parameters, in any case', () => {
    assert.equal(GRPC_CONTENT_TYPE, 'application/grpc');
    for (const v of ['application/grpc', 'application/grpc+proto', 'application/grpc+json', 'application/grpc+cbor', 'application/grpc;charset=utf-8', 'Application/GRPC+Proto']) {
      assert.equal(isGrpcContentType(v), true, v);
    }
  });

  it('rejects other types and look-alike prefixes', () => {
    for (const v of [undefined, '', 'application/grpcx', 'application/grpc-web', 'application/json', 'text/plain', 'application/gr']) {
      assert.equal(isGrpcContentType(v), false, String(v));
    }
  });
});
