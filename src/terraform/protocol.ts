// The tfplugin5 and tfplugin6 service definitions. The only place that knows where they come from:
// protobufjs's JSON form of proto/terraform/*.proto, generated into the package (tfplugin{5,6}-json.ts,
// `npm run generate`) and loaded at first use without parsing the .proto; a bundle or single executable
// carries it with the code, so nothing is read from disk.
import { protoFromJson, serviceOf } from './core.js';
import type { ServiceDefinition } from './core.js';
import { TFPLUGIN5_JSON } from './tfplugin5-json.js';
import { TFPLUGIN6_JSON } from './tfplugin6-json.js';

export type ProtocolVersion = 5 | 6;

// Messages are plain objects with lowerCamel field names, int64 as bigint, enums as names.
export type ProviderService = ServiceDefinition;

const cache = new Map<ProtocolVersion, ProviderService>();

/** The `tfpluginN.Provider` service. */
export function providerService(version: ProtocolVersion): ProviderService {
  let service = cache.get(version);
  if (!service) {
    service = serviceOf(protoFromJson(version === 5 ? TFPLUGIN5_JSON : TFPLUGIN6_JSON), `tfplugin${version}.Provider`);
    cache.set(version, service);
  }
  return service;
}
