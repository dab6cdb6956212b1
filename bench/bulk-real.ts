/**
 * Bulk import of real data: the 14,231 Snopes verified claims of CLEF CheckThat! 2022 2A
 * (../shared/data), each a source (its fact-check page), a claim and an attribution to its
 * author (a real name, a few hundred distinct), once naming the author by `claimant_ref`
 * (a claimant line per author) and once by `claimant_name`, each into a fresh database,
 * alternating, `--rounds` times; `--a`/`--b` compare two checkouts in the same run:
 *
 *   npx tsx bench/bulk-real.ts --a /path/to/other/checkout --b . --rounds 2
 *
 * By default all sources come first, then all claims, then all attributions. With
 * `--interleaved` each verified claim's three lines come together, as a desk sends a story's
 * lines: the windows then hold every type at once.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startCheckout } from './checkout-server.js';
import { loadVerifiedClaims } from './eval-match-data.js';

const { values: args } = parseArgs({
  options: { a: { type: 'string' }, b: { type: 'string', default: '.' }, rounds: { type: 'string', default: '2' }, interleaved: { type: 'boolean', default: false }, server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' } },
});
const KEY = `bench-${randomBytes(16).toString('hex')}`;

function lines(how: 'claimant_ref' | 'claimant_name'): string {
  const claims = loadVerifiedClaims().filter((c) => c.author);
  const authors = [...new Set(claims.map((c) => c.author!))];
  const out: string[] = [];
  if (how === 'claimant_ref') authors.forEach((name, i) => out.push(JSON.stringify({ type: 'claimant', ref: `p${i}`, data: { name, kind: 'person' } })));
  const refOf = new Map(authors.map((name, i) => [name, `p${i}`]));
  const source = (c: (typeof claims)[number]) =>
    JSON.stringify({ type: 'source', ref: `s:${c.id}`, data: { kind: 'article', title: c.title || c.text.slice(0, 200), publisher: 'Snopes', ...(c.url ? { url: c.url } : {}) } });
  const claim = (c: (typeof claims)[number]) => JSON.stringify({ type: 'claim', ref: `c:${c.id}`, data: { text: c.text, language: 'en' } });
  const attribution = (c: (typeof claims)[number]) => {
    const who = how === 'claimant_ref' ? { claimant_ref: refOf.get(c.author!) } : { claimant_name: c.author };
    return JSON.stringify({ type: 'attribution', data: { claim_ref: `c:${c.id}`, source_ref: `s:${c.id}`, ...who, kind: 'reported', stance: 'reports' } });
  };
  if (args.interleaved) for (const c of claims) out.push(source(c), claim(c), attribution(c));
  else for (const make of [source, claim, attribution]) for (const c of claims) out.push(make(c));
  return `${out.join('\n')}\n`;
}

async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: args.server });
  await admin.connect();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(args.server!);
  url.pathname = `/${name}`;
  return url.toString();
}

const bodies = { claimant_ref: lines('claimant_ref'), claimant_name: lines('claimant_name') };
const rates: Record<string, number[]> = {};
for (let round = 1; round <= Number(args.rounds); round++) {
  for (const [side, dir] of [['a', args.a], ['b', args.b]] as const) {
    if (!dir) continue;
    for (const how of ['claimant_ref', 'claimant_name'] as const) {
      const db = `claimledger_bulkreal_${side}`;
      const { port, child } = await startCheckout(dir, { DATABASE_URL: await freshDatabase(db), CLAIMLEDGER_ADMIN_KEY: KEY });
      try {
        const n = bodies[how].split('\n').length - 1;
        const t0 = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}/v1/bulk`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' }, body: bodies[how] });
        const body = (await res.json()) as { failed: number; counts?: Record<string, number> };
        const seconds = (performance.now() - t0) / 1000;
        if (res.status !== 200 || body.failed) throw new Error(`${side} ${how}: ${res.status}, ${body.failed} failed`);
        (rates[`${side} ${how}`] ??= []).push(n / seconds);
        process.stderr.write(`round ${round} ${side} (${dir}) ${how}: ${n} lines in ${seconds.toFixed(1)} s = ${Math.round(n / seconds)} lines/s\n`);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
        const admin = new pg.Client({ connectionString: args.server });
        await admin.connect();
        await admin.query(`drop database if exists "${db}" with (force)`);
        await admin.end();
      }
    }
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
for (const side of ['a', 'b']) {
  if (!rates[`${side} claimant_ref`]) continue;
  const ref = median(rates[`${side} claimant_ref`]);
  const name = median(rates[`${side} claimant_name`]);
  console.log(`${side}: by ref ${Math.round(ref)} lines/s, by name ${Math.round(name)} lines/s, name / ref ${(name / ref).toFixed(2)}`);
}
