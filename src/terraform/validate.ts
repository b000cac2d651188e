// Attribute validators from the schema, run on the known values of a configuration.
import { isUnknown } from './cty/values.js';
import type { PathStep } from './cty/path.js';
import type { Diagnostics } from './diagnostics.js';
import type { BlockSpec } from './schema.js';

type Obj = Record<string, unknown>;

export function validateBlock(block: BlockSpec, value: unknown, diagnostics: Diagnostics, path: PathStep[] = []): void {
  if (value === null || value === undefined || isUnknown(value)) return;
  const object = value as Obj;
  for (const [name, a] of Object.entries(block.attributes ?? {})) {
    const v = object[name];
    if (v === null || v === undefined || isUnknown(v)) continue;
    const problem = a.validate?.(v);
    if (problem) diagnostics.add({ summary: `Invalid ${name}`, detail: problem, path: [...path, { attribute: name }].map(stepInput) });
    if (a.nested) validateNested(a.nested.nesting, { attributes: a.nested.attributes }, v, diagnostics, [...path, { attribute: name }]);
  }
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const v = object[name];
    if (v === null || v === undefined || isUnknown(v)) continue;
    validateNested(nested.nesting, nested.block, v, diagnostics, [...path, { attribute: name }]);
  }
}

function validateNested(nesting: string, spec: BlockSpec, value: unknown, diagnostics: Diagnostics, here: PathStep[]): void {
  if (Array.isArray(value)) value.forEach((element, i) => validateBlock(spec, element, diagnostics, [...here, { index: i }]));
  else if (nesting === 'map') for (const [key, element] of Object.entries(value as Obj)) validateBlock(spec, element, diagnostics, [...here, { key }]);
  else validateBlock(spec, value, diagnostics, here);
}

function stepInput(step: PathStep): string | number | bigint | { key: string } {
  return 'attribute' in step ? step.attribute : 'key' in step ? { key: step.key } : step.index;
}
