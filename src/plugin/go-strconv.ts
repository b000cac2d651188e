// Go's strconv rules, where go-plugin's peers parse our text with them (or we parse theirs).
// Internal: not part of the public API.

const GO_DECIMAL = /^[+-]?[0-9]+$/;

/**
 * Go `strconv.ParseInt(text, 10, bits)` (`Atoi` is bits 64): an optional sign and decimal digits,
 * nothing else — no spaces, no underscores, no `0x`. Returns undefined where Go returns an error.
 * Values beyond 2^53 come back rounded; callers only compare them with small numbers.
 */
export function parseGoInt(text: string, bits: 32 | 64 = 64): number | undefined {
  if (!GO_DECIMAL.test(text)) return undefined;
  const value = BigInt(text);
  const limit = 1n << BigInt(bits - 1);
  if (value < -limit || value >= limit) return undefined;
  return Number(value);
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go `strconv.ParseBool`: exactly these twelve spellings; undefined for anything else. */
export function parseGoBool(text: string): boolean | undefined {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  return undefined;
}
