// cty values in JSON, as go-cty's json package reads and writes them
// (https://github.com/zclconf/go-cty/tree/dcb5db6/cty/json): the form of stored state (RawState.json).
// A dynamic value is {"value": v, "type": t}. Numbers keep their full text (JSON.parse would round
// anything past 2^53), so this file carries its own small JSON reader.
import { describe, numberFromText, numberJson, type CtyNumber } from './number.js';
import { CtyValueError, type AttributePath, type PathStep } from './path.js';
import { typeFromJson, typeName, typeToJson, type CtyObjectType, type CtyType } from './types.js';
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

/** One node as `type`: dynamic values first, then one reader per type kind. */
function fromNode(node: JsonNode, type: CtyType, path: PathStep[], options: JsonDecodeOptions): unknown {
  if (type.kind === 'dynamic') return fromDynamic(node, path, options);
  if (node === null) return null;
  switch (type.kind) {
    case 'string':
      return fromString(node, type, path);
    case 'bool':
      if (typeof node === 'boolean') return node;
      if (node === 'true' || node === 'false') return node === 'true';
      throw wrongNode(type, node, path);
    case 'number':
      return fromNumber(node, type, path);
    case 'list':
    case 'set':
      if (!Array.isArray(node)) throw wrongNode(type, node, path);
      return node.map((element, i) => fromNode(element, type.element, [...path, { index: i }], options));
    case 'tuple':
      if (!Array.isArray(node)) throw wrongNode(type, node, path);
      if (node.length !== type.elements.length) throw new CtyValueError([...path], `a tuple of ${type.elements.length} elements is required, got ${node.length}`);
      return node.map((element, i) => fromNode(element, type.elements[i]!, [...path, { index: i }], options));
    case 'map': {
      if (!isObject(node)) throw wrongNode(type, node, path);
      const out: Record<string, unknown> = {};
      for (const [key, element] of node.object) setKey(out, key, fromNode(element, type.element, [...path, { key }], options));
      return out;
    }
    case 'object':
      return fromObject(node, type, path, options);
  }
}

function wrongNode(type: CtyType, node: JsonNode, path: PathStep[]): CtyValueError {
  return new CtyValueError([...path], `${typeName(type)} is required, got JSON ${nodeKind(node)}`);
}

/** {"value": v, "type": t}: v read as the type t names. */
function fromDynamic(node: JsonNode, path: PathStep[], options: JsonDecodeOptions): unknown {
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

function fromString(node: JsonNode, type: CtyType, path: PathStep[]): string {
  // go-cty's JSON decoder converts numbers and bools to strings.
  if (typeof node === 'string') return node;
  if (typeof node === 'boolean') return String(node);
  if (isNumber(node)) return node.number;
  throw wrongNode(type, node, path);
}

/** A JSON number, or a string holding one (go-cty accepts both). */
function fromNumber(node: JsonNode, type: CtyType, path: PathStep[]): CtyNumber {
  if (isNumber(node)) return numberFromText(node.number);
  if (typeof node === 'string') {
    try {
      return numberFromText(node);
    } catch {
      throw wrongNode(type, node, path);
    }
  }
  throw wrongNode(type, node, path);
}

/** Every attribute of the type (a missing one as null); one the type lacks fails unless options say to drop it. */
function fromObject(node: JsonNode, type: CtyObjectType, path: PathStep[], options: JsonDecodeOptions): Record<string, unknown> {
  if (!isObject(node)) throw wrongNode(type, node, path);
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
/** RFC 8259 JSON, numbers kept as text. */
export function parseJson(text: string): JsonNode {
  const reader = new JsonReader(text);
  const result = reader.value(0);
  reader.whitespace();
  if (!reader.done) reader.fail('extra text after the value');
  return result;
}

/** A cursor over JSON text; each method reads one production of the grammar. */
class JsonReader {
  private i = 0;

  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.i === this.text.length;
  }

  fail(what: string): never {
    throw new CtyValueError([] as AttributePath, `invalid JSON at offset ${this.i}: ${what}`);
  }

  whitespace(): void {
    const text = this.text;
    while (this.i < text.length && (text[this.i] === ' ' || text[this.i] === '\t' || text[this.i] === '\n' || text[this.i] === '\r')) this.i++;
  }

  value(depth: number): JsonNode {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    this.whitespace();
    const c = this.text[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    return this.literal();
  }

  private object(depth: number): JsonNode {
    this.i++;
    const entries: Array<[string, JsonNode]> = [];
    this.whitespace();
    if (this.text[this.i] === '}') {
      this.i++;
      return { object: entries };
    }
    for (;;) {
      this.whitespace();
      if (this.text[this.i] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.whitespace();
      if (this.text[this.i++] !== ':') this.fail('expected ":"');
      entries.push([key, this.value(depth + 1)]);
      this.whitespace();
      if (this.text[this.i] === ',') this.i++;
      else if (this.text[this.i] === '}') {
        this.i++;
        return { object: entries };
      } else this.fail('expected "," or "}"');
    }
  }

  private array(depth: number): JsonNode {
    this.i++;
    const items: JsonNode[] = [];
    this.whitespace();
    if (this.text[this.i] === ']') {
      this.i++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.whitespace();
      if (this.text[this.i] === ',') this.i++;
      else if (this.text[this.i] === ']') {
        this.i++;
        return items;
      } else this.fail('expected "," or "]"');
    }
  }

  private string(): string {
    const text = this.text;
    const start = this.i;
    this.i++;
    while (this.i < text.length && text[this.i] !== '"') {
      if (text[this.i] === '\\') this.i++;
      this.i++;
    }
    if (this.i >= text.length) this.fail('unterminated string');
    this.i++;
    try {
      return JSON.parse(text.slice(start, this.i)) as string;
    } catch {
      return this.fail('bad string');
    }
  }

  /** true, false, null or a number (kept as its text). */
  private literal(): JsonNode {
    const text = this.text;
    if (text.startsWith('true', this.i)) return (this.i += 4), true;
    if (text.startsWith('false', this.i)) return (this.i += 5), false;
    if (text.startsWith('null', this.i)) return (this.i += 4), null;
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(this.i, this.i + 4096));
    if (!match) return this.fail('expected a value');
    this.i += match[0].length;
    return { number: match[0] };
  }
}
