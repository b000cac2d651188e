// examples/terraform-provider as one Node single executable, by README "Writing a Terraform provider"
// (the recipe of "Shipping a plugin", test/shipping/builds.ts, with the protocol files as SEA assets).
import { join } from 'node:path';
import { buildSea, ROOT } from '../shipping/builds.ts';

export const PROVIDER_ENTRY = join(ROOT, 'examples', 'terraform-provider', 'provider.ts');

/** Builds `terraform-provider-localfile` in `dir` and returns its path. */
export function buildProviderSea(dir: string): string {
  return buildSea(PROVIDER_ENTRY, dir, 'terraform-provider-localfile', {
    'tfplugin5.proto': join(ROOT, 'proto', 'terraform', 'tfplugin5.proto'),
    'tfplugin6.proto': join(ROOT, 'proto', 'terraform', 'tfplugin6.proto'),
  });
}
