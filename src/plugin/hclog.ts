// hclog JSON log lines: what a plugin writes to stderr, and how a host reads a plugin's stderr
// (docs/protocol.md#logs, which links go-plugin's logStderr and log_entry.go; go-hclog's JSON format).

import { encodeBase64 } from '../encoding/base64.js';

/** hclog's levels, lowest first. */
export const LEVELS = Object.freeze(['trace', 'debug', 'info', 'warn', 'error'] as const);
export type LogLevel = (typeof LEVELS)[number];

export type LogFields = Record<string, unknown>;

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value);
}

/** Whether a line at `level` passes a logger set to `min`. */
export function levelEnabled(level: LogLevel, min: LogLevel): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}

export interface LogRecord {
  level: LogLevel;
  /** Coerced to a string: a non-string `@message` panics Go hosts (docs/protocol.md#logs). */
  message: unknown;
  module?: string;
  fields?: LogFields;
  /** Defaults to now. */
  time?: Date;
}

/**
 * One hclog JSON line, without the newline:
 * `{"@level":"info","@message":"serving","@module":"kv","@timestamp":"2026-11-25T01:49:00.123000Z",…}`.
 *
 * Field values become JSON the way Go's hclog would print their Go counterparts: an Error becomes
 * its message, a bigint its decimal string, a Uint8Array padded standard base64 (Go's JSON form of
 * []byte), a Date its ISO string, a non-finite number its name ("NaN"), undefined null, a Map an
 * object, a Set an array, and a circular reference the string "[Circular]". Field names starting
 * with `@` get a `_` prefix so they cannot replace hclog's own keys.
 *
 * Go hosts read stderr in 64 KiB lines; a longer line is split and logged raw at Debug.
 */
export function formatLogLine(record: LogRecord): string {
  const { level, message, module, fields = {}, time = new Date() } = record;
  if (!isLogLevel(level)) {
    throw new Error(`unknown log level ${JSON.stringify(level)}; use one of ${LEVELS.join(', ')}`);
  }
  const entry: Record<string, unknown> = { '@level': level, '@message': messageText(message) };
  if (module !== undefined && module !== '') entry['@module'] = module;
  entry['@timestamp'] = formatHclogTimestamp(time);
  for (const [key, value] of Object.entries(fields)) {
    entry[key.startsWith('@') ? `_${key}` : key] = toJsonValue(value, new Set());
  }
  return JSON.stringify(entry);
}

/**
 * Go layout `2006-01-02T15:04:05.000000Z07:00` in UTC: exactly six fractional digits, which Go
 * hosts require (docs/protocol.md#logs). JS time has milliseconds, so the last three digits are zeros.
 * An invalid Date is replaced by the current time: a log line must never fail to print.
 */
export function formatHclogTimestamp(time: Date): string {
  const t = Number.isNaN(time.getTime()) ? new Date() : time;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}` +
    `T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}` +
    `.${pad(t.getUTCMilliseconds(), 3)}000Z`
  );
}

function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.message;
  if (message !== null && typeof message === 'object') return JSON.stringify(toJsonValue(message, new Set()));
  return String(message);
}

// `ancestors` holds the objects on the path from the root, so a shared (non-circular) object
// is printed in full each time and only a true cycle becomes "[Circular]".
function toJsonValue(value: unknown, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
      return null;
    case 'symbol':
    case 'function':
      return String(value);
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Error) return object.message;
  if (object instanceof Uint8Array) return encodeBase64(object);
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (ancestors.has(object)) return '[Circular]';
  ancestors.add(object);
  try {
    if (Array.isArray(object)) return object.map((item) => toJsonValue(item, ancestors));
    if (object instanceof Set) return [...object].map((item) => toJsonValue(item, ancestors));
    if (object instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of object) out[String(key)] = toJsonValue(item, ancestors);
      return out;
    }
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJsonValue(toJSON.call(object), ancestors);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) out[key] = toJsonValue(item, ancestors);
    return out;
  } finally {
    ancestors.delete(object);
  }
}

/** One stderr line as a host classifies it. */
export interface ParsedLogLine {
  level: LogLevel;
  /** The entry's message; for a line that is not an hclog entry, the line itself. */
  message: string;
  /** Key/value pairs of an hclog entry, without `@level`, `@message`, `@timestamp` and a string `@module`. */
  fields: LogFields;
  timestamp?: Date;
  module?: string;
  /** The line as received, without its line ending. */
  raw: string;
}

const PREFIXES: ReadonlyArray<readonly [string, LogLevel]> = [
  ['[TRACE]', 'trace'],
  ['[DEBUG]', 'debug'],
  ['[INFO]', 'info'],
  ['[WARN]', 'warn'],
  ['[ERROR]', 'error'],
];

/**
 * A parser for one plugin's stderr, line by line. It is stateful like go-plugin's host (1.7.0+):
 * after a line starting `panic: ` or `fatal error: `, every later line without a level prefix
 * (the stack trace) is an error. Unlike a Go host it never throws, whatever the types in a JSON
 * line: a non-string `@message` is stringified, and an unknown or non-string `@level` logs the
 * raw line at debug.
 */
export function createLogLineParser(): (line: string) => ParsedLogLine {
  let inPanic = false;
  return (line) => {
    const raw = line.replace(/\r?\n$/, '').replace(/\r$/, '');
    const entry = parseJsonEntry(raw);
    if (entry !== undefined) return entry;
    for (const [prefix, level] of PREFIXES) {
      if (raw.startsWith(prefix)) {
        return { level, message: raw.slice(prefix.length).replace(/^ /, ''), fields: {}, raw };
      }
    }
    if (raw.startsWith('panic: ') || raw.startsWith('fatal error: ')) inPanic = true;
    return { level: inPanic ? 'error' : 'debug', message: raw, fields: {}, raw };
  };
}

/** Classifies one stderr line on its own, without the panic state of createLogLineParser. */
export function parseLogLine(line: string): ParsedLogLine {
  return createLogLineParser()(line);
}

// An hclog JSON entry, or undefined when a Go host would treat the line as plain text: not a
// JSON object, or an `@timestamp` that is not Go's layout (we also accept 3 fractional digits).
function parseJsonEntry(raw: string): ParsedLogLine | undefined {
  const text = raw.trim();
  // Go unmarshals into a map, so only an object (or `null`, an empty map) counts as JSON.
  if (!text.startsWith('{') && text !== 'null') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const fields: LogFields = { ...(parsed as LogFields | null) };

  let timestamp: Date | undefined;
  if ('@timestamp' in fields) {
    timestamp = parseHclogTimestamp(fields['@timestamp']);
    if (timestamp === undefined) return undefined;
    delete fields['@timestamp'];
  }

  const levelValue = fields['@level'];
  const level = typeof levelValue === 'string' ? levelValue.trim().toLowerCase() : undefined;
  // Go logs the whole line at Debug for a missing level, `off`, or anything unknown.
  if (!isLogLevel(level)) return { level: 'debug', message: raw, fields: {}, raw };
  delete fields['@level'];

  const messageValue = fields['@message'];
  delete fields['@message'];
  const message =
    messageValue === undefined ? '' : typeof messageValue === 'string' ? messageValue : JSON.stringify(messageValue);

  const result: ParsedLogLine = { level, message, fields, raw };
  if (typeof fields['@module'] === 'string') {
    result.module = fields['@module'];
    delete fields['@module'];
  }
  if (timestamp !== undefined) result.timestamp = timestamp;
  return result;
}

// Go's time.Parse with `2006-01-02T15:04:05.000000Z07:00`, checked against Go itself: six
// fractional digits after `.` or `,`, then `Z` or ±hh:mm with hh ≤ 24 and mm ≤ 60, and calendar
// ranges. Three digits are accepted too: JS loggers emit them.
const HCLOG_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})[.,](\d{6}|\d{3})(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** The instant of an hclog `@timestamp`, or undefined when a Go host would reject it. */
export function parseHclogTimestamp(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const match = HCLOG_TIMESTAMP.exec(value);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  const fraction = match[7]!;
  const [sign, offsetHours, offsetMinutes] = [match[8], Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 24 || offsetMinutes > 60) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3)));
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000 * (sign === '-' ? -1 : 1);
  return new Date(date.getTime() - offsetMs);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
