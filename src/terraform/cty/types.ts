// cty types (https://github.com/zclconf/go-cty/blob/dcb5db6/docs/types.md) and their JSON form, which
// the protocol uses for schema attribute types and dynamic values:
// "string" | "number" | "bool" | "dynamic" | ["list"|"set"|"map", T] | ["object", {..}, [optional]] | ["tuple", [..]].

export type CtyType =
  | { readonly kind: 'string' | 'number' | 'bool' | 'dynamic' }
  | { readonly kind: 'list' | 'set' | 'map'; readonly element: CtyType }
  | { readonly kind: 'object'; readonly attributes: Readonly<Record<string, CtyType>>; readonly optional?: readonly string[] }
  | { readonly kind: 'tuple'; readonly elements: readonly CtyType[] };

export type CtyCollectionType = Extract<CtyType, { kind: 'list' | 'set' | 'map' }>;
export type CtyObjectType = Extract<CtyType, { kind: 'object' }>;
export type CtyTupleType = Extract<CtyType, { kind: 'tuple' }>;

export const cty = {
  string: { kind: 'string' } as CtyType,
  number: { kind: 'number' } as CtyType,
  bool: { kind: 'bool' } as CtyType,
  /** DynamicPseudoType: any type, decided per value. */
  dynamic: { kind: 'dynamic' } as CtyType,
  list: (element: CtyType): CtyType => ({ kind: 'list', element }),
  set: (element: CtyType): CtyType => ({ kind: 'set', element }),
  map: (element: CtyType): CtyType => ({ kind: 'map', element }),
  object: (attributes: Record<string, CtyType>, optional?: string[]): CtyType =>
    optional && optional.length > 0 ? { kind: 'object', attributes, optional } : { kind: 'object', attributes },
  tuple: (elements: CtyType[]): CtyType => ({ kind: 'tuple', elements }),
} as const;

export class CtyTypeError extends Error {
  override name = 'CtyTypeError';
}

export function typeToJson(type: CtyType): unknown {
  switch (type.kind) {
    case 'string':
    case 'number':
    case 'bool':
    case 'dynamic':
      return type.kind;
    case 'list':
    case 'set':
    case 'map':
      return [type.kind, typeToJson(type.element)];
    case 'tuple':
      return ['tuple', type.elements.map(typeToJson)];
    case 'object': {
      const attributes: Record<string, unknown> = {};
      for (const name of Object.keys(type.attributes).sort()) attributes[name] = typeToJson(type.attributes[name]!);
      return type.optional && type.optional.length > 0 ? ['object', attributes, [...type.optional].sort()] : ['object', attributes];
    }
  }
}

export function typeFromJson(json: unknown): CtyType {
  if (typeof json === 'string') {
    if (json === 'string' || json === 'number' || json === 'bool' || json === 'dynamic') return { kind: json };
    throw new CtyTypeError(`unknown cty type "${json}"`);
  }
  if (!Array.isArray(json) || typeof json[0] !== 'string') throw new CtyTypeError(`not a cty type: ${JSON.stringify(json)}`);
  const [kind, arg, optional] = json as [string, unknown, unknown];
  switch (kind) {
    case 'list':
    case 'set':
    case 'map':
      return { kind, element: typeFromJson(arg) };
    case 'tuple':
      if (!Array.isArray(arg)) throw new CtyTypeError('a tuple type needs an array of element types');
      return { kind, elements: arg.map(typeFromJson) };
    case 'object': {
      if (!arg || typeof arg !== 'object' || Array.isArray(arg)) throw new CtyTypeError('an object type needs an object of attribute types');
      const attributes: Record<string, CtyType> = {};
      for (const [name, t] of Object.entries(arg)) attributes[name] = typeFromJson(t);
      if (optional === undefined) return { kind, attributes };
      if (!Array.isArray(optional) || optional.some((o) => typeof o !== 'string' || !(o in attributes))) {
        throw new CtyTypeError('the optional attributes of an object type must be a list of its attribute names');
      }
      return { kind, attributes, optional: optional as string[] };
    }
  }
  throw new CtyTypeError(`unknown cty type kind "${kind}"`);
}

export function typeEquals(a: CtyType, b: CtyType): boolean {
  return JSON.stringify(typeToJson(a)) === JSON.stringify(typeToJson(b));
}

/** Terraform's friendly name for a type, for messages. */
export function typeName(type: CtyType): string {
  switch (type.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${type.kind} of ${typeName(type.element)}`;
    case 'object':
      return 'object';
    case 'tuple':
      return 'tuple';
    default:
      return type.kind;
  }
}
