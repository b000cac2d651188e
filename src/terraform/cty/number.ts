// cty numbers are arbitrary-precision decimals (Go big.Float, 512 bits). In JavaScript a number value
// is a `number` when a double holds it exactly, a `bigint` for a larger integer, and otherwise the
// decimal text itself (`"0.1000000000000000000001"`): never rounded. The wire form follows go-cty's
// msgpack encoder (https://github.com/zclconf/go-cty/blob/dcb5db6/cty/msgpack/marshal.go#L80-L100):
// an int64 when the value is one, a float64 when a non-integer double is exact, else the decimal text.

export type CtyNumber = number | bigint | `${number}`;

/** A decimal as sign, significant digits (no leading or trailing zeros) and a power of ten. */
interface Decimal {
  negative: boolean;
  digits: string;
  exponent: number;
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, sign, whole, fraction = '', exp = '0'] = match;
  let digits = whole! + fraction;
  let exponent = Number(exp) - fraction.length;
  if (!Number.isSafeInteger(exponent)) return undefined;
  digits = digits.replace(/^0+/, '');
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  if (digits === '') return { negative: false, digits: '', exponent: 0 };
  return { negative: sign === '-', digits, exponent };
}

function sameDecimal(a: Decimal, b: Decimal): boolean {
  return a.negative === b.negative && a.digits === b.digits && a.exponent === b.exponent;
}

/** Plain decimal text without an exponent, as Go's big.Float Text('f', -1) writes it. */
function plainText(d: Decimal): string {
  if (d.digits === '') return '0';
  const sign = d.negative ? '-' : '';
  if (d.exponent >= 0) return sign + d.digits + '0'.repeat(d.exponent);
  const point = d.digits.length + d.exponent;
  if (point > 0) return `${sign}${d.digits.slice(0, point)}.${d.digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${d.digits}`;
}

/** The exact decimal value of a finite double. */
function exactDecimal(n: number): Decimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exp2: number;
  if (biased === 0) exp2 = -1074;
  else {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (mantissa === 0n) return { negative: false, digits: '', exponent: 0 };
  if (exp2 >= 0) return { ...parseDecimal((mantissa << BigInt(exp2)).toString())!, negative };
  // m × 2^-k = m × 5^k × 10^-k
  const scaled = mantissa * 5n ** BigInt(-exp2);
  const d = parseDecimal(scaled.toString())!;
  return { negative, digits: d.digits, exponent: d.exponent + exp2 };
}

function integerOf(d: Decimal): bigint | undefined {
  if (d.exponent < 0) return undefined;
  if (d.digits === '') return 0n;
  const big = BigInt(d.digits + '0'.repeat(d.exponent));
  return d.negative ? -big : big;
}

function narrow(big: bigint): number | bigint {
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** A number from its decimal text (msgpack string or JSON number), exactly. */
export function numberFromText(text: string): CtyNumber {
  const d = parseDecimal(text);
  if (!d) throw new RangeError(`"${text}" is not a number`);
  const integer = integerOf(d);
  if (integer !== undefined) return narrow(integer);
  const n = Number(plainText(d));
  const shortest = parseDecimal(String(n));
  if (Number.isFinite(n) && shortest && sameDecimal(shortest, d)) return n;
  return plainText(d) as `${number}`;
}

/** How go-cty would put this number on the msgpack wire. */
export type NumberWire = { int: number | bigint } | { float: number } | { text: string };

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

export function numberWire(value: unknown): NumberWire {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new RangeError('NaN is not a cty number');
    if (Number.isSafeInteger(value)) return { int: value };
    if (!Number.isFinite(value)) return { float: value };
    if (Number.isInteger(value)) return integerWire(BigInt(value));
    // A double such as 0.1 stands for the decimal its shortest text spells (what HCL parsed), not for
    // its binary expansion; only when the two agree (0.5) does go-cty send a float.
    const shortest = parseDecimal(String(value))!;
    return sameDecimal(shortest, exactDecimal(value)) ? { float: value } : { text: plainText(shortest) };
  }
  if (typeof value === 'bigint') return integerWire(value);
  if (typeof value === 'string') {
    const d = parseDecimal(value);
    if (!d) throw new RangeError(`"${value}" is not a number`);
    const integer = integerOf(d);
    if (integer !== undefined) return integerWire(integer);
    const n = Number(plainText(d));
    if (Number.isFinite(n) && sameDecimal(exactDecimal(n), d)) return { float: n };
    return { text: plainText(d) };
  }
  throw new TypeError(`expected a number, bigint or decimal string, got ${describe(value)}`);
}

function integerWire(big: bigint): NumberWire {
  return big >= INT64_MIN && big <= INT64_MAX ? { int: narrow(big) } : { text: big.toString() };
}

/** JSON text of a number: plain decimal digits, as go-cty's JSON encoder writes. */
export function numberJson(value: unknown): string {
  const wire = numberWire(value);
  if ('int' in wire) return String(wire.int);
  if ('text' in wire) return wire.text;
  if (!Number.isFinite(wire.float)) throw new RangeError('infinity cannot be written as JSON');
  return plainText(exactDecimal(wire.float));
}

export function isCtyNumber(value: unknown): value is CtyNumber {
  return typeof value === 'number' || typeof value === 'bigint' || (typeof value === 'string' && parseDecimal(value) !== undefined);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
