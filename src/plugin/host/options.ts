// What startPlugin() takes and gives back.
import type { Channel } from '../../http2/channel.js';
import type { Client } from '../../grpc/client.js';
import type { ServiceDefinition } from '../../grpc/service.js';
import type { Broker } from '../broker.js';
import type { Env } from '../env.js';
import type { Logger } from '../logger.js';
import type { Network } from '../network.js';

export interface ReattachConfig {
  protocol: 'grpc';
  protocolVersion: number;
  network: Network;
  address: string;
  pid: number;
  /** Kill() leaves a test plugin running (go-plugin's ReattachConfig.Test). */
  test?: boolean;
  /** AutoMTLS material: the plugin's certificate, and the host certificate and key the plugin trusts. */
  tls?: { pluginCertPem: string; hostCertPem: string; hostKeyPem: string };
}

export interface StartPluginOptions {
  /** The executable; found on PATH when it has no slash. */
  command?: string;
  args?: string[];
  /** Added over the host's environment (which the plugin inherits unless skipHostEnv). */
  env?: Env;
  skipHostEnv?: boolean;
  cwd?: string;
  magicCookieKey: string;
  magicCookieValue: string;
  /** App protocol versions offered, in PLUGIN_PROTOCOL_VERSIONS. */
  versions: number[];
  /** Mutual TLS with per-launch certificates (default true). */
  autoMTLS?: boolean;
  /**
   * Time for the whole start: spawn, handshake line, and connecting (TCP, TLS, HTTP/2 SETTINGS).
   * Default 60 s. Connecting alone is also bounded by `connectTimeoutMs`.
   */
  startTimeoutMs?: number;
  /** Time for connecting to the plugin once its handshake line is read (default 20 s, as gRPC's dial). */
  connectTimeoutMs?: number;
  /**
   * The TCP port range the plugin may listen in (PLUGIN_MIN_PORT/PLUGIN_MAX_PORT for the plugin).
   * Default: those keys of `env`, else 10000–25000, as go-plugin's ClientConfig MinPort/MaxPort;
   * the host process's own environment is not consulted.
   */
  portRange?: { min: number; max: number };
  /** Receives the plugin's log lines (hclog JSON at their level; other lines at debug). */
  logger?: Logger;
  /** What the plugin wrote to stdout after its handshake, from the stdio stream. */
  onStdout?(data: Uint8Array): void;
  /** What the plugin wrote to stderr: stdio stream data, and stderr lines that are not log entries. */
  onStderr?(data: Uint8Array): void;
  /** Connect to a running plugin instead of launching one. */
  reattach?: ReattachConfig;
  /** Checked against the executable before launch. */
  checksum?: { algorithm: 'sha256' | 'sha384' | 'sha512' | 'sha1'; hex: string };
  /** Default 2^31-1, as Go hosts dial. */
  maxReceiveMessageSize?: number;
  /** Transport for host-side broker listeners (default unix; tcp on Windows). */
  brokerTransport?: Network;
  /** Hears each phase of a launch as it happens, for tools that time and explain it (`go-plugin-ts inspect`). */
  onLaunchEvent?(event: LaunchEvent): void;
  /**
   * gRPC broker multiplexing (go-plugin >= 1.6's GRPCBrokerMultiplex): one connection to the plugin
   * carries every gRPC connection as a yamux stream. Plugins that do not answer it are refused.
   * Not with reattach, as in go-plugin.
   */
  multiplex?: boolean;
}

/** A phase of a launch: the process started, it wrote a stdout line (the first is the handshake), the connection is up. */
export type LaunchEvent =
  | { phase: 'spawned'; pid: number }
  | { phase: 'stdout'; line: string }
  | { phase: 'connected'; tls: boolean };

export interface PluginClient {
  readonly negotiatedVersion: number;
  readonly channel: Channel;
  readonly broker: Broker;
  readonly pid: number;
  readonly reattachConfig: ReattachConfig;
  /** A client for one of the plugin's services, on the plugin's channel. */
  client<S extends ServiceDefinition>(definition: S): Client<S>;
  /** Health check of the service "plugin", as go-plugin's Ping. */
  ping(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Shutdown, then SIGKILL (the process group of a wrapper too) when the plugin has not exited 2 s
   * after kill() began: the Shutdown call and the exit share those 2 s. Resolves within about 2.5 s.
   */
  kill(): Promise<void>;
  /** Settles when the plugin process exits (for reattached plugins: when it is seen gone). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Launching or connecting failed; `stderr` holds the plugin's last stderr lines, when there are any. */
export class PluginStartError extends Error {
  override name = 'PluginStartError';
  constructor(
    message: string,
    readonly exitCode: number | null = null,
    readonly stderr: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

