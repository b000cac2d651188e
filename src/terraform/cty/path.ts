// Attribute paths: how Terraform points at a value inside another (AttributePath in the protocol).

export type PathStep = { attribute: string } | { key: string } | { index: number | bigint };
export type AttributePath = readonly PathStep[];

export function formatPath(path: AttributePath): string {
  let out = '';
  for (const step of path) {
    if ('attribute' in step) out += out === '' ? step.attribute : `.${step.attribute}`;
    else if ('key' in step) out += `[${JSON.stringify(step.key)}]`;
    else out += `[${step.index}]`;
  }
  return out;
}

/** A value did not fit its type; `path` says where. */
export class CtyValueError extends Error {
  override name = 'CtyValueError';
  constructor(
    readonly path: AttributePath,
    readonly reason: string,
  ) {
    super(path.length > 0 ? `${formatPath(path)}: ${reason}` : reason);
  }
}
