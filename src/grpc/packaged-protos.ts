// Descriptors of the services this package implements by hand (go-plugin's internal services, health,
// reflection), read from the .proto files it ships in proto/ when reflection first asks: served
// plugins list every service with its methods, as Go plugins do.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { attachFileDescriptors, fileDescriptorsOf } from './descriptors.js';
import { loadProto, serviceOf } from './proto.js';

let protoDir: string | null | undefined;

/** proto/ next to src/ (running from source) or next to dist/ (the built package). */
function packagedProtoDir(): string | null {
  if (protoDir !== undefined) return protoDir;
  protoDir = null;
  for (const candidate of ['../proto/', '../../proto/']) {
    try {
      const dir = fileURLToPath(new URL(candidate, import.meta.url));
      if (existsSync(`${dir}grpc/health/v1/health.proto`)) return (protoDir = dir);
    } catch {
      // import.meta.url of a bundle may not be a file URL.
    }
  }
  return protoDir;
}

/** Gives `definition` the descriptors of `service` in the packaged `file`, loaded on first read. */
export function attachPackagedDescriptors(definition: object, file: string, service: string): void {
  attachFileDescriptors(definition, () => {
    const dir = packagedProtoDir();
    if (!dir) return [];
    try {
      return fileDescriptorsOf(serviceOf(loadProto(`${dir}${file}`, { includeDirs: [dir] }), service)) ?? [];
    } catch {
      return [];
    }
  });
}
