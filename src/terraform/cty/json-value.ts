// cty values in JSON, as go-cty's json package reads and writes them
// (https://github.com/zclconf/go-cty/tree/dcb5db6/cty/json): the form of stored state (RawState.json).
// A dynamic value is {"value": v, "type": t}. Numbers keep their full text (JSON.parse would round
// anything past 2^53), so this file carries its own small JSON reader.
import { describe, numberFromText, numberJson } from './number.js';
import { CtyValueError, type AttributePath, type PathStep } from './path.js';
import { typeFromJson, typeName, typeToJson, type CtyType } from './types.js';
import { isUnknown, rememberedType, setKey, withType } from './values.js';
import { inferType } from './infer.js';

export interface JsonDecodeOptions {
  /** Drop object attributes the type does not have instead of failing (state written by an older schema). */
  ignoreUndefinedAttributes?: boolean;
}

type JsonNode = null | boolean | string | { number: string } | JsonNode[] | { object: Array<[string, JsonNode]> };

export function decodeJson(text: string | Uint8Array, type: CtyType, options: JsonDecodeOptions = {}): unknown {
  const source = typeof text === 'string' ? text : new TextDecoder().decode(text);
  return fromNode(parseJson(source), type, [], options);
}

export function encodeJson(value: unknown, type: CtyType): string {
  return toJson(value, type, []);
}

function fromNode(node: JsonNode, type: CtyType, path: PathStep[], options: JsonDecodeOptions): unknown {
  if (type.kind === 'dynamic') {
    if (node === null) return null;
    const entries = isObject(node) ? new Map(node.object) : undefined;
    if (!entries || !entries.has('type') || !entries.has('value')) {
      throw new CtyValueError([...path], 'a dynamic value must be an object with "value" and "type"');
    }
    let actual: CtyType;
    try {
      actual = typeFromJson(plain(entries.get('type')!));
    } catch (err) {
      throw new CtyValueError([...path], `bad type in a dynamic value: ${(err as Error).message}`);
    }
    const value = fromNode(entries.get('value')!, actual, path, options);
    return value !== null && typeof value === 'object' ? withType(value, actual) : value;
  }
  if (node === null) return null;
  const fail = (): never => {
    throw new CtyValueError([...path], `${typeName(type)} is required, got JSON ${nodeKind(node)}`);
  };
  switch (type.kind) {
    case 'string':
      // go-cty's JSON decoder converts numbers and bools to strings.
      if (typeof node === 'string') return node;
      if (typeof node === 'boolean') return String(node);
      if (isNumber(node)) return node.number;
      return fail();
    case 'bool':
      if (typeof node === 'boolean') return node;
      if (node === 'true' || node === 'false') return node === 'true';
      return fail();
    case 'number':
      if (isNumber(node)) return numberFromText(node.number);
      if (typeof node === 'string') {
        try {
          return numberFromText(node);
        } catch {
          return fail();
        }
      }
      return fail();
    case 'list':
    case 'set':
      if (!Array.isArray(node)) return fail();
      return node.map((element, i) => fromNode(element, type.element, [...path, { index: i }], options));
    case 'tuple':
      if (!Array.isArray(node)) return fail();
      if (node.length !== type.elements.length) throw new CtyValueError([...path], `a tuple of ${type.elements.length} elements is required, got ${node.length}`);
      return node.map((element, i) => fromNode(element, type.elements[i]!, [...path, { index: i }], options));
    case 'map': {
      if (!isObject(node)) return fail();
      const out: Record<string, unknown> = {};
      for (const [key, element] of node.object) setKey(out, key, fromNode(element, type.element, [...path, { key }], options));
      return out;
    }
    case 'object': {
      if (!isObject(node)) return fail();
      const out: Record<string, unknown> = {};
      const given = new Map(node.object);
      for (const [name] of given) {
        if (!Object.hasOwn(type.attributes, name) && !options.ignoreUndefinedAttributes) {
          throw new CtyValueError([...path], `unsupported attribute "${name}"`);
        }
      }
      for (const name of Object.keys(type.attributes)) {
        const element = given.get(name);
        setKey(out, name, element === undefined ? null : fromNode(element, type.attributes[name]!, [...path, { attribute: name }], options));
      }
      return out;
    }
  }
}

function toJson(value: unknown, type: CtyType, path: PathStep[]): string {
  if (isUnknown(value)) throw new CtyValueError([...path], 'unknown values cannot be written as JSON');
  if (value === null || value === undefined) return 'null';
  const fail = (): never => {
    throw new CtyValueError([...path], `${typeName(type)} is required, got ${describe(value)}`);
  };
  switch (type.kind) {
    case 'dynamic': {
      const actual = rememberedType(value) ?? inferType(value, path);
      return `{"value":${toJson(value, actual, path)},"type":${JSON.stringify(typeToJson(actual))}}`;
    }
    case 'string':
      return typeof value === 'string' ? JSON.stringify(value) : fail();
    case 'bool':
      return typeof value === 'boolean' ? String(value) : fail();
    case 'number':
      try {
        return numberJson(value);
      } catch {
        return fail();
      }
    case 'list':
    case 'set':
      if (!Array.isArray(value)) return fail();
      return `[${value.map((v, i) => toJson(v, type.element, [...path, { index: i }])).join(',')}]`;
    case 'tuple':
      if (!Array.isArray(value) || value.length !== type.elements.length) return fail();
      return `[${value.map((v, i) => toJson(v, type.elements[i]!, [...path, { index: i }])).join(',')}]`;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return fail();
      const record = value as Record<string, unknown>;
      const parts = Object.keys(record)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${toJson(record[key], type.element, [...path, { key }])}`);
      return `{${parts.join(',')}}`;
    }
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return fail();
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (!Object.hasOwn(type.attributes, key) && record[key] !== undefined) throw new CtyValueError([...path], `unsupported attribute "${key}"`);
      }
      const parts = Object.keys(type.attributes)
        .sort()
        .map((name) => `${JSON.stringify(name)}:${toJson(record[name], type.attributes[name]!, [...path, { attribute: name }])}`);
      return `{${parts.join(',')}}`;
    }
  }
}

function isNumber(node: JsonNode): node is { number: string } {
  return node !== null && typeof node === 'object' && !Array.isArray(node) && 'number' in node;
}

function isObject(node: JsonNode): node is { object: Array<[string, JsonNode]> } {
  return node !== null && typeof node === 'object' && !Array.isArray(node) && 'object' in node;
}

function nodeKind(node: JsonNode): string {
  if (Array.isArray(node)) return 'array';
  if (isNumber(node)) return 'number';
  if (isObject(node)) return 'object';
  return typeof node;
}

/** A node as an ordinary JSON value (for types, which hold no big numbers). */
function plain(node: JsonNode): unknown {
  if (Array.isArray(node)) return node.map(plain);
  if (isNumber(node)) return Number(node.number);
  if (isObject(node)) return Object.fromEntries(node.object.map(([k, v]) => [k, plain(v)]));
  return node;
}

const MAX_DEPTH = 512;

/** RFC 8259 JSON, numbers kept as text. */
export function parseJson(text: string): JsonNode {
  let i = 0;
  const fail = (what: string): never => {
    throw new CtyValueError([] as AttributePath, `invalid JSON at offset ${i}: ${what}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: Array<[string, JsonNode]> = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { object: entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const key = string();
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        entries.push([key, value(depth + 1)]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return { object: entries };
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return items;
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 4096));
    if (!match) return fail('expected a value');
    i += match[0].length;
    return { number: match[0] };
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('bad string');
    }
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail('extra text after the value');
  return result;
}
