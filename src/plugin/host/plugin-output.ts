// What a launched plugin writes on its own stdout and stderr: the handshake line, then hclog lines
// (docs/protocol.md#reading-the-line).
import { createLogLineParser } from '../hclog.js';
import type { StartPluginOptions } from './options.js';

const STDERR_TAIL_LINES = 20;
const MAX_LINE_BYTES = 64 * 1024;

export interface PluginStderr {
  /** The last lines, for start errors. */
  tail(): string[];
  /** Settles when stderr ends. */
  readonly done: Promise<void>;
}

/** Logs hclog lines at their level; other lines go to onStderr as they are. */
export function readPluginStderr(stream: NodeJS.ReadableStream, pluginName: string, options: Pick<StartPluginOptions, 'logger' | 'onStderr'>): PluginStderr {
  const lines: string[] = [];
  const parseLog = createLogLineParser();
  const done = readLines(stream, (line) => {
    lines.push(line);
    if (lines.length > STDERR_TAIL_LINES) lines.shift();
    const entry = parseLog(line);
    const isEntry = entry.raw !== entry.message || Object.keys(entry.fields).length > 0 || entry.module !== undefined;
    if (options.logger) {
      const fields = { plugin: pluginName, ...entry.fields, ...(entry.module ? { '@module': entry.module } : {}) };
      options.logger[entry.level](entry.message, fields);
    }
    if (!isEntry) options.onStderr?.(Buffer.from(line + '\n'));
  });
  return { tail: () => lines.slice(-STDERR_TAIL_LINES), done };
}

export interface PluginStdout {
  /** The first line (the handshake), or undefined when stdout ended without one. */
  readonly firstLine: Promise<string | undefined>;
  /** Settles when stdout ends. */
  readonly done: Promise<void>;
}

export function readPluginStdout(stream: NodeJS.ReadableStream, onLine: (line: string) => void): PluginStdout {
  let resolveFirst!: (line: string | undefined) => void;
  const firstLine = new Promise<string | undefined>((resolve) => (resolveFirst = resolve));
  let gotLine = false;
  const done = readLines(stream, (line) => {
    onLine(line);
    if (!gotLine) {
      gotLine = true;
      resolveFirst(line);
    }
    // Later stdout lines are drained and discarded, as go-plugin does.
  }).then(() => resolveFirst(undefined));
  return { firstLine, done };
}

/** Calls `onLine` per line (without \n or a trailing \r); lines over 64 KiB are split, as bufio.Scanner's buffer would. */
function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl).replace(/\r$/, ''));
        buffered = buffered.slice(nl + 1);
      }
      while (buffered.length > MAX_LINE_BYTES) {
        onLine(buffered.slice(0, MAX_LINE_BYTES));
        buffered = buffered.slice(MAX_LINE_BYTES);
      }
    });
    stream.on('end', () => {
      if (buffered) onLine(buffered.replace(/\r$/, ''));
      resolve();
    });
    stream.on('error', () => resolve());
  });
}
