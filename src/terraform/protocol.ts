// The tfplugin5 and tfplugin6 service definitions. The only place that knows where they come from:
// for now proto/terraform/*.proto parsed with loadProto at first use; once the generator
// (`go-plugin-ts gen`) lands, generated definitions replace this body and nothing else changes.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadProto, serviceOf } from './core.js';
import type { ServiceDefinition } from './core.js';

export type ProtocolVersion = 5 | 6;

// Messages are plain objects with lowerCamel field names, int64 as bigint, enums as names.
export type ProviderService = ServiceDefinition;

const cache = new Map<ProtocolVersion, ProviderService>();

/** The `tfpluginN.Provider` service. */
export function providerService(version: ProtocolVersion): ProviderService {
  let service = cache.get(version);
  if (!service) {
    service = serviceOf(loadProto(protoFile(version)), `tfplugin${version}.Provider`);
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
