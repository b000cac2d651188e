// cty values in msgpack, as go-cty's msgpack package reads and writes them
// (https://github.com/zclconf/go-cty/tree/dcb5db6/cty/msgpack): unknowns are extension 0 (no
// refinements) or 12 (a map of refinements), a dynamic value is [type as JSON bytes, value],
// objects are maps with their attributes in name order.
import { MsgpackError, MsgpackReader, MsgpackWriter, type MsgpackKind } from './msgpack.js';
import { describe, numberFromText, numberWire, type CtyNumber } from './number.js';
import { CtyValueError, type AttributePath, type PathStep } from './path.js';
import { typeFromJson, typeName, typeToJson, type CtyCollectionType, type CtyObjectType, type CtyTupleType, type CtyType } from './types.js';
import { isUnknown, isWhollyKnown, rememberedType, setKey, Unknown, withType, type Refinement } from './values.js';
import { inferType } from './infer.js';

const EXT_UNKNOWN_REFINED = 12;
const REFINE_NULLNESS = 1;
const REFINE_STRING_PREFIX = 2;
const REFINE_NUMBER_MIN = 3;
const REFINE_NUMBER_MAX = 4;
const REFINE_LENGTH_MIN = 5;
const REFINE_LENGTH_MAX = 6;
/** go-cty refuses larger refinement payloads; so do we. */
const MAX_REFINEMENT_BYTES = 1024;
const MAX_PREFIX_BYTES = 256;

export function decodeMsgpack(bytes: Uint8Array, type: CtyType): unknown {
  const reader = new MsgpackReader(bytes);
  const value = wrap([], () => decode(reader, type, []));
  if (!reader.done) throw new CtyValueError([], 'extra bytes after the msgpack value');
  return value;
}

export function encodeMsgpack(value: unknown, type: CtyType): Uint8Array {
  const writer = new MsgpackWriter();
  encode(writer, value, type, []);
  return writer.finish();
}

function wrap<T>(path: AttributePath, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof MsgpackError) throw new CtyValueError(path, err.message);
    throw err;
  }
}

/** One value of `type`: unknowns and dynamic values first, then one reader per type kind. */
function decode(r: MsgpackReader, type: CtyType, path: PathStep[]): unknown {
  const kind = r.peek();
  if (kind === 'ext') return decodeUnknown(r, type, path);
  if (type.kind === 'dynamic') return decodeDynamic(r, path);
  if (kind === 'nil') return r.readNil();
  switch (type.kind) {
    case 'string':
      if (kind !== 'str') throw mismatch(path, 'a string', kind);
      return r.readString();
    case 'bool':
      if (kind !== 'bool') throw mismatch(path, 'a bool', kind);
      return r.readBool();
    case 'number':
      return decodeNumber(r, kind, path);
    case 'list':
    case 'set':
      return decodeList(r, kind, type, path);
    case 'tuple':
      return decodeTuple(r, kind, type, path);
    case 'map':
      return decodeMap(r, kind, type, path);
    case 'object':
      return decodeObject(r, kind, type, path);
  }
}

/** An int, a float, or (for numbers neither holds exactly) decimal text. */
function decodeNumber(r: MsgpackReader, kind: MsgpackKind, path: PathStep[]): CtyNumber {
  if (kind === 'int') return r.readInt();
  if (kind === 'float') return r.readFloat();
  if (kind === 'str') {
    const text = r.readString();
    try {
      return numberFromText(text);
    } catch {
      throw new CtyValueError([...path], `a number is required, got the string ${JSON.stringify(text)}`);
    }
  }
  throw mismatch(path, 'a number', kind);
}

function decodeList(r: MsgpackReader, kind: MsgpackKind, type: CtyCollectionType, path: PathStep[]): unknown[] {
  if (kind !== 'array') throw mismatch(path, `a ${type.kind}`, kind);
  const n = r.readArrayLength();
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(decode(r, type.element, [...path, { index: i }]));
  return out;
}

function decodeTuple(r: MsgpackReader, kind: MsgpackKind, type: CtyTupleType, path: PathStep[]): unknown[] {
  if (kind !== 'array') throw mismatch(path, 'a tuple', kind);
  const n = r.readArrayLength();
  if (n !== type.elements.length) throw new CtyValueError([...path], `a tuple of ${type.elements.length} elements is required, got ${n}`);
  return type.elements.map((element, i) => decode(r, element, [...path, { index: i }]));
}

function decodeMap(r: MsgpackReader, kind: MsgpackKind, type: CtyCollectionType, path: PathStep[]): Record<string, unknown> {
  if (kind !== 'map') throw mismatch(path, 'a map', kind);
  const n = r.readMapLength();
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    if (r.peek() !== 'str') throw new CtyValueError([...path], 'map keys must be strings');
    const key = r.readString();
    setKey(out, key, decode(r, type.element, [...path, { key }]));
  }
  return out;
}

/** Exactly the type's attributes, in any order. */
function decodeObject(r: MsgpackReader, kind: MsgpackKind, type: CtyObjectType, path: PathStep[]): Record<string, unknown> {
  if (kind !== 'map') throw mismatch(path, 'an object', kind);
  const n = r.readMapLength();
  const names = Object.keys(type.attributes);
  if (n !== names.length) throw new CtyValueError([...path], `an object with ${names.length} attributes is required, got ${n}`);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    if (r.peek() !== 'str') throw new CtyValueError([...path], 'object attribute names must be strings');
    const name = r.readString();
    const attribute = Object.hasOwn(type.attributes, name) ? type.attributes[name] : undefined;
    if (!attribute) throw new CtyValueError([...path], `unsupported attribute "${name}"`);
    setKey(out, name, decode(r, attribute, [...path, { attribute: name }]));
  }
  return out;
}

function mismatch(path: PathStep[], wanted: string, got: string): CtyValueError {
  return new CtyValueError([...path], `${wanted} is required, got msgpack ${got}`);
}

function decodeDynamic(r: MsgpackReader, path: PathStep[]): unknown {
  if (r.peek() === 'nil') return r.readNil();
  if (r.peek() !== 'array' || r.readArrayLength() !== 2) throw new CtyValueError([...path], 'a dynamic value must be a [type, value] pair');
  const typeBytes = r.readBytes();
  let type: CtyType;
  try {
    type = typeFromJson(JSON.parse(new TextDecoder().decode(typeBytes)));
  } catch (err) {
    throw new CtyValueError([...path], `bad type in a dynamic value: ${(err as Error).message}`);
  }
  const value = decode(r, type, path);
  return value !== null && typeof value === 'object' && !isUnknown(value) ? withType(value, type) : value;
}

function decodeUnknown(r: MsgpackReader, type: CtyType, path: PathStep[]): Unknown | null {
  const ext = r.readExt();
  if (ext.data.length <= 1) return new Unknown();
  if (ext.type !== EXT_UNKNOWN_REFINED) throw new CtyValueError([...path], `unsupported msgpack extension ${ext.type} of ${ext.data.length} bytes`);
  if (ext.data.length > MAX_REFINEMENT_BYTES) throw new CtyValueError([...path], 'oversize unknown value refinement');
  if (type.kind === 'dynamic') return new Unknown();
  const body = new MsgpackReader(ext.data);
  return wrap(path, () => {
    const entries = body.readMapLength();
    const refinement: Refinement = {};
    for (let i = 0; i < entries; i++) {
      const key = Number(body.readInt());
      switch (key) {
        case REFINE_NULLNESS:
          if (body.readBool()) return null; // refined to null is simply null
          refinement.notNull = true;
          break;
        case REFINE_STRING_PREFIX:
          if (type.kind !== 'string') throw new CtyValueError([...path], 'string prefix refinement for a non-string type');
          refinement.stringPrefix = body.readString();
          break;
        case REFINE_NUMBER_MIN:
        case REFINE_NUMBER_MAX: {
          if (type.kind !== 'number') throw new CtyValueError([...path], 'number bound refinement for a non-number type');
          const bound = decode(body, { kind: 'tuple', elements: [{ kind: 'number' }, { kind: 'bool' }] }, [...path]) as [CtyNumber, boolean] | null;
          if (!Array.isArray(bound) || bound.some((b) => b === null || isUnknown(b))) {
            throw new CtyValueError([...path], 'a number bound refinement must be a [number, bool] pair');
          }
          if (key === REFINE_NUMBER_MIN) refinement.numberMin = bound;
          else refinement.numberMax = bound;
          break;
        }
        case REFINE_LENGTH_MIN:
        case REFINE_LENGTH_MAX: {
          if (type.kind !== 'list' && type.kind !== 'set' && type.kind !== 'map') {
            throw new CtyValueError([...path], 'length refinement for a non-collection type');
          }
          const bound = Number(body.readInt());
          if (key === REFINE_LENGTH_MIN) refinement.lengthMin = bound;
          else refinement.lengthMax = bound;
          break;
        }
        default:
          // Refinements added after this was written: skip, as go-cty does.
          skip(body);
      }
    }
    return new Unknown(refinement);
  });
}

function skip(r: MsgpackReader): void {
  switch (r.peek()) {
    case 'nil':
      return void r.readNil();
    case 'bool':
      return void r.readBool();
    case 'int':
      return void r.readInt();
    case 'float':
      return void r.readFloat();
    case 'str':
      return void r.readString();
    case 'bin':
      return void r.readBytes();
    case 'ext':
      return void r.readExt();
    case 'array': {
      const n = r.readArrayLength();
      for (let i = 0; i < n; i++) skip(r);
      return;
    }
    case 'map': {
      const n = r.readMapLength();
      for (let i = 0; i < 2 * n; i++) skip(r);
      return;
    }
  }
}

/** One value as `type`: unknowns and dynamic values first, then one writer per type kind. */
function encode(w: MsgpackWriter, value: unknown, type: CtyType, path: PathStep[]): void {
  if (isUnknown(value)) return encodeUnknown(w, value, type, path);
  if (value === null || value === undefined) return w.nil();
  switch (type.kind) {
    case 'dynamic':
      return encodeDynamic(w, value, path);
    case 'string':
      if (typeof value !== 'string') throw wrongValue(type, value, path);
      return w.string(value);
    case 'bool':
      if (typeof value !== 'boolean') throw wrongValue(type, value, path);
      return w.bool(value);
    case 'number':
      return encodeNumber(w, value, type, path);
    case 'list':
      if (!Array.isArray(value)) throw wrongValue(type, value, path);
      w.arrayLength(value.length);
      value.forEach((element, i) => encode(w, element, type.element, [...path, { index: i }]));
      return;
    case 'set':
      return encodeSet(w, value, type, path);
    case 'tuple':
      return encodeTuple(w, value, type, path);
    case 'map':
      return encodeMap(w, value, type, path);
    case 'object':
      return encodeObject(w, value, type, path);
  }
}

function wrongValue(type: CtyType, value: unknown, path: PathStep[]): CtyValueError {
  return new CtyValueError([...path], `${typeName(type)} is required, got ${describe(value)}`);
}

/** [the value's type as JSON bytes, the value as that type]. */
function encodeDynamic(w: MsgpackWriter, value: unknown, path: PathStep[]): void {
  const actual = rememberedType(value) ?? inferType(value, path);
  w.arrayLength(2);
  w.bin(new TextEncoder().encode(JSON.stringify(typeToJson(actual))));
  encode(w, value, actual, path);
}

function encodeNumber(w: MsgpackWriter, value: unknown, type: CtyType, path: PathStep[]): void {
  let wire;
  try {
    wire = numberWire(value);
  } catch {
    throw wrongValue(type, value, path);
  }
  if ('int' in wire) return w.int(wire.int);
  if ('float' in wire) return w.float64(wire.float);
  return w.string(wire.text);
}

function encodeSet(w: MsgpackWriter, value: unknown, type: CtyCollectionType, path: PathStep[]): void {
  if (!Array.isArray(value)) throw wrongValue(type, value, path);
  // A set holds each value once (go-cty would drop the repeats, and the state would no longer be
  // what the plan said); unknown elements are never equal to anything, so all of them stay.
  const seen = new Set<string>();
  const elements: Uint8Array[] = [];
  value.forEach((element, i) => {
    const one = new MsgpackWriter();
    encode(one, element, type.element, [...path, { index: i }]);
    const bytes = one.finish();
    const key = Buffer.from(bytes).toString('latin1');
    if (!isWhollyKnown(element) || !seen.has(key)) elements.push(bytes);
    seen.add(key);
  });
  w.arrayLength(elements.length);
  for (const bytes of elements) w.raw(bytes);
}

function encodeTuple(w: MsgpackWriter, value: unknown, type: CtyTupleType, path: PathStep[]): void {
  if (!Array.isArray(value)) throw wrongValue(type, value, path);
  if (value.length !== type.elements.length) throw new CtyValueError([...path], `a tuple of ${type.elements.length} elements is required, got ${value.length}`);
  w.arrayLength(value.length);
  value.forEach((element, i) => encode(w, element, type.elements[i]!, [...path, { index: i }]));
}

/** Keys in sorted order, as go-cty writes them. */
function encodeMap(w: MsgpackWriter, value: unknown, type: CtyCollectionType, path: PathStep[]): void {
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongValue(type, value, path);
  const keys = Object.keys(value as object).sort();
  w.mapLength(keys.length);
  for (const key of keys) {
    w.string(key);
    encode(w, (value as Record<string, unknown>)[key], type.element, [...path, { key }]);
  }
}

/** Every attribute of the type in name order (a missing one as null); an attribute the type lacks is an error. */
function encodeObject(w: MsgpackWriter, value: unknown, type: CtyObjectType, path: PathStep[]): void {
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongValue(type, value, path);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!Object.hasOwn(type.attributes, key) && record[key] !== undefined) {
      throw new CtyValueError([...path], `unsupported attribute "${key}" (the type has ${Object.keys(type.attributes).sort().join(', ') || 'no attributes'})`);
    }
  }
  const names = Object.keys(type.attributes).sort();
  w.mapLength(names.length);
  for (const name of names) {
    w.string(name);
    encode(w, record[name], type.attributes[name]!, [...path, { attribute: name }]);
  }
}

function encodeUnknown(w: MsgpackWriter, value: Unknown, type: CtyType, path: PathStep[]): void {
  const r = value.refinement;
  const body = new MsgpackWriter();
  let entries = 0;
  if (type.kind !== 'dynamic') {
    if (r.notNull) {
      entries++;
      body.int(REFINE_NULLNESS);
      body.bool(false);
    }
    if (type.kind === 'number') {
      for (const [key, bound] of [[REFINE_NUMBER_MIN, r.numberMin], [REFINE_NUMBER_MAX, r.numberMax]] as const) {
        if (!bound) continue;
        entries++;
        body.int(key);
        encode(body, bound, { kind: 'tuple', elements: [{ kind: 'number' }, { kind: 'bool' }] }, path);
      }
    } else if (type.kind === 'string' && r.stringPrefix) {
      entries++;
      body.int(REFINE_STRING_PREFIX);
      body.string(truncatePrefix(r.stringPrefix));
    } else if (type.kind === 'list' || type.kind === 'set' || type.kind === 'map') {
      if (r.lengthMin) {
        entries++;
        body.int(REFINE_LENGTH_MIN);
        body.int(r.lengthMin);
      }
      if (r.lengthMax !== undefined) {
        entries++;
        body.int(REFINE_LENGTH_MAX);
        body.int(r.lengthMax);
      }
    }
  }
  if (entries === 0) return w.ext(0, new Uint8Array(1));
  const header = new MsgpackWriter();
  header.mapLength(entries);
  const payload = new Uint8Array([...header.finish(), ...body.finish()]);
  w.ext(EXT_UNKNOWN_REFINED, payload);
}

/** At most 255 bytes, cut on a character boundary. */
function truncatePrefix(prefix: string): string {
  const bytes = new TextEncoder().encode(prefix);
  if (bytes.length <= MAX_PREFIX_BYTES) return prefix;
  let end = MAX_PREFIX_BYTES - 1;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
