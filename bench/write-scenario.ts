import type pg from 'pg';

/**
 * The write both `npm run bench` (create-claim) and bench/ab-write.ts send: a claim with
 * one attribution whose quote is anchored in a 5,000-character source. The claims it
 * creates carry the topic `bench-write`, so they and their events can be deleted after.
 */

export const WRITE_TOPIC = 'bench-write';
export const WRITE_SOURCE_ID = '00000000-0000-7000-8000-00000000beef';

/** The source the quotes are anchored in (created once, kept). */
export async function ensureWriteSource(pool: pg.Pool) {
  const text = Array.from({ length: 60 }, (_, i) => `Paragraph ${i}: the council said the harbour tunnel would cost ${i + 1}.4 billion euros over ten years.`).join(' ');
  await pool.query(
    `insert into sources (id, kind, url, title, text, text_length, content_sha256) values ($1, 'article', 'https://bench.example/write-source', 'Bench write source', $2, $3, 'bench')
     on conflict (id) do nothing`,
    [WRITE_SOURCE_ID, text, text.length],
  );
}

export const writeBody = (claimantId: string) => ({
  text: 'The harbour tunnel will cost 2.4 billion euros',
  language: 'en',
  topics: [WRITE_TOPIC],
  attributions: [{ source_id: WRITE_SOURCE_ID, claimant_id: claimantId, quote: 'the harbour tunnel would cost 2.4 billion euros', kind: 'direct_quote' as const }],
});

/** Deletes what the write added: its claims, their attributions (cascade) and their events. */
export async function deleteWritten(pool: pg.Pool) {
  await pool.query(
    `with gone as (delete from claims where topics @> array[$1::text] returning id)
     delete from events where entity_id in (select id from gone)
        or (entity_type = 'attribution' and (after->>'claim_id')::uuid in (select id from gone))`,
    [WRITE_TOPIC],
  );
}
