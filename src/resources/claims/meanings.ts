import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/client.js';
import { vectorToBase64, type SentenceEncoder } from '../../domain/sentence-vectors.js';

/**
 * The claims' sentence vectors (migrations/0011_claim_meanings.sql): the background encoder
 * that works through the queue the triggers keep, and the reads a match makes.
 */

/** Claims one encoder takes at a time: about a third of a second of encoding. */
export const MEANING_BATCH = 48;
/** How long a batch is an encoder's; past it (its process died), another takes it. */
const LEASE_SECONDS = 120;

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/**
 * Encodes one batch of queued claims and stores their vectors; returns how many were taken
 * (0: nothing is queued, or all of it is leased). A claim whose text changed while it was
 * being encoded is left queued for the new text, its lease cleared. Aborted through `signal`
 * (a server stopping) or failed while encoding, the batch goes back to the queue at once
 * rather than when its lease runs out, and the error is thrown.
 */
export async function encodeQueuedClaims(db: Db, encoder: SentenceEncoder, batch = MEANING_BATCH, signal?: AbortSignal): Promise<number> {
  const taken = rowsOf<{ id: string; text: string }>(
    await db.execute(sql`
      update claim_meanings_pending p set leased_until = now() + make_interval(secs => ${LEASE_SECONDS})
        from claims c
       where c.id = p.claim_id
         and p.claim_id in (select q.claim_id from claim_meanings_pending q
                             where q.leased_until is null or q.leased_until < now()
                             order by q.claim_id limit ${batch} for update skip locked)
      returning p.claim_id as id, c.text`),
  );
  if (taken.length === 0) return 0;
  let vectors: Int8Array[];
  try {
    vectors = await unlessAborted(encoder.encode(taken.map((t) => t.text)), signal);
  } catch (err) {
    await db
      .execute(sql`update claim_meanings_pending set leased_until = null where claim_id = any(${sql.param(taken.map((t) => t.id))}::uuid[])`)
      .catch(() => undefined); // then the lease runs out
    throw err;
  }
  await db.execute(sql`
    with v(id, md5, vector) as (
      select * from unnest(${sql.param(taken.map((t) => t.id))}::uuid[], ${sql.param(taken.map((t) => md5(t.text)))}::text[], ${sql.param(vectors.map(vectorToBase64))}::text[])
    ),
    current as (select v.id, decode(v.vector, 'base64') as vector from v join claims c on c.id = v.id and md5(c.text) = v.md5),
    stored as (
      insert into claim_meanings (claim_id, vector) select id, vector from current order by id
      on conflict (claim_id) do update set vector = excluded.vector
    ),
    stale as (update claim_meanings_pending p set leased_until = null from v where p.claim_id = v.id and v.id not in (select id from current))
    delete from claim_meanings_pending p using current where p.claim_id = current.id`);
  return taken.length;
}

/** `work`, or the signal's reason as soon as it is aborted (the work itself goes on, unheeded). */
function unlessAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/**
 * Stores vectors encoded elsewhere for these claims (a copy from another database, a cache of
 * earlier encodings of the same texts) and takes them off the queue; returns how many were stored.
 */
export async function storeMeanings(db: Db, meanings: { id: string; vector: string }[]): Promise<number> {
  if (meanings.length === 0) return 0;
  const stored = rowsOf<{ id: string }>(
    await db.execute(sql`
      with v(id, vector) as (select * from unnest(${sql.param(meanings.map((m) => m.id))}::uuid[], ${sql.param(meanings.map((m) => m.vector))}::text[])),
      stored as (
        insert into claim_meanings (claim_id, vector) select id, decode(vector, 'base64') from v order by id
        on conflict (claim_id) do nothing returning claim_id
      )
      delete from claim_meanings_pending p using stored where p.claim_id = stored.claim_id returning p.claim_id as id`),
  );
  return stored.length;
}

/** Claims waiting for their vector. */
export async function queuedClaimCount(db: Db): Promise<number> {
  const [row] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from claim_meanings_pending`));
  return Number(row?.n ?? 0);
}

export interface MeaningQueueWorker {
  stop(): Promise<void>;
}

/**
 * Works through the queue until stopped: a batch after another while there is work, a look
 * every `idleMs` when there is none. A failure (the database away, the encoder's thread
 * gone) is logged and retried after `idleMs`; it never stops the process or the loop.
 * Stopping does not wait for a batch being encoded (on a busy machine that can take many
 * seconds, and a server closing has a deadline): its claims go back to the queue.
 */
export function startMeaningQueue(db: Db, encoder: SentenceEncoder, log: { warn(obj: object, msg: string): void }, idleMs = 1000): MeaningQueueWorker {
  let stopped = false;
  const stopping = new AbortController();
  let wake: (() => void) | undefined;
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, idleMs);
      timer.unref();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopped) {
      try {
        if ((await encodeQueuedClaims(db, encoder, MEANING_BATCH, stopping.signal)) > 0) continue;
      } catch (err) {
        if (stopped) break;
        log.warn({ err }, 'encoding queued claims failed; trying again shortly');
      }
      if (!stopped) await pause();
    }
  })();
  return {
    async stop() {
      stopped = true;
      stopping.abort(new Error('the background encoder is stopping'));
      wake?.();
      await loop;
    },
  };
}
