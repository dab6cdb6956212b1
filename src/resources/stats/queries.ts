import { and, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { CLAIM_STATUSES, VERDICTS, claims } from '../../db/schema.js';
import { VERDICT_LABELS } from '../../domain/claimreview.js';

import { claimFilters } from '../claims/queries.js';
import { rowsOf } from '../../db/client.js';
import { MAX_BUCKETS, TIME_GROUPS, type ClaimStatsBody, type GroupBy, type StatsClaimsParams, type StatsGroupBody, type StatsOverviewBody } from './schemas.js';
import { InputProblem } from '../../lib/row-failures.js';
import { instant } from '../../lib/instants.js';

/**
 * Claim counts for dashboards. Every count is one aggregate query over the
 * filtered claims (the same filters as `GET /v1/claims`); time buckets are cut
 * in UTC by PostgreSQL and the empty ones are filled in here.
 */

const STATUS_LABELS: Record<string, string> = { unreviewed: 'Unreviewed', in_review: 'In review', reviewed: 'Reviewed' };

const NULL_LABELS: Record<GroupBy, string> = {
  verdict: 'No verdict',
  textual_rating: 'No textual rating',
  status: 'No status',
  topic: 'No topic',
  claimant: 'No named claimant',
  publisher: 'No known publisher',
  language: 'Unknown language',
  day: 'Unknown date',
  week: 'Unknown date',
  month: 'Unknown date',
};

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' });

function languageLabel(tag: string): string {
  try {
    return languageNames.of(tag) ?? tag;
  } catch {
    return tag; // not a tag ICU knows
  }
}

interface CountRow {
  key: string | null;
  label?: string | null;
  n: number | string;
}

const asNumber = (n: number | string | null | undefined) => Number(n ?? 0);

async function rows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

/**
 * Counting a million claims by claimant is a hash over two million pairs: give
 * these queries the memory to do it without spilling to disk, and the time
 * (a dashboard asks once; the answer is cached, see routes.ts).
 */
function aggregating<T>(db: Db, fn: (tx: DbOrTx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local work_mem = '64MB'`);
    await tx.execute(sql`set local statement_timeout = '60s'`);
    return fn(tx);
  });
}

const byCount = (a: StatsGroupBody, b: StatsGroupBody) => b.count - a.count || String(a.key).localeCompare(String(b.key));

export function claimStats(db: Db, params: StatsClaimsParams): Promise<ClaimStatsBody> {
  return aggregating(db, (tx) => countClaims(tx, params));
}

async function countClaims(db: DbOrTx, params: StatsClaimsParams): Promise<ClaimStatsBody> {
  const groupBy = params.group_by;
  const timeColumn = params.time_field === 'created_at' ? claims.created_at : claims.first_seen_at;
  const from = params.from ? instant(params.from) : undefined;
  const to = params.to ? instant(params.to) : undefined;
  if (from && to && from >= to) {
    throw new InputProblem({ field: 'to', code: 'validation_failed', message: 'must be later than from', detail: 'The range is empty: `to` must be later than `from`.' });
  }
  const filter = and(...claimFilters(params), from ? gte(timeColumn, from) : undefined, to ? lt(timeColumn, to) : undefined);
  const where = filter ?? sql`true`;
  const limit = params.limit ?? 100;

  if (groupBy === 'verdict' || groupBy === 'status') {
    const column = groupBy === 'verdict' ? claims.verdict : claims.status;
    const found = await rows<CountRow>(db, sql`select ${column} as key, count(*)::int as n from ${claims} where ${where} group by 1`);
    const counts = new Map(found.map((r) => [r.key, asNumber(r.n)]));
    const values: readonly string[] = groupBy === 'verdict' ? VERDICTS : CLAIM_STATUSES;
    const labels = groupBy === 'verdict' ? VERDICT_LABELS : STATUS_LABELS;
    const groups: StatsGroupBody[] = values.map((v) => ({ key: v, label: labels[v] ?? v, count: counts.get(v) ?? 0 }));
    if (counts.get(null)) groups.push({ key: null, label: NULL_LABELS[groupBy], count: counts.get(null)! });
    return { group_by: groupBy, total: sum(found), groups };
  }

  if (groupBy === 'language' || groupBy === 'textual_rating') {
    // A claim's textual rating is its current review's: the one its verdict comes from (claims/derived.ts).
    const found =
      groupBy === 'language'
        ? await rows<CountRow>(db, sql`select ${claims.language} as key, count(*)::int as n from ${claims} where ${where} group by 1`)
        : await rows<CountRow>(
            db,
            sql`select current_review.textual_rating as key, count(*)::int as n
                  from ${claims}
                  left join lateral (
                    select r.textual_rating from reviews r where r.claim_id = ${claims.id}
                     order by r.published_at desc nulls last, r.created_at desc, r.id desc limit 1) current_review on true
                 where ${where} group by 1`,
          );
    const groups = found
      .filter((r) => r.key !== null)
      .map((r) => ({ key: r.key, label: groupBy === 'language' ? languageLabel(r.key!) : r.key!, count: asNumber(r.n) }))
      .sort(byCount)
      .slice(0, limit);
    const none = found.find((r) => r.key === null);
    if (none) groups.push({ key: null, label: NULL_LABELS[groupBy], count: asNumber(none.n) });
    return { group_by: groupBy, total: sum(found), groups };
  }

  if (TIME_GROUPS.includes(groupBy)) return timeStats(db, groupBy as 'day' | 'week' | 'month', timeColumn, where, from, to);

  // topic, claimant, publisher: a claim counts once in each group it belongs to, so
  // the groups count distinct (group, claim) pairs. Without claim filters the claims
  // table is left out of the join altogether.
  const claimsJoin = filter ? sql`join ${claims} on ${claims.id} = a.claim_id and ${filter}` : sql``;
  let groupQuery: SQL;
  let noneCondition: SQL;
  if (groupBy === 'topic') {
    groupQuery = sql`
      select t.topic as key, count(*)::int as n
        from ${claims} cross join lateral (select distinct unnest(${claims.topics}) as topic) t
       where ${where}
       group by t.topic order by n desc, key limit ${limit}`;
    noneCondition = sql`cardinality(${claims.topics}) = 0`;
  } else if (groupBy === 'claimant') {
    groupQuery = sql`
      select g.key::text as key, c.name as label, g.n
        from (select p.claimant_id as key, count(*)::int as n
                from (select distinct a.claimant_id, a.claim_id from attributions a ${claimsJoin} where a.claimant_id is not null) p
               group by p.claimant_id order by n desc, p.claimant_id limit ${limit}) g
        join claimants c on c.id = g.key
       order by g.n desc, g.key`;
    noneCondition = sql`not exists (select 1 from attributions a where a.claim_id = ${claims.id} and a.claimant_id is not null)`;
  } else {
    groupQuery = sql`
      select p.publisher as key, count(*)::int as n
        from (select distinct s.publisher, a.claim_id
                from attributions a join sources s on s.id = a.source_id ${claimsJoin}
               where s.publisher is not null) p
       group by p.publisher order by n desc, key limit ${limit}`;
    noneCondition = sql`not exists (select 1 from attributions a join sources s on s.id = a.source_id where a.claim_id = ${claims.id} and s.publisher is not null)`;
  }
  const found = await rows<CountRow>(db, groupQuery);
  // Two plain counts: PostgreSQL runs a `where not exists` as one anti-join, a filtered aggregate as a million probes.
  const [{ total }] = await rows<{ total: number | string }>(db, sql`select count(*)::int as total from ${claims} where ${where}`);
  const [{ none }] = await rows<{ none: number | string }>(db, sql`select count(*)::int as none from ${claims} where ${where} and ${noneCondition}`);
  const groups: StatsGroupBody[] = found.map((r) => ({ key: r.key, label: r.label ?? r.key ?? '', count: asNumber(r.n) }));
  if (asNumber(none) > 0) groups.push({ key: null, label: NULL_LABELS[groupBy], count: asNumber(none) });
  return { group_by: groupBy, total: asNumber(total), groups };
}

const sum = (found: CountRow[]) => found.reduce((acc, r) => acc + asNumber(r.n), 0);

const DAY_MS = 86_400_000;

/** The start (UTC) of the bucket holding `t`. */
function bucketStart(unit: 'day' | 'week' | 'month', t: Date): Date {
  const day = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate());
  if (unit === 'day') return new Date(day);
  if (unit === 'week') return new Date(day - ((t.getUTCDay() + 6) % 7) * DAY_MS); // ISO weeks start on Monday
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
}

function nextBucket(unit: 'day' | 'week' | 'month', start: Date): Date {
  if (unit === 'day') return new Date(start.getTime() + DAY_MS);
  if (unit === 'week') return new Date(start.getTime() + 7 * DAY_MS);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** `2026-W10`: the ISO 8601 week of a Monday (the week's Thursday decides its year). */
function isoWeekLabel(monday: Date): string {
  const thursday = new Date(monday.getTime() + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

function bucketLabel(unit: 'day' | 'week' | 'month', start: Date): string {
  if (unit === 'week') return isoWeekLabel(start);
  if (unit === 'month') return isoDate(start).slice(0, 7);
  return isoDate(start);
}

async function timeStats(
  db: DbOrTx,
  unit: 'day' | 'week' | 'month',
  column: typeof claims.first_seen_at | typeof claims.created_at,
  where: SQL,
  from: Date | undefined,
  to: Date | undefined,
): Promise<ClaimStatsBody> {
  // to_char keeps the key a plain string whichever driver runs the query.
  const found = await rows<CountRow>(
    db,
    sql`select to_char(date_trunc(${unit}, ${column} at time zone 'UTC'), 'YYYY-MM-DD') as key, count(*)::int as n
          from ${claims} where ${where} group by 1`,
  );
  const counts = new Map(found.filter((r) => r.key !== null).map((r) => [r.key!, asNumber(r.n)]));
  const keys = [...counts.keys()].sort();
  const first = from ? bucketStart(unit, from) : keys.length ? new Date(`${keys[0]}T00:00:00Z`) : undefined;
  const last = to ? bucketStart(unit, new Date(to.getTime() - 1)) : keys.length ? new Date(`${keys[keys.length - 1]}T00:00:00Z`) : undefined;
  const groups: StatsGroupBody[] = [];
  let end: Date | undefined;
  if (first && last) {
    for (let start = first; start <= last; start = nextBucket(unit, start)) {
      if (groups.length === MAX_BUCKETS) {
        throw new InputProblem({
          field: 'group_by',
          code: 'validation_failed',
          message: `gives more than ${MAX_BUCKETS} buckets for this range`,
          detail: `More than ${MAX_BUCKETS} ${unit} buckets; narrow from/to or group by a longer period.`,
        });
      }
      const key = isoDate(start);
      groups.push({ key, label: bucketLabel(unit, start), count: counts.get(key) ?? 0 });
      end = nextBucket(unit, start);
    }
  }
  const none = found.find((r) => r.key === null);
  if (none) groups.push({ key: null, label: NULL_LABELS[unit], count: asNumber(none.n) });
  const body: ClaimStatsBody = { group_by: unit, total: sum(found), groups };
  if (first && end) {
    body.from = first.toISOString();
    body.to = end.toISOString();
  }
  return body;
}

export function statsOverview(db: Db): Promise<StatsOverviewBody> {
  return aggregating(db, overview);
}

async function overview(db: DbOrTx): Promise<StatsOverviewBody> {
  const weekAgo = new Date(Date.now() - 7 * DAY_MS).toISOString();
  // One after the other: they share the transaction's connection.
  const [totals] = await rows<Record<string, number | string | null>>(
    db,
    sql`select
          (select count(*) from sources)::int as sources,
          (select count(*) from claimants)::int as claimants,
          (select count(*) from claims)::int as claims,
          (select count(*) from attributions)::int as attributions,
          (select count(*) from reviews)::int as reviews,
          (select count(*) from sources where created_at >= ${weekAgo}::timestamptz)::int as sources_7d,
          (select count(*) from claims where created_at >= ${weekAgo}::timestamptz)::int as claims_7d,
          (select count(*) from reviews where created_at >= ${weekAgo}::timestamptz)::int as reviews_7d,
          (select coalesce(max(seq), 0) from events)::bigint::text as last_seq`,
  );
  const byStatusVerdict = await rows<{ status: string; verdict: string | null; n: number | string }>(
    db,
    sql`select status, verdict, count(*)::int as n from claims group by 1, 2`,
  );
  const recent = await rows<{ seq: number | string; type: string; entity_type: string; entity_id: string; occurred_at: string }>(
    db,
    sql`select e.seq::text as seq, e.type, e.entity_type, e.entity_id::text as entity_id,
               to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at
          from events e where e.entity_type <> 'api_key' order by e.seq desc limit 10`,
  );
  const byStatus = new Map<string, number>();
  const byVerdict = new Map<string | null, number>();
  for (const r of byStatusVerdict) {
    byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + asNumber(r.n));
    byVerdict.set(r.verdict, (byVerdict.get(r.verdict) ?? 0) + asNumber(r.n));
  }
  const claimsByVerdict: StatsGroupBody[] = VERDICTS.map((v) => ({ key: v, label: VERDICT_LABELS[v] ?? v, count: byVerdict.get(v) ?? 0 }));
  if (byVerdict.get(null)) claimsByVerdict.push({ key: null, label: NULL_LABELS.verdict, count: byVerdict.get(null)! });
  return {
    totals: {
      sources: asNumber(totals.sources),
      claimants: asNumber(totals.claimants),
      claims: asNumber(totals.claims),
      attributions: asNumber(totals.attributions),
      reviews: asNumber(totals.reviews),
    },
    created_last_7_days: { sources: asNumber(totals.sources_7d), claims: asNumber(totals.claims_7d), reviews: asNumber(totals.reviews_7d) },
    claims_by_status: CLAIM_STATUSES.map((s) => ({ key: s, label: STATUS_LABELS[s], count: byStatus.get(s) ?? 0 })),
    claims_by_verdict: claimsByVerdict,
    last_event_seq: asNumber(totals.last_seq),
    recent_events: recent.map((e) => ({ ...e, seq: asNumber(e.seq) })),
  };
}
