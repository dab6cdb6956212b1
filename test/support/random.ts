/**
 * mulberry32: a tiny, fast seeded PRNG (0 ≤ x < 1). The same seed gives the same
 * sequence, so a generated test case, a fuzz run or the bench data set can be
 * reproduced from its seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
