// Every environment variable go-plugin defines, in one place (docs/protocol.md#environment-variables).
// Hosts add their own variables (TF_*, VAULT_*); those are not go-plugin's and do not belong here.

/**
 * Comma-separated decimal app protocol versions the host accepts, in random order
 * (docs/protocol.md#version-negotiation).
 */
export const PLUGIN_PROTOCOL_VERSIONS = 'PLUGIN_PROTOCOL_VERSIONS';
/** Lowest TCP port a plugin may bind; only TCP listeners read it (docs/protocol.md#tcp-and-port-ranges). */
export const PLUGIN_MIN_PORT = 'PLUGIN_MIN_PORT';
/** Highest TCP port a plugin may bind, inclusive (docs/protocol.md#tcp-and-port-ranges). */
export const PLUGIN_MAX_PORT = 'PLUGIN_MAX_PORT';
/**
 * The host's AutoMTLS certificate as PEM. Non-empty means: serve TLS and fill handshake field 6
 * (docs/protocol.md#automtls).
 */
export const PLUGIN_CLIENT_CERT = 'PLUGIN_CLIENT_CERT';
/** `true` when the host wants gRPC broker multiplexing over yamux (go-plugin 1.6.0+, docs/protocol.md#multiplexing). */
export const PLUGIN_MULTIPLEX_GRPC = 'PLUGIN_MULTIPLEX_GRPC';
/** Directory for every unix socket, main and broker (go-plugin 1.5.0+). Empty means the OS temp dir. */
export const PLUGIN_UNIX_SOCKET_DIR = 'PLUGIN_UNIX_SOCKET_DIR';
/** Group name or gid that every unix socket is chowned to, then chmod 0660 (go-plugin 1.5.0+). */
export const PLUGIN_UNIX_SOCKET_GROUP = 'PLUGIN_UNIX_SOCKET_GROUP';

/** All go-plugin variables; go-plugin has no others. */
export const PLUGIN_ENV_VARS = Object.freeze([
  PLUGIN_PROTOCOL_VERSIONS,
  PLUGIN_MIN_PORT,
  PLUGIN_MAX_PORT,
  PLUGIN_CLIENT_CERT,
  PLUGIN_MULTIPLEX_GRPC,
  PLUGIN_UNIX_SOCKET_DIR,
  PLUGIN_UNIX_SOCKET_GROUP,
] as const);

/**
 * This library's own, not go-plugin's: `1` or `true` starts a plugin in debug mode (no host, cookie check
 * skipped, reattach configuration printed; see serve's `debug` option).
 */
export const GO_PLUGIN_DEBUG = 'GO_PLUGIN_DEBUG';

/** Handshake field 1. Every go-plugin release speaks core version 1. */
export const CORE_PROTOCOL_VERSION = 1;

/**
 * The port range a go-plugin host passes when its caller set neither bound (docs/protocol.md#environment-variables).
 */
export const DEFAULT_MIN_PORT = 10000;
export const DEFAULT_MAX_PORT = 25000;

/** What a host and its plugins agree on before any byte is exchanged (Go's `plugin.HandshakeConfig`). */
export interface HandshakeConfig {
  readonly magicCookieKey: string;
  readonly magicCookieValue: string;
  /** App protocol versions the host offers, highest meaning newest. */
  readonly versions: readonly number[];
}

function host(magicCookieKey: string, magicCookieValue: string, versions: number[]): HandshakeConfig {
  return Object.freeze({ magicCookieKey, magicCookieValue, versions: Object.freeze(versions) });
}

/**
 * Cookies and versions of well-known go-plugin hosts (docs/protocol.md#known-hosts), so a plugin for one of them needs
 * no
 * copy-pasted secrets. Hosts whose cookie is random per launch (CrowdSec) or that speak only netrpc
 * (Argo Rollouts) are left out: a fixed table cannot serve them.
 */
export const KNOWN_HOSTS = Object.freeze({
  /** Terraform and OpenTofu providers: protocol 5 (tfprotov5) and 6 (tfprotov6); AutoMTLS on. */
  terraform: host(
    'TF_PLUGIN_MAGIC_COOKIE',
    'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
    [5, 6],
  ),
  /** Vault secrets and auth backends; 5 is Vault's own backend multiplexing. */
  vault: host('VAULT_BACKEND_PLUGIN', '6669da05-b1c8-4f49-97d9-c8e5bed98e20', [3, 4, 5]),
  /** Vault database plugins (dbplugin v4 and v5). */
  vaultDatabase: host('VAULT_DATABASE_PLUGIN', '926a0820-aea2-be28-51d6-83cdf00e8edb', [4, 5]),
  /** Nomad task drivers and device plugins. */
  nomad: host(
    'NOMAD_PLUGIN_MAGIC_COOKIE',
    'e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255',
    [2],
  ),
  /** Grafana backend plugins (the old SDK used version 1). */
  grafana: host('grafana_plugin_type', 'datasource', [2]),
  /** TFLint rulesets; the plugin dials the host's Runner through the broker. */
  tflint: host(
    'TFLINT_RULESET_PLUGIN',
    '5adSn1bX8nrDfgBqiAqqEkC6OE1h3iD8SqbMc5UUONx8x3xCF0KlPDsBRNDjoYDP',
    [11],
  ),
  /** Velero plugins (started as `<plugin> run-plugins …`). */
  velero: host('VELERO_PLUGIN', 'hello', [2]),
  /** WunderGraph Cosmo router gRPC data-source plugins; the host uses SkipHostEnv (no PATH). */
  wundergraphCosmo: host('GRPC_DATASOURCE_PLUGIN', 'GRPC_DATASOURCE_PLUGIN', [1]),
  /** go-kms-wrapping wrappers, used by Vault and Boundary; AutoMTLS on. */
  goKmsWrapping: host('HASHICORP_GKW_PLUGIN', 'wrapper', [1]),
});

export type KnownHost = keyof typeof KNOWN_HOSTS;

/** An environment as process.env holds it; options take one so tests need not touch the process's. */
export type Env = Record<string, string | undefined>;
