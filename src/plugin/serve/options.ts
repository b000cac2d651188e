// What serve() and createGOPluginServer() take and give back.
import type { Server } from '../../grpc/server.js';
import type { Broker } from '../broker.js';
import type { Env } from '../env.js';
import type { LogLevel } from '../hclog.js';
import type { ReattachConfig } from '../host/options.js';
import type { Logger } from '../logger.js';
import type { Network } from '../network.js';
import type { DebugOptions } from './debug.js';

/** What a register function may use besides the server and broker: the plugin's logger and console. */
export interface RegisterContext {
  readonly logger: Logger;
  /** A console whose output goes to the host through the stdio stream. */
  readonly console: Console;
}

/** Adds the services of one app protocol version. */
export type RegisterVersion = (server: Server, broker: Broker, context: RegisterContext) => void | Promise<void>;

export interface PluginOptions {
  magicCookieKey: string;
  magicCookieValue: string;
  /** `unix` (default; `tcp` on Windows) or `tcp` on 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT. */
  transport?: Network;
  /** Default 256 MiB: Terraform sends large messages (docs/protocol.md#message-size). */
  maxReceiveMessageSize?: number;
  maxSendMessageSize?: number;
  /** The level of the plugin's logger (default `info`); ignored when `logger` is given. */
  logLevel?: LogLevel;
  /** Where the plugin's logs go; default: hclog JSON lines on stderr. */
  logger?: Logger;
  /** Bytes of stdout output kept while no host streams it (default 1 MiB; oldest dropped first). */
  stdioBufferBytes?: number;
  /** Exit the process after Shutdown, SIGTERM, or a vanished host; exit 1 on a start-up failure (default true). */
  exitProcess?: boolean;
  /** Serve gRPC server reflection (grpc.reflection.v1 and v1alpha) for grpcurl and `go-plugin-ts call`; on in debug mode. */
  reflection?: boolean;
  /** Read instead of process.env (tests). */
  env?: Env;
  /**
   * Runs when the plugin stops (the host's Shutdown, SIGTERM, a vanished host, or close()), after the
   * server has stopped and before the process exits; awaited for at most `shutdownHookTimeoutMs`.
   */
  onShutdown?: (reason: string) => void | Promise<void>;
  /** The bound on `onShutdown` (default 1500 ms: a Go host SIGKILLs 2 s after Shutdown). */
  shutdownHookTimeoutMs?: number;
}

export interface ServeOptions extends PluginOptions {
  /** The services per app protocol version, e.g. `{ 5: registerV5, 6: registerV6 }`. */
  versions: Record<number, RegisterVersion>;
  /**
   * Debug mode, also on with GO_PLUGIN_DEBUG=1: for a plugin started by hand. Skips the cookie check,
   * serves the highest version without AutoMTLS and with reflection, prints how hosts reattach, leaves
   * stdout to the terminal and runs until Ctrl-C (hosts reattached with Test: true do not stop it).
   */
  debug?: boolean | DebugOptions;
}

export interface PluginServer {
  /** The negotiated app protocol version. */
  readonly version: number;
  readonly network: Network;
  readonly address: string;
  /** The line printed on stdout (with its newline). */
  readonly handshake: string;
  readonly server: Server;
  readonly broker: Broker;
  readonly logger: Logger;
  /** A console whose output goes to the host through the stdio stream. */
  readonly console: Console;
  /** Graceful stop, as on the host's Shutdown, without exiting the process. */
  close(): Promise<void>;
  /** Settles when serving has stopped. */
  readonly closed: Promise<void>;
  /** In debug mode: what a host reattaches with. */
  readonly reattachConfig?: ReattachConfig;
}

/** The cookie is missing or wrong: the program was run by hand, not by its go-plugin host. */
export class MagicCookieError extends Error {
  override name = 'MagicCookieError';
}

export const DEFAULT_PLUGIN_MAX_MESSAGE_SIZE = 256 * 1024 * 1024;
