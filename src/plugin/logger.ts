// A small hclog-style logger. Plugins log through it to stderr, which go-plugin hosts parse as
// hclog JSON (docs/protocol.md#stdout-stderr-and-logs). Hosts accept any object with the same five methods.

import { type LogFields, type LogLevel, formatLogLine, isLogLevel, levelEnabled } from './hclog.js';

/** The logging interface both sides use: the plugin server's logger and the host's `logger` option. */
export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface HclogLogger extends Logger {
  /** The lowest level written. */
  readonly level: LogLevel;
  /** A logger whose module is `<this module>.<module>`, like hclog's Named. */
  named(module: string): HclogLogger;
  /** A logger that adds these fields to every line; a call's own fields win. */
  with(fields: LogFields): HclogLogger;
}

export interface LoggerOptions {
  /**
   * Default `info`. Go plugins log at trace and leave filtering to the host (1.7.0+ hosts drop
   * lines below their own level); we default to info so a plugin's stderr stays readable when
   * run by hand. No environment variable changes it: the plugin author decides.
   */
  level?: LogLevel;
  module?: string;
  /** Receives each line without its newline. Default: stderr. Never stdout: it carries the handshake. */
  write?: (line: string) => void;
  /** The clock, for tests. */
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): HclogLogger {
  const {
    level = 'info',
    module,
    write = (line: string) => void process.stderr.write(line + '\n'),
    now = () => new Date(),
  } = options;
  if (!isLogLevel(level)) {
    throw new Error(`unknown log level ${JSON.stringify(level)}; use trace, debug, info, warn or error`);
  }
  return build(level, module, {}, write, now);
}

function build(
  level: LogLevel,
  module: string | undefined,
  baseFields: LogFields,
  write: (line: string) => void,
  now: () => Date,
): HclogLogger {
  const log = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (!levelEnabled(at, level)) return;
    const record = { level: at, message, fields: { ...baseFields, ...fields }, time: now() };
    write(formatLogLine(module === undefined ? record : { ...record, module }));
  };
  return {
    level,
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    named: (child) => build(level, module ? `${module}.${child}` : child, baseFields, write, now),
    with: (fields) => build(level, module, { ...baseFields, ...fields }, write, now),
  };
}
