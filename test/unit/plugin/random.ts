// A seeded PRNG (mulberry32) for property tests: a failure replays with the same seed.
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const bytes = (length: number): Uint8Array => Uint8Array.from({ length }, () => int(0, 255));
  const string = (alphabet: string, min: number, max: number): string =>
    Array.from({ length: int(min, max) }, () => pick([...alphabet])).join('');
  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return { next, int, pick, bytes, string, shuffle };
}

/** Bytes shaped like a DER certificate: one SEQUENCE whose length covers `contentLength` bytes. */
export function fakeCertDer(contentLength: number, fill: (n: number) => Uint8Array): Uint8Array {
  const header =
    contentLength < 0x80
      ? [0x30, contentLength]
      : contentLength < 0x100
        ? [0x30, 0x81, contentLength]
        : [0x30, 0x82, contentLength >> 8, contentLength & 0xff];
  const out = new Uint8Array(header.length + contentLength);
  out.set(header);
  out.set(fill(contentLength), header.length);
  return out;
}
