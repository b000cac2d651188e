// Debug mode: a plugin started by hand serves without a host and prints how a host reattaches to it,
// in the three forms hosts take: startPlugin({ reattach }), Terraform's TF_REATTACH_PROVIDERS, and
// go-plugin's ReattachConfig (Go's ClientConfig.Reattach). Test: true tells hosts not to stop the
// plugin when they are done with it (go-plugin's ReattachConfig.Test), so it outlives many host runs
// (docs/protocol.md#reattach).
import { GO_PLUGIN_DEBUG, type Env } from '../env.js';
import type { ReattachConfig } from '../host/options.js';

export interface DebugOptions {
  /** The provider's source address for TF_REATTACH_PROVIDERS (default `registry.terraform.io/example/<program name>`). */
  providerAddress?: string;
  /** Where the reattach instructions go (default: the real stdout). */
  print?(text: string): void;
}

/** Debug options when `option` or the GO_PLUGIN_DEBUG variable asks for debug mode, else undefined. */
export function debugMode(option: boolean | DebugOptions | undefined, env: Env): DebugOptions | undefined {
  if (option === false) return undefined;
  if (option === true) return {};
  if (option) return option;
  const flag = env[GO_PLUGIN_DEBUG]?.trim().toLowerCase();
  return flag === '1' || flag === 'true' ? {} : undefined;
}

/** The reattach configuration as go-plugin's Go struct marshals to JSON (Terraform's TF_REATTACH_PROVIDERS values). */
export function goReattachJson(config: ReattachConfig): { Protocol: string; ProtocolVersion: number; Pid: number; Test: boolean; Addr: { Network: string; String: string } } {
  return {
    Protocol: config.protocol,
    ProtocolVersion: config.protocolVersion,
    Pid: config.pid,
    Test: config.test ?? false,
    Addr: { Network: config.network, String: config.address },
  };
}

/** The Go expression for `plugin.ClientConfig.Reattach`. */
export function goReattachLiteral(config: ReattachConfig): string {
  let addr: string;
  if (config.network === 'unix') addr = `&net.UnixAddr{Net: "unix", Name: ${JSON.stringify(config.address)}}`;
  else {
    const colon = config.address.lastIndexOf(':');
    const ip = config.address.slice(0, colon).replace(/^\[|\]$/g, '');
    addr = `&net.TCPAddr{IP: net.ParseIP(${JSON.stringify(ip)}), Port: ${config.address.slice(colon + 1)}}`;
  }
  return `&plugin.ReattachConfig{Protocol: plugin.ProtocolGRPC, ProtocolVersion: ${config.protocolVersion}, Pid: ${config.pid}, Test: ${config.test ?? false}, Addr: ${addr}}`;
}

export function defaultProviderAddress(argv: readonly string[] = process.argv): string {
  const program = (argv[1] ?? argv[0] ?? 'plugin').split(/[\\/]/).pop()!.replace(/\.[cm]?[jt]s$/, '');
  return `registry.terraform.io/example/${program.replace(/^terraform-provider-/, '') || 'plugin'}`;
}

/** What debug mode prints once serving. */
export function formatReattachInstructions(config: ReattachConfig, providerAddress: string): string {
  const ours = JSON.stringify(config);
  const go = JSON.stringify(goReattachJson(config));
  const tf = JSON.stringify({ [providerAddress]: goReattachJson(config) });
  return [
    `Plugin serving in debug mode (pid ${config.pid}, protocol version ${config.protocolVersion}, ${config.network} ${config.address}).`,
    'No cookie check, no AutoMTLS, server reflection on. It keeps running until Ctrl-C.',
    '',
    'A go-plugin-ts host: startPlugin({ ..., reattach: <this JSON> })',
    `  ${ours}`,
    '',
    `Terraform or OpenTofu (set the provider address to yours):`,
    `  export TF_REATTACH_PROVIDERS='${tf}'`,
    '',
    'A Go host: plugin.ClientConfig.Reattach, or this JSON unmarshalled into it',
    `  ${goReattachLiteral(config)}`,
    `  ${go}`,
    '',
  ].join('\n');
}
