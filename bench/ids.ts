/**
 * Ids of bench rows: UUIDv7 whose time part is the row's `created_at` and whose last
 * 48 bits are its ordinal, so the load (bench/data.ts), the load test (bench/run.ts)
 * and pgbench (through `bench.claim_id(n)` in SQL) name the same rows without a lookup.
 */
export const BENCH_BASE_MS = Date.UTC(2024, 0, 1);

/** Table tag (in the id's variant field) and spacing of created_at, per table. */
export const ID_LAYOUT = {
  claims: { tag: 1, stepMs: 60_000 },
  sources: { tag: 2, stepMs: 600_000 },
  claimants: { tag: 3, stepMs: 1_200_000 },
  attributions: { tag: 4, stepMs: 30_000 },
} as const;
export type BenchTable = keyof typeof ID_LAYOUT;

export function benchId(table: BenchTable, n: number): string {
  const { tag, stepMs } = ID_LAYOUT[table];
  const ms = (BENCH_BASE_MS + n * stepMs).toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7000-${(0x8000 | tag).toString(16)}-${n.toString(16).padStart(12, '0')}`;
}

export const benchCreatedAt = (table: BenchTable, n: number) => new Date(BENCH_BASE_MS + n * ID_LAYOUT[table].stepMs);

/** The same as benchId('claims', n), in SQL. */
export const claimIdSql = (n: string) =>
  `(select (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7000-8001-' || lpad(to_hex(${n}), 12, '0'))::uuid
      from (select lpad(to_hex(${BENCH_BASE_MS}::bigint + (${n})::bigint * ${ID_LAYOUT.claims.stepMs}), 12, '0') as h) x)`;
