// The tfplugin5 and tfplugin6 service definitions. The only place that knows where they come from:
// proto/terraform/*.proto parsed at first use, from the package's files or, in a Node single
// executable, from the assets the SEA configuration put in it (the executable has no files beside it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadProto, parseProto, serviceOf } from './core.js';
import type { ServiceDefinition } from './core.js';

export type ProtocolVersion = 5 | 6;

// Messages are plain objects with lowerCamel field names, int64 as bigint, enums as names.
export type ProviderService = ServiceDefinition;

const cache = new Map<ProtocolVersion, ProviderService>();

/** The `tfpluginN.Provider` service. */
export function providerService(version: ProtocolVersion): ProviderService {
  let service = cache.get(version);
  if (!service) {
    const embedded = seaAsset(`tfplugin${version}.proto`);
    service = serviceOf(embedded === undefined ? loadProto(protoFile(version)) : parseProto(embedded), `tfplugin${version}.Provider`);
    cache.set(version, service);
  }
  return service;
}

/** proto/terraform/ from src/terraform/ (source) or dist/ (the built package). */
export function protoFile(version: ProtocolVersion): string {
  const name = `tfplugin${version}.proto`;
  for (const relative of [`../../proto/terraform/${name}`, `../proto/terraform/${name}`]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`cannot find proto/terraform/${name} next to the go-plugin-ts package; reinstall it`);
}

/**
 * The text of a Node single executable's asset (`"assets": { "tfplugin6.proto": ... }` in its SEA
 * configuration, https://nodejs.org/docs/latest-v20.x/api/single-executable-applications.html#assets),
 * or undefined outside one. getBuiltinModule keeps node:sea out of the import graph of other runtimes.
 */
function seaAsset(name: string): string | undefined {
  const sea = process.getBuiltinModule?.('node:sea') as typeof import('node:sea') | undefined;
  if (!sea?.isSea()) return undefined;
  try {
    return sea.getAsset(name, 'utf8');
  } catch {
    return undefined; // not among its assets: look for the file as usual
  }
}
