// grpc-timeout (https://github.com/grpc/grpc/blob/010decebd96922114400a6490f397367840db2d1/doc/PROTOCOL-HTTP2.md:
// "Timeout → 1*8DIGIT TimeoutUnit"), docs/node-http2.md#grpc-timeout, #long-timeouts.
import { GrpcError, Status } from './status.js';

/** setTimeout fires almost at once above this (Node, Bun, Deno); longer deadlines get no timer. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** Milliseconds (fractional for u/n). Throws GrpcError(INTERNAL) for anything but 1–8 digits and a unit. */
export function parseGrpcTimeout(value: string): number {
  const match = /^([0-9]{1,8})([HMSmun])$/.exec(value);
  if (!match) {
    throw new GrpcError(Status.INTERNAL, `malformed grpc-timeout "${value}": expected 1 to 8 digits and a unit (H, M, S, m, u, n)`);
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

const FORMAT_UNITS: ReadonlyArray<[string, number]> = [
  ['m', 1],
  ['S', 1000],
  ['M', 60_000],
  ['H', 3_600_000],
];

/** The smallest unit whose value fits 8 digits, rounding up so a deadline is never shortened. */
export function formatGrpcTimeout(ms: number): string {
  if (!(ms > 0)) return '0m';
  if (ms < 1) {
    const us = Math.ceil(ms * 1000);
    return `${us}u`;
  }
  for (const [unit, size] of FORMAT_UNITS) {
    const n = Math.ceil(ms / size);
    if (n <= 99_999_999) return `${n}${unit}`;
  }
  return '99999999H';
}
