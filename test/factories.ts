import type { TestApp } from './helper.js';
import { rowsOf } from '../src/db/client.js';

/** Rows made through the API, so every test exercises validation and anchoring as clients do. */

let counter = 0;
const next = () => `${Date.now().toString(36)}-${++counter}`;

async function created<T>(res: { statusCode: number; body: string; json(): unknown }, what: string): Promise<T> {
  if (res.statusCode !== 201) throw new Error(`creating ${what} answered ${res.statusCode}: ${res.body}`);
  return res.json() as T;
}

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const HARBOUR_TEXT =
  'Council approves harbour tunnel\n\n' +
  'The city council voted 31 to 14 on Tuesday to build the harbour tunnel. ' +
  '“The harbour tunnel will cost 2.4 billion euros — not a cent more,” Mayor Ana Lindqvist said after the vote. ' +
  'The Port Authority said the project would create “12,000 jobs over ten years”, ' +
  'while opposition councillor Jonas Berg called the estimate ‘wishful thinking’.';

export function makeSource(app: TestApp, overrides: Json = {}): Promise<Json> {
  return app
    .post('/v1/sources', {
      kind: 'article',
      url: `https://harbourgazette.example/${next()}`,
      title: 'Council approves harbour tunnel',
      publisher: 'The Harbour Gazette',
      language: 'en',
      published_at: '2026-03-03T09:00:00Z',
      text: HARBOUR_TEXT,
      ...overrides,
    })
    .then((res) => created<Json>(res, 'source'));
}

export function makeClaimant(app: TestApp, overrides: Json = {}): Promise<Json> {
  return app
    .post('/v1/claimants', { name: `Claimant ${next()}`, kind: 'person', ...overrides })
    .then((res) => created<Json>(res, 'claimant'));
}

export function makeClaim(app: TestApp, overrides: Json = {}): Promise<Json> {
  return app
    .post('/v1/claims', { text: `The harbour tunnel will cost 2.4 billion euros (${next()})`, language: 'en', ...overrides })
    .then((res) => created<Json>(res, 'claim'));
}

export function makeAttribution(app: TestApp, body: Json): Promise<Json> {
  return app.post('/v1/attributions', body).then((res) => created<Json>(res, 'attribution'));
}

/** Reads every event, oldest first (straight from the table until the feed endpoint exists). */
export async function eventsOf(app: TestApp, entityId?: string): Promise<Json[]> {
  const { sql } = await import('drizzle-orm');
  const res = await app.database.db.execute(
    entityId
      ? sql`select * from events where entity_id = ${entityId}::uuid order by seq`
      : sql`select * from events order by seq`,
  );
  return rowsOf<Json>(res);
}

/** The content type every error answer carries (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

type Equal = { equal(...args: any[]): unknown }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Asserts an RFC 9457 problem answer (status, content type, `code`) and returns its body. */
export function expectProblem(
  t: Equal,
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
): Json {
  t.equal(res.statusCode, status, `answers ${status}`);
  t.equal(res.headers['content-type'], PROBLEM_JSON, 'as application/problem+json');
  const body = res.json() as Json;
  t.equal(body.code, code, `with code ${code}`);
  t.equal(body.status, status, 'and the status in the body');
  return body;
}

/** `total` of a list (`?count=true`), e.g. `countOf(api, '/v1/claims?status=in_review')`. */
export async function countOf(app: TestApp, path: string): Promise<number> {
  const res = await app.get(`${path}${path.includes('?') ? '&' : '?'}count=true&limit=1`);
  if (res.statusCode !== 200) throw new Error(`counting ${path} answered ${res.statusCode}: ${res.body}`);
  return (res.json() as Json).total as number;
}

/** The rows of every table the API lists, counted through HTTP, to show that a refused write changed nothing. */
export async function countAll(app: TestApp): Promise<Record<'sources' | 'claimants' | 'claims' | 'attributions', number>> {
  return {
    sources: await countOf(app, '/v1/sources'),
    claimants: await countOf(app, '/v1/claimants'),
    claims: await countOf(app, '/v1/claims'),
    attributions: await countOf(app, '/v1/attributions'),
  };
}

/** `[type, entity_id]` of every event, oldest first; compact enough to compare whole logs. */
export async function eventLog(app: TestApp, entityId?: string): Promise<[string, string][]> {
  return (await eventsOf(app, entityId)).map((e) => [e.type as string, e.entity_id as string]);
}

/** The ids of a list's rows, in order. */
export const idsOf = (res: { json(): unknown }): string[] => ((res.json() as Json).data as Json[]).map((row) => row.id as string);

/** A query string from an object, percent-encoded (`+`, `:` and spaces in timestamps and names). */
export const qs = (params: Record<string, string | number | boolean>): string =>
  new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
