import t from 'tap';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { TEST_ADMIN_KEY, openTestDatabase } from './helper.js';
import { PROBLEM_JSON, type Json } from './factories.js';
import { mulberry32 } from './support/random.js';

/*
 * Thousands of generated bad requests: malformed JSON, wrong
 * types for every field of every request body in the served OpenAPI document,
 * huge numbers, long and strange strings, injection strings, random paths,
 * methods, query strings, headers and content types, with and without a key.
 *
 * Every answer must be < 500, and every 4xx must be problem+json with a string
 * `code` and the HTTP status in `status`. A seeded PRNG makes a failure
 * repeatable: FUZZ_SEED=<seed> (printed below) replays the same requests.
 * FUZZ_MIN sets how many requests at least (default 6,000; the generators make
 * about 12,000), FUZZ_BULK how many mutated NDJSON bodies go to POST /v1/bulk
 * (default 600), FUZZ_HUNG_MS after how long a request counts as hung (15 s),
 * FUZZ_LOG=1 prints the app's error logs (to see a 500's cause). `npm run fuzz`
 * is the long run: 20,000 requests, 2,000 of them bulk bodies.
 * Then a few valid but nasty writes: NUL, RTL, emoji, lone surrogates, limits.
 */

const SEED = Number(process.env.FUZZ_SEED || Math.floor(Math.random() * 2 ** 31));
const MIN_REQUESTS = Number(process.env.FUZZ_MIN || 6_000);
t.comment(`fuzz seed ${SEED} (repeat with FUZZ_SEED=${SEED})`);
// Thirteen thousand requests take a minute or two on a quiet machine and more on a busy one;
// a request that hangs is caught by FUZZ_HUNG_MS, not by the file's timeout.
t.setTimeout(Math.max(420_000, Number(process.env.TAP_TIMEOUT ?? 0) * 1000));

// ---------------------------------------------------------------- the app

// PGlite needs no I/O handle, so while the top level awaits it the event loop can look
// idle and tap would end this file early (closing the app under us). A timer holds it
// open until the subtests are queued.
const keepAlive = setInterval(() => {}, 1_000);

const database = await openTestDatabase();
// Rate limiting would turn most of the run into 429s; it has its own tests (and one check below).
const app = await buildApp({
  config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY, CLAIMLEDGER_RATE_LIMIT: '1000000000' }),
  database,
  migrate: false,
  logger: process.env.FUZZ_LOG ? { level: 'error' } : false,
});
t.teardown(async () => {
  await app.close();
  await database.close();
});

/** Like the helper's `api.request`: sends the admin key unless `headers.authorization` is given (null: no header). */
function request(options: InjectOptions): Promise<LightMyRequestResponse> {
  const headers = { ...(options.headers ?? {}) } as Record<string, string | undefined>;
  if (!('authorization' in headers)) headers.authorization = `Bearer ${TEST_ADMIN_KEY}`;
  else if (headers.authorization == null) delete headers.authorization;
  return app.inject({ ...options, headers: headers as InjectOptions['headers'] });
}
const api = { request };

// ---------------------------------------------------------------- randomness

const rand = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
const chance = (p: number) => rand() < p;
const randomUuid = () => {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
};

// ---------------------------------------------------------------- JSON with raw literals

/** A JSON fragment written as is: numbers JSON.stringify cannot write (1e309, 2^63) and escapes like lone surrogates. */
class Raw {
  constructor(readonly text: string) {}
}
const raw = (text: string) => new Raw(text);

/** JSON.stringify that writes Raw values verbatim. */
function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `@@RAW${raws.length - 1}@@`;
    }
    return v;
  });
  return raws.length ? text.replace(/"@@RAW(\d+)@@"/g, (_m, i: string) => raws[Number(i)]) : text;
}

// ---------------------------------------------------------------- the contract under test

const LEAKS = /Failed query|drizzle|DrizzleQueryError|\bat [\w.<>]+ \(|node_modules|\.ts:\d+:\d+|\bSELECT\b.*\bFROM\b|pglite|sqlstate/i;

interface Case {
  kind: string;
  label: string;
  options: InjectOptions;
}

interface Failure {
  seq: number;
  kind: string;
  label: string;
  request: string;
  status: number;
  why: string;
  body: string;
}

/** Why this answer breaks the contract, or undefined. */
function breach(c: Case, res: LightMyRequestResponse): string | undefined {
  if (res.statusCode >= 500) return `answered ${res.statusCode}`;
  if (res.statusCode < 400) return undefined;
  if (res.headers['content-type'] !== PROBLEM_JSON) return `a ${res.statusCode} with content-type ${String(res.headers['content-type'])}`;
  if (c.options.method === 'HEAD') return undefined;
  let body: Json;
  try {
    body = JSON.parse(res.body) as Json;
  } catch {
    return `a ${res.statusCode} whose body is not JSON`;
  }
  if (typeof body.code !== 'string') return `a ${res.statusCode} without a string code`;
  if (body.status !== res.statusCode) return `a ${res.statusCode} with status ${JSON.stringify(body.status)} in the body`;
  if (LEAKS.test(res.body)) return `a ${res.statusCode} that leaks internals`;
  return undefined;
}

const failures: Failure[] = [];
const statuses = new Map<string, Map<number, number>>();
const unsendable = new Map<string, number>();
let sent = 0;

const describeRequest = (o: InjectOptions) => {
  const url = String(o.url ?? '');
  const payload = o.payload === undefined ? '' : ` ${Buffer.isBuffer(o.payload) ? `<${o.payload.length} bytes>` : String(o.payload).slice(0, 160)}`;
  const headers = Object.entries(o.headers ?? {})
    .filter(([k]) => k !== 'authorization' || o.headers?.authorization !== `Bearer ${TEST_ADMIN_KEY}`)
    .map(([k, v]) => `${k}: ${String(v).slice(0, 60)}`)
    .join('; ');
  return `${o.method} ${url.length > 160 ? `${url.slice(0, 160)}…(${url.length})` : url}${headers ? ` [${headers}]` : ''}${payload}`;
};

/** An answer slower than this counts as a hung request. */
const HUNG_MS = Number(process.env.FUZZ_HUNG_MS || 15_000);
let hung = 0;

async function run(c: Case) {
  let res: LightMyRequestResponse;
  try {
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      api.request(c.options),
      new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), HUNG_MS))),
    ]).finally(() => clearTimeout(timer));
    if (answer === 'hung') {
      hung++;
      failures.push({ seq: ++sent, kind: c.kind, label: c.label, request: describeRequest(c.options), status: 0, why: `no answer within ${HUNG_MS} ms`, body: '' });
      return;
    }
    res = answer;
  } catch (err) {
    // light-my-request refuses some requests outright (invalid header values): they never reach the app.
    unsendable.set(`${c.kind}: ${(err as Error).message.slice(0, 80)}`, (unsendable.get(`${c.kind}: ${(err as Error).message.slice(0, 80)}`) ?? 0) + 1);
    return;
  }
  sent++;
  const byKind = statuses.get(c.kind) ?? new Map<number, number>();
  byKind.set(res.statusCode, (byKind.get(res.statusCode) ?? 0) + 1);
  statuses.set(c.kind, byKind);
  const why = breach(c, res);
  if (why) failures.push({ seq: sent, kind: c.kind, label: c.label, request: describeRequest(c.options), status: res.statusCode, why, body: res.body.slice(0, 300) });
}

// ---------------------------------------------------------------- the served OpenAPI document

type Schema = Json;
const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as Json;
const components = (doc.components?.schemas ?? {}) as Record<string, Schema>;

function resolve(schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) s = components[String(s.$ref).replace('#/components/schemas/', '')] ?? {};
  return s;
}
/** The non-null branch of `anyOf: [X, null]`, resolved. */
function core(schema: Schema | undefined): Schema {
  const s = resolve(schema);
  const branches = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (branches) return core(branches.find((b) => resolve(b).type !== 'null') ?? branches[0]);
  return s;
}

interface Operation {
  method: string;
  path: string;
  bodySchema?: Schema;
  bodyTypes: string[];
  query: { name: string; schema: Schema }[];
}

const operations: Operation[] = [];
for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
  for (const [method, op] of Object.entries(item)) {
    if (!['get', 'post', 'put', 'patch', 'delete'].includes(method) || !op?.operationId) continue;
    const content = (op.requestBody?.content ?? {}) as Record<string, Json>;
    operations.push({
      method: method.toUpperCase(),
      path,
      bodySchema: content['application/json']?.schema,
      bodyTypes: Object.keys(content),
      query: ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'query').map((p) => ({ name: p.name as string, schema: p.schema as Schema })),
    });
  }
}
const writes = operations.filter((o) => o.bodyTypes.length > 0);
const jsonWrites = writes.filter((o) => o.bodySchema);
const reads = operations.filter((o) => o.method === 'GET');

// ---------------------------------------------------------------- rows to point at

async function create(url: string, body: Json): Promise<Json> {
  const res = await api.request({ method: 'POST', url, payload: body });
  if (res.statusCode !== 201) throw new Error(`fixture ${url} answered ${res.statusCode}: ${res.body}`);
  return res.json() as Json;
}
const SOURCE_TEXT = 'The mayor said the tunnel will cost 2.4 billion euros. Critics called it wishful thinking.';
const source = await create('/v1/sources', { kind: 'article', title: 'Fuzz source', url: `https://fuzz.example/${SEED}`, text: SOURCE_TEXT });
const claimant = await create('/v1/claimants', { name: `Fuzz claimant ${SEED}`, kind: 'person' });
const claim = await create('/v1/claims', {
  text: 'The tunnel will cost 2.4 billion euros',
  attributions: [{ source_id: source.id, claimant_id: claimant.id, quote: 'the tunnel will cost 2.4 billion euros' }],
});
const attribution = (claim.attributions as Json[])[0];
const review = await create(`/v1/claims/${claim.id}/reviews`, { verdict: 'mostly_false' });

/** A real id for the resource a path segment names, for paths like /v1/claims/{id}/reviews. */
const REAL_IDS: Record<string, string> = {
  sources: source.id,
  claimants: claimant.id,
  claims: claim.id,
  attributions: attribution.id,
  reviews: review.id,
};
function realPath(path: string): string {
  return path.replace(/\/([a-z_]+)\/\{[^}]+\}/g, (_m, collection: string) => `/${collection}/${REAL_IDS[collection] ?? randomUuid()}`);
}
const anyPath = (path: string, id: string) => path.replace(/\{[^}]+\}/g, id);

// ---------------------------------------------------------------- valid bodies from schemas

function sampleString(s: Schema, name: string): string {
  if (s.format === 'uuid') {
    const collection = `${name.replace(/_id$/, '')}s`;
    return REAL_IDS[collection] ?? randomUuid();
  }
  if (s.format === 'date-time') return '2026-03-03T09:00:00Z';
  if (s.format === 'uri' || /url$/.test(name)) return `https://fuzz.example/${Math.floor(rand() * 1e9)}`;
  if (typeof s.pattern === 'string') {
    for (const candidate of ['en', 'Q42', 'x', 'a1', 'https://fuzz.example/', 'unreviewed']) if (new RegExp(s.pattern).test(candidate)) return candidate;
  }
  const text = name === 'quote' ? 'the tunnel will cost 2.4 billion euros' : `fuzz ${name}`;
  return typeof s.maxLength === 'number' && text.length > s.maxLength ? 'x'.repeat(Math.max(1, s.minLength ?? 1)) : text;
}

/** A value the schema accepts (best effort: only required properties of objects). */
function sample(schema: Schema | undefined, name = '', depth = 0): unknown {
  const s = core(schema);
  if (Array.isArray(s.enum)) return s.enum[0];
  if ('const' in s) return s.const;
  switch (s.type) {
    case 'string':
      return sampleString(s, name);
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, Math.min(1, s.maximum ?? 1));
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sample(s.items, name, depth + 1));
    case 'object': {
      const out: Json = {};
      if (depth > 4) return out;
      for (const key of (s.required ?? []) as string[]) out[key] = sample(s.properties?.[key], key, depth + 1);
      return out;
    }
    default:
      return 'fuzz';
  }
}

interface Mutation {
  path: string;
  build(value: unknown): unknown;
  schema: Schema;
}

/** Every property of a body, nested objects and arrays of objects included, with a way to put a value there. */
function mutations(schema: Schema, depth = 0): Mutation[] {
  const s = core(schema);
  const out: Mutation[] = [];
  for (const [name, prop] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
    const base = () => sample(s, '', depth) as Json;
    out.push({ path: name, schema: prop, build: (v) => ({ ...base(), [name]: v }) });
    if (depth >= 3) continue;
    const inner = core(prop);
    if (inner.type === 'object' && inner.properties) {
      for (const m of mutations(inner, depth + 1)) out.push({ path: `${name}.${m.path}`, schema: m.schema, build: (v) => ({ ...base(), [name]: m.build(v) }) });
    }
    const items = inner.type === 'array' ? core(inner.items) : undefined;
    if (items?.type === 'object' && items.properties) {
      for (const m of mutations(items, depth + 1)) out.push({ path: `${name}[0].${m.path}`, schema: m.schema, build: (v) => ({ ...base(), [name]: [m.build(v)] }) });
    }
  }
  return out;
}

/** Free-form object properties (`additionalProperties: true`): the one place arbitrary JSON gets through validation. */
function freeForm(schema: Schema): string[] {
  const s = core(schema);
  return Object.entries((s.properties ?? {}) as Record<string, Schema>)
    .filter(([, p]) => {
      const c = core(p);
      return c.type === 'object' && c.additionalProperties !== false && !c.properties;
    })
    .map(([name]) => name);
}

// ---------------------------------------------------------------- bad values

const nested = (depth: number, open: string, close: string, middle = '1') => open.repeat(depth) + middle + close.repeat(depth);

const WRONG_VALUES: [string, unknown][] = [
  ['integer', 12345],
  ['negative', -1],
  ['zero', 0],
  ['fraction', 1.5],
  ['1e308', 1e308],
  ['-1e308', -1e308],
  ['1e309 literal (Infinity)', raw('1e309')],
  ['-1e309 literal', raw('-1e309')],
  ['2^63', raw('9223372036854775808')],
  ['2^64', raw('18446744073709551616')],
  ['-2^63-1', raw('-9223372036854775809')],
  ['2^53+1', raw('9007199254740993')],
  ['1e-400', raw('1e-400')],
  ['500-digit fraction', raw(`0.${'1'.repeat(500)}`)],
  ['-0', raw('-0')],
  ['true', true],
  ['false', false],
  ['null', null],
  ['empty object', {}],
  ['empty array', []],
  ['[null]', [null]],
  ['nested arrays', [[[[]]]]],
  ['10,000 items', Array.from({ length: 10_000 }, () => 'x')],
  ['{"$ne":1}', { $ne: 1 }],
  ['{"$gt":""}', { $gt: '' }],
  ['__proto__', raw('{"__proto__":{"polluted":true}}')],
  ['constructor.prototype', raw('{"constructor":{"prototype":{"polluted":true}}}')],
  ['empty string', ''],
  ['blanks', ' \t\n '],
  ['100k chars', 'x'.repeat(100_000)],
  ['100k emoji', '😀'.repeat(100_000)],
  ['301 emoji', '😀'.repeat(301)],
  ['2001 emoji', '😀'.repeat(2001)],
  ['NUL', '\u0000'],
  ['NUL inside', 'a\u0000b'],
  ['lone high surrogate', raw('"\\ud800"')],
  ['lone low surrogate', raw('"x\\udc00"')],
  ['swapped surrogates', raw('"\\udc00\\ud800"')],
  ['RTL override', '\u202Eevil.exe\u202C'],
  ['RTL marks', '\u200F\u200E\u061C'],
  ['zero width', '\u200B\u200D\uFEFF'],
  ['emoji', '👩🏽‍🔬🇸🇪'],
  ['combining marks', `e${'\u0301'.repeat(500)}`],
  ['control chars', '\u0001\u0007\u001b[31m\u007f'],
  ['non-characters', '\uFFFE\uFFFF'],
  ['SQL quote', "' OR '1'='1"],
  ['SQL drop', "'; DROP TABLE claims; --"],
  ['SQL sleep', "1); SELECT pg_sleep(10); --"],
  ['SQL like', '%_%\\'],
  ['path traversal', '../../etc/passwd'],
  ['encoded traversal', '..%2F..%2Fetc%2Fpasswd'],
  ['script', '<script>alert(1)</script>'],
  ['templates', '${7*7}{{7*7}}#{7*7}'],
  ['format string', '%s%s%n%x'],
  ['jndi', '${jndi:ldap://fuzz.example/a}'],
  ['CRLF', 'a\r\nSet-Cookie: x=1'],
  ['zero uuid', '00000000-0000-0000-0000-000000000000'],
  ['not a uuid', 'not-a-uuid'],
  ['uuid with braces', '{0190c1b2-0000-7000-8000-000000000000}'],
  ['bad date', '2026-13-45T25:61:61Z'],
  ['far future date', '+275760-09-13T00:00:00.001Z'],
  ['year 0', '0000-01-01T00:00:00Z'],
  ['year 0 once in UTC', '0001-01-01T00:30:00+01:00'],
  ['date without zone', '2026-03-03T09:00:00'],
  ['javascript url', 'javascript:alert(1)'],
  ['broken url', 'http://[::1'],
  ['number as string', '12345'],
  ['upper-case enum', 'ARTICLE'],
];

/** Bodies that are not JSON, or are JSON of the wrong shape, for every write. */
const MALFORMED: [string, string | Buffer][] = [
  ['empty', ''],
  ['only whitespace', ' \n\t '],
  ['lone brace', '{'],
  ['truncated', '{"text": "The tunnel'],
  ['truncated after key', '{"text":'],
  ['unclosed array', '{"topics": ["a", "b"'],
  ['trailing garbage', '{"text":"x"} garbage'],
  ['two documents', '{"text":"x"}{"text":"y"}'],
  ['trailing comma', '{"text":"x",}'],
  ['single quotes', "{'text':'x'}"],
  ['unquoted key', '{text:"x"}'],
  ['comment', '/* c */ {"text":"x"}'],
  ['BOM', '\uFEFF{"text":"x"}'],
  ['double BOM', '\uFEFF\uFEFF{"text":"x"}'],
  ['NaN', '{"text":"x","rating_value":NaN}'],
  ['Infinity', '{"text":Infinity}'],
  ['-Infinity', '{"text":-Infinity}'],
  ['undefined', '{"text":undefined}'],
  ['hex number', '{"text":0x10}'],
  ['leading zeros', '{"text":007}'],
  ['plus sign', '{"text":+1}'],
  ['bad escape', '{"text":"\\x41"}'],
  ['short unicode escape', '{"text":"\\u12"}'],
  ['raw newline in string', '{"text":"a\nb"}'],
  ['raw NUL', '{"text":"a\u0000b"}'],
  ['NUL after document', '{"text":"x"}\u0000'],
  ['escaped NUL key', '{"\\u0000":"x"}'],
  ['duplicate keys', '{"text":"x","text":"y"}'],
  ['null', 'null'],
  ['true', 'true'],
  ['number', '42'],
  ['string', '"text"'],
  ['array', '[]'],
  ['array of objects', '[{"text":"x"}]'],
  ['__proto__', '{"__proto__":{"polluted":true},"text":"x"}'],
  ['constructor.prototype', '{"constructor":{"prototype":{"polluted":true}},"text":"x"}'],
  ['10k nested arrays', nested(10_000, '[', ']')],
  ['10k nested objects', nested(10_000, '{"a":', '}')],
  ['100k nested arrays', nested(100_000, '[', ']')],
  ['deep nesting in a field', `{"text":${nested(10_000, '[', ']')}}`],
  ['huge exponent', '{"text":1e999999999}'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])],
  ['UTF-16 body', Buffer.from('{"text":"x"}', 'utf16le')],
  ['overlong UTF-8 slash', Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d])],
  ['CESU surrogate bytes', Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])],
];

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json;;;',
  'application/jsonx',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/merge-patch+json',
  '*/*',
  'json',
  '',
  'application/json, text/plain',
  `application/json; ${'x'.repeat(5000)}`,
];

const AUTHORIZATIONS: (string | null)[] = [
  null,
  '',
  'Bearer',
  'Bearer ',
  'Bearer  ',
  `bearer ${TEST_ADMIN_KEY}`,
  `Bearer ${TEST_ADMIN_KEY}x`,
  `Bearer ${TEST_ADMIN_KEY.slice(0, -1)}`,
  `Bearer ${TEST_ADMIN_KEY} ${TEST_ADMIN_KEY}`,
  `Basic ${Buffer.from(`admin:${TEST_ADMIN_KEY}`).toString('base64')}`,
  `Token ${TEST_ADMIN_KEY}`,
  `Bearer ${'x'.repeat(10_000)}`,
  'Bearer clk_',
  "Bearer ' OR 1=1 --",
  'Bearer %00',
  'Bearer null',
  'Bearer undefined',
  `Bearer ${TEST_ADMIN_KEY}\t`,
  'Bearer \u00e9\u00e8',
];

// ---------------------------------------------------------------- generators

const cases: Case[] = [];
const add = (kind: string, label: string, options: InjectOptions) => cases.push({ kind, label, options });

// 1. Malformed bodies on every write (JSON ones as JSON; other media types get garbage in theirs).
for (const op of writes) {
  for (const [label, payload] of MALFORMED) {
    for (const type of op.bodyTypes) {
      add('malformed body', label, { method: op.method, url: realPath(op.path), headers: { 'content-type': type }, payload });
    }
  }
}

// 2. Wrong types and nasty values for every field of every JSON body (nested ones too).
const fieldCount = { fields: 0 };
for (const op of jsonWrites) {
  const muts = mutations(op.bodySchema!);
  fieldCount.fields += muts.length;
  for (const m of muts) {
    for (const [label, value] of WRONG_VALUES) {
      add('wrong type', `${op.method} ${op.path} ${m.path} = ${label}`, {
        method: op.method,
        url: chance(0.15) ? anyPath(op.path, randomUuid()) : realPath(op.path),
        headers: { 'content-type': 'application/json' },
        payload: toJson(m.build(value)),
      });
    }
  }
  // Whole-body oddities: unknown fields, an empty object, every property null.
  const base = sample(op.bodySchema) as Json;
  add('wrong type', `${op.path} unknown field`, { method: op.method, url: realPath(op.path), headers: { 'content-type': 'application/json' }, payload: toJson({ ...base, is_admin: true }) });
  add('wrong type', `${op.path} empty object`, { method: op.method, url: realPath(op.path), headers: { 'content-type': 'application/json' }, payload: '{}' });
  const allNull = Object.fromEntries(Object.keys(core(op.bodySchema).properties ?? {}).map((k) => [k, null]));
  add('wrong type', `${op.path} all null`, { method: op.method, url: realPath(op.path), headers: { 'content-type': 'application/json' }, payload: toJson(allNull) });
  add('wrong type', `${op.path} 1,000 unknown fields`, {
    method: op.method,
    url: realPath(op.path),
    headers: { 'content-type': 'application/json' },
    payload: toJson({ ...base, ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])) }),
  });
  // Free-form objects take any JSON: the deepest, widest and strangest.
  for (const field of freeForm(op.bodySchema!)) {
    const body = (inner: string) => toJson({ ...base, [field]: raw(inner) });
    const ff: [string, string][] = [
      ['10k-deep arrays', `{"a":${nested(10_000, '[', ']')}}`],
      ['10k-deep objects', nested(10_000, '{"a":', '}')],
      ['1,000 keys', toJson(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])))],
      ['NUL value', '{"a":"\\u0000"}'],
      ['NUL key', '{"\\u0000":1}'],
      ['lone surrogate', '{"a":"\\ud800"}'],
      ['huge number', '{"a":1e309}'],
      ['2^64', '{"a":18446744073709551616}'],
      ['__proto__', '{"__proto__":{"polluted":true}}'],
      ['100k string', toJson({ a: 'x'.repeat(100_000) })],
    ];
    for (const [label, inner] of ff) add('wrong type', `${op.path} ${field} ${label}`, { method: op.method, url: realPath(op.path), headers: { 'content-type': 'application/json' }, payload: body(inner) });
  }
}

// 3. Wrong content types on every write, with a body that would otherwise be valid.
for (const op of jsonWrites) {
  const payload = toJson(sample(op.bodySchema));
  for (const type of CONTENT_TYPES) add('content type', `${op.path} as ${type.slice(0, 40)}`, { method: op.method, url: realPath(op.path), headers: { 'content-type': type }, payload });
  add('content type', `${op.path} without content-type`, { method: op.method, url: realPath(op.path), payload: Buffer.from(payload) });
  add('content type', `${op.path} gzip-encoded (not really)`, { method: op.method, url: realPath(op.path), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload });
}

// 4. Random paths and methods.
const ID_VARIANTS = [
  '%00',
  '%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%F0%9F%98%80',
  '😀',
  '..%2F..%2Fetc%2Fpasswd',
  '..',
  '.',
  'a%2Fb',
  '%2e%2e%2f',
  "1' OR '1'='1",
  '1;DROP TABLE claims',
  '<script>',
  '-1',
  '0',
  '9223372036854775808',
  'null',
  'undefined',
  '{id}',
  ':id',
  '*',
  'x'.repeat(101),
  'x'.repeat(5000),
  '0190C1B2-0000-7000-8000-000000000000',
  '0190c1b2-0000-7000-8000-00000000000',
  '0190c1b2000070008000000000000000',
  '%7B0190c1b2-0000-7000-8000-000000000000%7D',
  '0190c1b2-0000-7000-8000-000000000000%00',
  ' 0190c1b2-0000-7000-8000-000000000000',
];
const ODD_PATHS = [
  '/',
  '//',
  '///v1///claims',
  '/v1',
  '/v1/',
  '/v1//claims',
  '/V1/CLAIMS',
  '/v2/claims',
  '/v1/claims/x/y/z',
  '/v1/claims%2F',
  '/v1%2Fclaims',
  '/v1/claims;jsessionid=1',
  '/v1/claims/..',
  '/v1/claims/../keys',
  '/v1/./claims',
  '/.env',
  '/.git/config',
  '/admin',
  '/server-status',
  '/docs/../openapi.json',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/..%252f..%252fetc%252fpasswd',
  '/v1/claims%00',
  '/v1/claims\u0000',
  '/v1/claims?#',
  `/${'a/'.repeat(2000)}`,
  `/v1/claims/${'x'.repeat(100_000)}`,
  `/${'%'.repeat(100)}`,
  '/favicon.ico',
  '/robots.txt',
  '/metrics/',
  '/openapi.json/x',
  '/docs/static/../../../package.json',
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'LOCK', 'MKCOL', 'PURGE', 'REPORT', 'QUERY'];
for (const op of operations) {
  for (const id of ID_VARIANTS) {
    if (!op.path.includes('{')) continue;
    add('paths and methods', `${op.method} ${op.path} id=${id.slice(0, 30)}`, { method: op.method, url: anyPath(op.path, id), ...(op.bodySchema ? { payload: toJson(sample(op.bodySchema)), headers: { 'content-type': 'application/json' } } : {}) });
  }
  for (const method of METHODS) {
    if (method === op.method) continue;
    // Other methods on a real row's path must not delete or change it: DELETE only ever gets a random id.
    const url = method === 'DELETE' ? anyPath(op.path, randomUuid()) : realPath(op.path);
    add('paths and methods', `${method} on ${op.method} ${op.path}`, { method, url, ...(chance(0.5) ? { headers: { 'content-type': 'application/json' }, payload: '{}' } : {}) });
  }
}
for (const path of ODD_PATHS) for (const method of ['GET', 'POST', 'DELETE', 'OPTIONS', 'TRACE']) add('paths and methods', `${method} ${path.slice(0, 40)}`, { method, url: path });

// 5. Query strings on every GET: unknown, repeated, array-style, huge and malformed parameters.
const QUERY_VALUES = [
  '',
  'x',
  '-1',
  '0',
  '1.5',
  '1e309',
  '99999999999999999999',
  '2147483648',
  '9223372036854775808',
  'NaN',
  'Infinity',
  'true',
  'false',
  'null',
  '[]',
  '{}',
  '%00',
  '%zz',
  '%',
  '%F0%9F%98%80',
  '%E2%80%AE',
  'x'.repeat(3000),
  encodeURIComponent("' OR 1=1 --"),
  encodeURIComponent('%_\\'),
  encodeURIComponent('<script>alert(1)</script>'),
  encodeURIComponent('{"$ne":1}'),
  '0190c1b2-0000-7000-8000-000000000000',
  'not-a-uuid',
  '2026-13-45T25:61:61Z',
  '%2B275760-09-13T00%3A00%3A00.001Z',
  '-000001-01-01T00%3A00%3A00Z',
  '0000-01-01T00%3A00%3A00Z',
  Buffer.from('{"l":"claims","s":"-created_at","v":"x","id":"y"}').toString('base64url'),
  Buffer.from('{"l":"claims","s":"-created_at","v":null,"id":"0190c1b2-0000-7000-8000-000000000000"}').toString('base64url'),
  Buffer.from('{"l":"claims","s":"-created_at","v":"9999-99-99T99:99:99.999Z","id":"0190c1b2-0000-7000-8000-000000000000"}').toString('base64url'),
  Buffer.from('{"l":"claims","s":"attribution_count","v":"99999999999999999999","id":"0190c1b2-0000-7000-8000-000000000000"}').toString('base64url'),
  Buffer.from('{"l":"claims","s":"-created_at","v":{"$ne":1},"id":["x"]}').toString('base64url'),
  Buffer.from('[1,2,3]').toString('base64url'),
  Buffer.from('null').toString('base64url'),
  Buffer.from(nested(5000, '[', ']')).toString('base64url'),
  '!!!not-base64!!!',
];
const UNKNOWN_PARAMS = ['foo', 'api_key', 'access_token', '__proto__', 'constructor', 'limit[]', 'limit[0]', 'sort[$ne]', 'a.b', '', '%00', 'x'.repeat(2000)];
for (let i = 0; i < 1500; i++) {
  const op = pick(reads);
  const names = [...op.query.map((q) => q.name), ...UNKNOWN_PARAMS];
  const parts: string[] = [];
  const n = 1 + Math.floor(rand() * 4);
  for (let j = 0; j < n; j++) {
    const name = pick(names);
    const value = chance(0.15) ? sampleQueryValue(op, name) : pick(QUERY_VALUES);
    parts.push(`${encodeURIComponent(name).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${value}`);
    if (chance(0.15)) parts.push(`${name}=${pick(QUERY_VALUES)}`); // repeated
  }
  if (chance(0.05)) parts.push('&&&==&');
  const url = `${realPath(op.path)}?${parts.join('&')}`;
  add('query strings', `${op.path} ?${parts.join('&').slice(0, 80)}`, { method: 'GET', url });
}
function sampleQueryValue(op: Operation, name: string): string {
  const q = op.query.find((p) => p.name === name);
  const v = q ? sample(q.schema, name) : 'x';
  return encodeURIComponent(String(v));
}
// Lists with limits far outside their bounds.
for (const op of reads.filter((o) => o.query.some((q) => q.name === 'limit'))) {
  for (const limit of ['0', '-1', '201', '1000000', '1e6', '2.5', '0x10', '9223372036854775808', 'all', '1&limit=2', '1&limit=1000000']) {
    add('query strings', `${op.path} limit=${limit}`, { method: 'GET', url: `${realPath(op.path)}?limit=${limit}` });
  }
}

// 6. Headers: keys, preconditions, idempotency keys, accept, on random operations.
const HEADER_SETS: [string, Record<string, string | null>][] = [
  ...AUTHORIZATIONS.map((a): [string, Record<string, string | null>] => [`authorization ${String(a).slice(0, 30)}`, { authorization: a }]),
  ['if-match garbage', { 'if-match': 'garbage' }],
  ['if-match weak', { 'if-match': 'W/"1"' }],
  ['if-match huge version', { 'if-match': '"99999999999999999999"' }],
  ['if-match negative', { 'if-match': '"-1"' }],
  ['if-match list', { 'if-match': '"1", "2", *' }],
  ['if-match star', { 'if-match': '*' }],
  ['if-none-match garbage', { 'if-none-match': '"\'; DROP TABLE claims; --"' }],
  ['if-none-match long', { 'if-none-match': `"${'x'.repeat(10_000)}"` }],
  ['idempotency-key empty', { 'idempotency-key': '' }],
  ['idempotency-key long', { 'idempotency-key': 'k'.repeat(10_000) }],
  ['idempotency-key sql', { 'idempotency-key': "'; DROP TABLE idempotency_keys; --" }],
  ['idempotency-key latin1', { 'idempotency-key': '\u00e9\u00e8\u00ff' }],
  ['accept xml', { accept: 'application/xml' }],
  ['accept nothing', { accept: '' }],
  ['accept garbage', { accept: ';;;,,,q=x' }],
  ['x-request-id long', { 'x-request-id': 'r'.repeat(10_000) }],
  ['x-request-id injection', { 'x-request-id': '"}\\n{"level":60' }],
  ['range', { range: 'bytes=0-0,-1' }],
  ['expect', { expect: '100-continue' }],
  ['transfer-encoding', { 'transfer-encoding': 'chunked, identity' }],
  ['x-forwarded-for', { 'x-forwarded-for': '1.1.1.1, <script>' }],
  ['host garbage', { host: 'evil.example:99999' }],
  ['origin', { origin: 'https://evil.example' }],
];
for (let i = 0; i < 700; i++) {
  const op = pick(operations);
  const [label, headers] = pick(HEADER_SETS);
  const hasBody = Boolean(op.bodySchema);
  const url = op.method === 'DELETE' ? anyPath(op.path, randomUuid()) : realPath(op.path);
  add('headers', `${op.method} ${op.path} ${label}`, {
    method: op.method,
    url,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...headers } as InjectOptions['headers'],
    ...(hasBody ? { payload: toJson(chance(0.5) ? sample(op.bodySchema) : { bogus: true }) } : {}),
  });
}

// Hosts a client may claim, on every list with a next page (the Link header is built from the request).
const HOSTS = ['evil.example:99999', 'evil.example:-1', '[::1', 'a b', 'evil.example/path?x=1', 'évil.example', '%00', 'x'.repeat(3000), ''];
for (const op of reads.filter((o) => o.query.some((q) => q.name === 'limit'))) {
  for (const host of HOSTS) add('headers', `${op.path} host ${host.slice(0, 30)}`, { method: 'GET', url: `${realPath(op.path)}?limit=1`, headers: { host } });
}

// NDJSON lines for POST /v1/bulk, mutated from valid ones: cut, bytes flipped, fields dropped or
// given wrong types, refs dangling or repeated, control characters, huge numbers, broken UTF-8.
const BULK_COUNT = Number(process.env.FUZZ_BULK || 600);
const validBulkLines = (n: number): Json[] => [
  { type: 'source', ref: `s${n}`, data: { kind: 'article', title: `Fuzzed source ${n}`, url: `https://fuzz.example/bulk-${SEED}-${n}`, text: SOURCE_TEXT } },
  { type: 'claimant', ref: `p${n}`, data: { name: `Fuzzed Person ${n}`, kind: 'person' } },
  { type: 'claim', ref: `c${n}`, data: { text: `The tunnel will cost ${n} billion euros`, topics: ['budget'] } },
  { type: 'attribution', data: { claim_ref: `c${n}`, source_ref: `s${n}`, claimant_ref: `p${n}`, quote: 'the tunnel will cost 2.4 billion euros' } },
  { type: 'review', data: { claim_ref: `c${n}`, verdict: 'false', evidence: [{ source_ref: `s${n}`, stance: 'refutes' }] } },
];
const LINE_MUTATIONS: [string, (line: Json, text: string) => string | Buffer][] = [
  ['cut short', (_l, text) => text.slice(0, Math.floor(rand() * text.length))],
  ['a byte flipped', (_l, text) => {
    const bytes = Buffer.from(text);
    bytes[Math.floor(rand() * bytes.length)] ^= 1 << Math.floor(rand() * 8);
    return bytes;
  }],
  ['invalid UTF-8', (_l, text) => Buffer.concat([Buffer.from(text.slice(0, 10)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(text.slice(10))])],
  ['no data', (l) => toJson({ ...l, data: undefined })],
  ['data not an object', (l) => toJson({ ...l, data: pick([null, 1, 'x', [], true]) })],
  ['unknown type', (l) => toJson({ ...l, type: pick(['Source', 'user', '', 'api_key', '__proto__']) })],
  ['a field of the wrong type', (l) => {
    const keys = Object.keys(l.data as Json);
    return toJson({ ...l, data: { ...(l.data as Json), [pick(keys)]: pick([null, 12345, true, [], {}, 'x'.repeat(5000), raw('1e309'), raw('9223372036854775808')]) } });
  }],
  ['an unknown field', (l) => toJson({ ...l, data: { ...(l.data as Json), [pick(['__proto__', 'constructor', 'id', 'version', 'created_at'])]: 'x' } })],
  ['a dangling ref', (l) => toJson({ ...l, data: { ...(l.data as Json), claim_ref: 'nowhere', source_ref: randomUuid() } })],
  ['control characters', (l) => toJson({ ...l, ref: `r\u0000${l.ref ?? ''}`, data: { ...(l.data as Json), title: 'a\u202Eb', name: 'x\u0007' } })],
  ['a huge ref', (l) => toJson({ ...l, ref: 'r'.repeat(10_000) })],
  ['a JSON array', (l) => toJson([l])],
  ['a bare CR inside', (_l, text) => text.replace(',', ',\r')],
];
for (let n = 0; n < BULK_COUNT; n++) {
  const lines = validBulkLines(n);
  const which = Math.floor(rand() * lines.length);
  const [label, mutate] = pick(LINE_MUTATIONS);
  const pieces: Buffer[] = lines.map((l, i) => {
    const text = toJson(l);
    const out = i === which ? mutate(l, text) : text;
    return Buffer.concat([Buffer.isBuffer(out) ? out : Buffer.from(out), Buffer.from(chance(0.2) ? '\r\n' : '\n')]);
  });
  if (chance(0.1)) pieces.push(pieces[0]); // a repeated line: its ref (or url) taken twice
  add('ndjson', `bulk line ${which + 1} (${lines[which].type}) ${label}`, {
    method: 'POST',
    url: `/v1/bulk${chance(0.5) ? '?mode=partial' : ''}`,
    headers: { 'content-type': pick(['application/x-ndjson', 'application/jsonl', 'application/x-ndjson; charset=utf-8']) },
    payload: Buffer.concat(pieces),
  });
}

// Without a key, everything that needs one answers 401 problem+json; a share of every kind also goes without one.
for (const c of cases) {
  if (!chance(0.08)) continue;
  c.options.headers = { ...(c.options.headers ?? {}), authorization: null } as unknown as InjectOptions['headers'];
  c.label += ' (no key)';
}

// Shuffle (seeded) so state left by one kind meets the others, then top up to the minimum with random picks.
for (let i = cases.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [cases[i], cases[j]] = [cases[j], cases[i]];
}
const generated = cases.length;
while (cases.length < MIN_REQUESTS) cases.push(pick(cases.slice(0, generated)));

// ---------------------------------------------------------------- run

clearInterval(keepAlive);

t.test(`${cases.length} generated bad requests: no 5xx, problem+json on every 4xx`, async (t) => {
  const started = performance.now();
  for (const c of cases) await run(c);
  const ms = performance.now() - started;
  t.comment(
    `${sent} requests sent in ${Math.round(ms)} ms (${fieldCount.fields} body fields × ${WRONG_VALUES.length} bad values, ${MALFORMED.length} malformed bodies, ` +
      `${operations.length} operations); seed ${SEED}`,
  );
  for (const [kind, byStatus] of statuses) {
    t.comment(`  ${kind}: ${[...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  }
  for (const [what, n] of unsendable) t.comment(`  not sendable through inject (${n}×): ${what}`);
  t.ok(jsonWrites.length >= 10, `the served document has request bodies to fuzz (${jsonWrites.length} JSON bodies in ${operations.length} operations)`);
  t.ok(sent >= 5_000, `at least 5,000 requests reached the app (${sent})`);

  const kinds = [...new Set(cases.map((c) => c.kind))];
  for (const kind of kinds) {
    const mine = failures.filter((f) => f.kind === kind);
    // One line per distinct breach and route, so a single bug does not bury the others.
    const distinct = new Map<string, Failure & { times: number }>();
    for (const f of mine) {
      const key = `${f.why} ${f.request.split(' ').slice(0, 2).join(' ').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')}`;
      const seen = distinct.get(key);
      if (seen) seen.times++;
      else distinct.set(key, { ...f, times: 1 });
    }
    t.same(
      [...distinct.values()].slice(0, 25).map((f) => `#${f.seq} ${f.why} (${f.times}×, e.g. ${f.label}): ${f.request} → ${f.body}`),
      [],
      `${kind}: every answer < 500, every 4xx problem+json with code and status (${mine.length} breaches)`,
    );
  }
  const fiveHundreds = failures.filter((f) => f.status >= 500).length;
  t.equal(fiveHundreds, 0, `no 5xx in ${sent} requests (seed ${SEED})`);
  t.equal(hung, 0, `no request left without an answer for ${HUNG_MS} ms (seed ${SEED})`);
  // One line a CI can read for the full run (npm run fuzz).
  t.comment(`fuzz result: ${sent} requests, ${fiveHundreds} × 5xx, ${hung} hung, ${failures.length} breaches, seed ${SEED}, ${Math.round(ms / 1000)} s`);
});

// ---------------------------------------------------------------- valid but nasty writes

t.test('NUL characters are refused with 400, never a 500', async (t) => {
  const bodies: [string, string, Json][] = [
    ['claim text', '/v1/claims', { text: 'The tunnel \u0000 costs 2.4 billion' }],
    ['claim topic', '/v1/claims', { text: 'A claim with a NUL topic', topics: ['a\u0000b'] }],
    ['claimant name', '/v1/claimants', { name: 'Ana\u0000Lindqvist' }],
    ['claimant alias', '/v1/claimants', { name: 'Ana Lindqvist NUL', aliases: ['\u0000'] }],
    ['source title', '/v1/sources', { kind: 'article', title: 'Title\u0000' }],
    ['source text', '/v1/sources', { kind: 'article', title: 'NUL text', text: 'Body \u0000 text' }],
    ['source metadata value', '/v1/sources', { kind: 'article', title: 'NUL metadata', metadata: { a: 'x\u0000y' } }],
    ['source metadata key', '/v1/sources', { kind: 'article', title: 'NUL metadata key', metadata: { 'a\u0000': 1 } }],
    ['review summary', `/v1/claims/${claim.id}/reviews`, { verdict: 'false', summary: 'Because \u0000' }],
  ];
  for (const [what, url, body] of bodies) {
    const res = await api.request({ method: 'POST', url, payload: body });
    t.equal(res.statusCode, 400, `${what}: 400 (${res.statusCode} ${res.body.slice(0, 120)})`);
    t.equal(res.headers['content-type'], PROBLEM_JSON, `${what}: problem+json`);
  }
  const patch = await api.request({ method: 'PATCH', url: `/v1/claims/${claim.id}`, payload: { text: 'NUL \u0000 in a patch' } });
  t.equal(patch.statusCode, 400, `a PATCH with NUL: 400 (${patch.statusCode})`);
  const query = await api.request({ method: 'GET', url: '/v1/claims?topic=%00' });
  t.ok(query.statusCode < 500, `a NUL in a query parameter is not a 5xx (${query.statusCode})`);
});

t.test('emoji, RTL text, combining marks and astral characters are stored and returned byte for byte', async (t) => {
  const text = 'Mayor 👩🏽‍🔬 said 🇸🇪 \u202Eالنفق سيكلف ٢٫٤ مليار\u202C — שלום\u200F! e\u0301 ﷽ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200B';
  const created = await api.request({ method: 'POST', url: '/v1/claims', payload: { text, topics: ['😀', 'עברית', 'e\u0301'] } });
  t.equal(created.statusCode, 201, `created (${created.body.slice(0, 120)})`);
  const body = created.json() as Json;
  t.equal(body.text, text, 'POST returns the text unchanged');
  const read = await api.request({ method: 'GET', url: `/v1/claims/${body.id}` });
  t.equal(Buffer.compare(Buffer.from((read.json() as Json).text, 'utf8'), Buffer.from(text, 'utf8')), 0, 'GET returns the same bytes');
  t.same((read.json() as Json).topics, ['😀', 'עברית', 'e\u0301'], 'and the same topics');

  const name = 'אנה לינדקוויסט 👩🏽‍⚖️';
  const overridden = await api.request({ method: 'POST', url: '/v1/claimants', payload: { name, aliases: ['\u202Eטסיווקדניל'] } });
  t.equal(overridden.statusCode, 400, 'an alias with a direction override is refused (names display as what they are)');
  t.equal((overridden.json() as Json).errors[0].path, 'body.aliases[0]');
  const person = await api.request({ method: 'POST', url: '/v1/claimants', payload: { name, aliases: ['לינדקוויסט'] } });
  t.equal(person.statusCode, 201);
  const personRead = (await api.request({ method: 'GET', url: `/v1/claimants/${(person.json() as Json).id}` })).json() as Json;
  t.equal(personRead.name, name, 'a right-to-left name with an emoji sequence comes back unchanged');
  t.same(personRead.aliases, ['לינדקוויסט'], 'and so does a right-to-left alias');

  // Anchoring counts UTF-16 code units: a quote after astral characters must still line up.
  const sourceText = '😀😀😀 Intro 👩🏽‍🔬. «Le tunnel coûtera 2,4 milliards 💶», a dit la maire. \u202Bשלום\u202C';
  const src = await api.request({ method: 'POST', url: '/v1/sources', payload: { kind: 'article', title: '🚇 Tunnel', url: `https://fuzz.example/unicode-${SEED}`, text: sourceText } });
  t.equal(src.statusCode, 201);
  const quote = 'Le tunnel coûtera 2,4 milliards 💶';
  const withQuote = await api.request({
    method: 'POST',
    url: '/v1/claims',
    payload: { text: 'The tunnel will cost 2.4 billion (unicode)', attributions: [{ source_id: (src.json() as Json).id, claimant_name: name, quote }] },
  });
  t.equal(withQuote.statusCode, 201, `an attribution quoting text after emoji (${withQuote.body.slice(0, 160)})`);
  const att = ((withQuote.json() as Json).attributions as Json[])[0];
  t.equal(att.quote, quote, 'the quote comes back unchanged');
  t.equal(att.anchored, true, 'and is anchored');
  t.equal(sourceText.slice(att.selector.start, att.selector.end), quote, 'its selector offsets are UTF-16 offsets into the text');
  t.equal(att.selector.exact, quote, 'selector.exact is the quote');
});

t.test('length limits count characters, not bytes or UTF-16 units', async (t) => {
  const fits = await api.request({ method: 'POST', url: '/v1/claims', payload: { text: '😀'.repeat(2000) } });
  t.equal(fits.statusCode, 201, `2,000 astral characters fit a 2,000-character text (${fits.statusCode} ${fits.body.slice(0, 100)})`);
  if (fits.statusCode === 201) t.equal((fits.json() as Json).text, '😀'.repeat(2000), 'and come back whole');
  const over = await api.request({ method: 'POST', url: '/v1/claims', payload: { text: '😀'.repeat(2001) } });
  t.equal(over.statusCode, 400, '2,001 do not');
  const name = await api.request({ method: 'POST', url: '/v1/claimants', payload: { name: '😀'.repeat(300) } });
  t.equal(name.statusCode, 201, `300 astral characters fit a 300-character name (${name.statusCode})`);
  const tooLong = await api.request({ method: 'POST', url: '/v1/claimants', payload: { name: 'x'.repeat(100_000) } });
  t.equal(tooLong.statusCode, 400, '100,000 characters do not');
});

t.test('lone surrogates are refused or kept, never silently replaced', async (t) => {
  for (const [what, literal, expected] of [
    ['a lone high surrogate', '"Tunnel \\ud800 cost"', 'Tunnel \ud800 cost'],
    ['a lone low surrogate', '"Tunnel \\udc00 cost"', 'Tunnel \udc00 cost'],
  ] as const) {
    const res = await api.request({ method: 'POST', url: '/v1/claims', headers: { 'content-type': 'application/json' }, payload: `{"text":${literal}}` });
    t.ok(res.statusCode < 500, `${what}: no 5xx (${res.statusCode})`);
    if (res.statusCode === 201) {
      const stored = (res.json() as Json).text as string;
      t.equal(stored, expected, `${what}: stored as sent, not as ${JSON.stringify(stored)} (a 400 would do as well)`);
    } else {
      t.equal(res.statusCode, 400, `${what}: refused with 400`);
    }
  }
});

t.test('a flood from one key ends in 429 problem+json, not in errors', async (t) => {
  const limited = await buildApp({ config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY, CLAIMLEDGER_RATE_LIMIT: '5' }), database, migrate: false });
  t.teardown(() => limited.close());
  const answers: LightMyRequestResponse[] = [];
  for (let i = 0; i < 8; i++) answers.push(await limited.inject({ method: 'GET', url: '/v1/claims?limit=1', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } }));
  const last = answers[answers.length - 1];
  t.equal(last.statusCode, 429, 'the 8th request in a minute with a limit of 5 is refused');
  t.equal(last.headers['content-type'], PROBLEM_JSON, 'as problem+json');
  t.equal((last.json() as Json).status, 429, 'with the status in the body');
  t.ok(last.headers['retry-after'], 'and Retry-After');
});
