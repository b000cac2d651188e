// examples/terraform-provider as one Node single executable, by README "Writing a Terraform provider"
// (the recipe of "Shipping a plugin", test/shipping/builds.ts; the protocol definitions are in the code).
import { join } from 'node:path';
import { buildSea, ROOT } from '../shipping/builds.ts';

export const PROVIDER_ENTRY = join(ROOT, 'examples', 'terraform-provider', 'provider.ts');

/** Builds `terraform-provider-localfile` in `dir` and returns its path. */
export function buildProviderSea(dir: string): string {
  return buildSea(PROVIDER_ENTRY, dir, 'terraform-provider-localfile');
}
