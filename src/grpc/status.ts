// gRPC status codes (https://github.com/grpc/grpc/blob/2b9891b081ef119df8d7211c2493dca19ac5ebbb/doc/statuscodes.md) and
// the one error class for a call's failure.
import type { Metadata } from './metadata.js';

export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type Status = (typeof Status)[keyof typeof Status];

const NAMES: readonly string[] = Object.keys(Status);

/** `NOT_FOUND` for 5; `CODE_<n>` for numbers outside the spec. */
export function statusName(code: number): string {
  return NAMES[code] ?? `CODE_${code}`;
}

/**
 * A received `grpc-status` value as a code: anything but a decimal 0–16 is UNKNOWN (docs/node-http2.md#grpc-status).
 */
export function parseStatus(value: string | undefined): Status | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,2}$/.test(value.trim())) return Status.UNKNOWN;
  const code = Number(value.trim());
  return code <= 16 ? (code as Status) : Status.UNKNOWN;
}

export interface GrpcErrorOptions {
  metadata?: Metadata;
  cause?: unknown;
}

/** A gRPC status other than OK. `message` reads "NOT_FOUND: no such key"; `details` is the peer's text. */
export class GrpcError extends Error {
  readonly code: Status;
  readonly details: string;
  /** Trailer metadata sent with the status (server: what to send; client: what arrived). */
  metadata: Metadata | undefined;

  constructor(code: Status, details: string, options: GrpcErrorOptions = {}) {
    super(`${statusName(code)}: ${details}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GrpcError';
    this.code = code;
    this.details = details;
    this.metadata = options.metadata;
  }

  /** `err` itself when it is a GrpcError (or looks like one, e.g. from a second copy of this package); else `fallback`. */
  static from(err: unknown, fallback: Status = Status.UNKNOWN): GrpcError {
    if (err instanceof GrpcError) return err;
    if (isGrpcErrorLike(err)) return new GrpcError(err.code as Status, err.details, { metadata: err.metadata, cause: err });
    const text = err instanceof Error ? err.message : String(err);
    return new GrpcError(fallback, text, { cause: err });
  }
}

function isGrpcErrorLike(err: unknown): err is { code: number; details: string; metadata?: Metadata } {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; details?: unknown };
  return e.name === 'GrpcError' && typeof e.code === 'number' && Number.isInteger(e.code) && e.code > 0 && e.code <= 16 && typeof e.details === 'string';
}
