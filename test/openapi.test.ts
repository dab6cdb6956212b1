import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import t from 'tap';
import { openapiFile } from '../src/cli/openapi.js';
import { allSchemas } from '../src/resources/registry.js';
import { buildTestApp } from './helper.js';
import type { Json } from './factories.js';

/*
 * The OpenAPI document: served, committed, valid, and good enough to generate a
 * typed client from. External checkers run from node_modules/.bin (no network).
 */

const api = await buildTestApp(t);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const run = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), 'claimledger-openapi-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

async function served(): Promise<Json> {
  const res = await api.request({ method: 'GET', url: '/openapi.json', headers: { authorization: undefined } });
  if (res.statusCode !== 200) throw new Error(`/openapi.json answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  return res.json();
}

function operations(doc: Json): { method: string; path: string; op: Json }[] {
  const out: { method: string; path: string; op: Json }[] = [];
  for (const [p, item] of Object.entries(doc.paths ?? {}) as [string, Json][]) {
    for (const method of METHODS) if (item[method]) out.push({ method: method.toUpperCase(), path: p, op: item[method] });
  }
  return out;
}

/** Paths (like `paths./v1/claims.get.summary`) where two JSON values differ; at most `max`. */
function differences(a: unknown, b: unknown, at = '', max = 25, out: string[] = []): string[] {
  if (out.length >= max) return out;
  if (a === b) return out;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    out.push(`${at || '(root)'}: ${JSON.stringify(a)?.slice(0, 80)} ≠ ${JSON.stringify(b)?.slice(0, 80)}`);
    return out;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const av = (a as Json)[k];
    const bv = (b as Json)[k];
    if (av === undefined) out.push(`${at}.${k}: only in the committed file`);
    else if (bv === undefined) out.push(`${at}.${k}: only in the served document`);
    else differences(av, bv, `${at}.${k}`, max, out);
    if (out.length >= max) break;
  }
  return out;
}

/** Every `$ref` string anywhere in the document. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const v of node) refs(v, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

t.test('the served /openapi.json equals the committed openapi/openapi.json', async (t) => {
  await api.reset();
  const doc = await served();
  const committed = JSON.parse(readFileSync(openapiFile, 'utf8'));
  const diff = differences(doc, committed);
  t.same(diff, [], 'openapi/openapi.json is out of date with the routes: run `npm run openapi` and commit the result');
  t.ok(readFileSync(openapiFile, 'utf8').endsWith('}\n'), 'the committed file ends with a newline, as `npm run openapi` writes it');
});

t.test("every route's validators and serializers compile (an app compiles each on first use), and every named schema is valid JSON Schema", async (t) => {
  t.doesNotThrow(() => api.app.compileSchemas(), 'all of them compiled');
  // The app's Ajv skips the meta-schema check at start; it is made here, once.
  const ajv = new Ajv({ strict: false });
  for (const schema of allSchemas()) {
    const id = (schema as { $id?: string }).$id;
    t.ok(ajv.validateSchema(schema), `${id} is valid JSON Schema${ajv.errors ? `: ${ajv.errorsText(ajv.errors)}` : ''}`);
  }
  // And the check is not toothless: a schema with a wrong keyword value fails it.
  t.notOk(ajv.validateSchema({ type: 'string', minLength: 'three' }), 'a broken schema is caught');
});

t.test('the document is OpenAPI 3.1 and the same on every request', async (t) => {
  await api.reset();
  const doc = await served();
  t.match(doc.openapi, /^3\.1\.\d+$/);
  t.match(doc.info, { title: String, version: String, description: String });
  t.same(await served(), doc, 'generated deterministically');
});

t.test('every operation has an operationId (unique), tags and a summary', async (t) => {
  await api.reset();
  const doc = await served();
  const ops = operations(doc);
  t.ok(ops.length >= 20, `${ops.length} operations`);
  const missing = ops
    .filter(({ op }) => typeof op.operationId !== 'string' || !Array.isArray(op.tags) || op.tags.length === 0 || typeof op.summary !== 'string' || op.summary.trim() === '')
    .map(({ method, path: p }) => `${method} ${p}`);
  t.same(missing, [], 'operations without operationId, tags or summary');
  const ids = ops.map(({ op }) => op.operationId);
  t.same(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'operationIds are unique');
  for (const p of ['/v1/claims', '/v1/claims/{id}', '/v1/sources', '/v1/sources/{id}', '/v1/claimants', '/v1/attributions', '/healthz', '/readyz']) {
    t.ok(doc.paths[p], `documents ${p}`);
  }
  t.notOk(doc.paths['/openapi.json'], 'the document itself is hidden');
});

t.test('every tag an operation uses is declared in the top-level tags with a description', async (t) => {
  await api.reset();
  const doc = await served();
  const declared = new Map(((doc.tags ?? []) as Json[]).map((tag) => [tag.name, tag.description]));
  const used = [...new Set(operations(doc).flatMap(({ op }) => op.tags ?? []))];
  t.same(used.filter((tag) => !declared.has(tag)), [], 'tags used by operations but not declared (Swagger UI shows them without a description)');
  t.same(used.filter((tag) => declared.has(tag) && !declared.get(tag)), [], 'declared tags without a description');
});

t.test('shared schemas are named components (Problem, Claim, Source …), never def-N', async (t) => {
  await api.reset();
  const doc = await served();
  const names = Object.keys(doc.components?.schemas ?? {});
  for (const name of ['Problem', 'FieldError', 'Claim', 'ClaimCreate', 'ClaimPatch', 'Source', 'SourceSummary', 'SourceCreate', 'Claimant', 'Attribution', 'Selector']) {
    t.ok(names.includes(name), `components.schemas.${name}`);
  }
  t.same(names.filter((n) => /^def-\d+$/.test(n)), [], 'no def-N component names');
  const all = refs(doc);
  t.same(all.filter((r) => /def-\d+/.test(r)), [], 'no $ref points at def-N');
  const dangling = [...new Set(all)].filter((r) => {
    const m = /^#\/components\/schemas\/(.+)$/.exec(r);
    return !m || !doc.components.schemas[m[1]];
  });
  t.same(dangling, [], 'every $ref resolves to a component schema');
  const problem = doc.components.schemas.Problem;
  t.match(problem.properties, { type: Object, title: Object, status: Object, detail: Object, code: Object, errors: Object });
});

t.test('every 4xx and 5xx response is application/problem+json (and nothing else)', async (t) => {
  await api.reset();
  const doc = await served();
  const wrong: string[] = [];
  let errorResponses = 0;
  for (const { method, path: p, op } of operations(doc)) {
    for (const [status, response] of Object.entries(op.responses ?? {}) as [string, Json][]) {
      if (!/^[45]/.test(status)) continue;
      errorResponses++;
      const resolved = response.$ref ? doc.components.responses?.[response.$ref.split('/').pop()] : response;
      const types = Object.keys(resolved?.content ?? {});
      if (types.length !== 1 || types[0] !== 'application/problem+json') wrong.push(`${method} ${p} ${status}: ${types.join(', ') || 'no content'}`);
      else if (!/Problem$/.test(resolved.content['application/problem+json'].schema?.$ref ?? '')) wrong.push(`${method} ${p} ${status}: schema is not Problem`);
    }
    if (!op.responses?.['400'] && !/^\/(healthz|readyz|metrics)$/.test(p)) wrong.push(`${method} ${p}: no 400 response documented`);
  }
  t.ok(errorResponses > 50, `${errorResponses} error responses checked`);
  t.same(wrong, [], 'error responses that are not problem+json');
});

t.test('list operations document limit 1–200 (default 50), cursor and sort; no defaulted parameter is required', async (t) => {
  await api.reset();
  const doc = await served();
  const problems: string[] = [];
  for (const { method, path: p, op } of operations(doc)) {
    for (const param of (op.parameters ?? []) as Json[]) {
      if (param.required && param.schema && 'default' in param.schema) problems.push(`${method} ${p}: ${param.name} has a default but is required`);
    }
    // The change feed pages by `after=<seq>`, not by cursor, and has its own limits.
    if (!/^list/.test(op.operationId ?? '') || op.operationId === 'listEvents') continue;
    const byName = new Map(((op.parameters ?? []) as Json[]).map((param) => [param.name, param]));
    const limit = byName.get('limit');
    if (!limit) problems.push(`${method} ${p}: no limit`);
    else if (limit.schema?.minimum !== 1 || limit.schema?.maximum !== 200 || limit.schema?.default !== 50) {
      problems.push(`${method} ${p}: limit is ${JSON.stringify(limit.schema)}`);
    }
    if (!byName.has('cursor')) problems.push(`${method} ${p}: no cursor`);
    if (!byName.has('sort')) problems.push(`${method} ${p}: no sort`);
  }
  t.same(problems, []);
});

t.test('redocly lint passes on the committed document', { timeout: 90_000 }, async (t) => {
  await api.reset();
  try {
    const { stdout, stderr } = await run(bin('redocly'), ['lint', 'openapi/openapi.json'], { cwd: root, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    t.pass('redocly lint exited 0');
    t.notMatch(stdout + stderr, /\berror\b.*\d+ error/i, 'no errors reported');
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
    t.fail(`redocly lint failed (exit ${e.code}${e.killed ? ', timed out' : ''}):\n${(e.stdout ?? '').slice(-4000)}\n${(e.stderr ?? '').slice(-2000)}`);
  }
});

const CLIENT = `import type { paths, components } from './api.js';

type ClaimCreate = paths['/v1/claims']['post']['requestBody']['content']['application/json'];
type Claim = paths['/v1/claims']['post']['responses'][201]['content']['application/json'];
type ClaimPage = paths['/v1/claims']['get']['responses'][200]['content']['application/json'];
type ListClaimsQuery = NonNullable<paths['/v1/claims']['get']['parameters']['query']>;
type Problem = components['schemas']['Problem'];
type BadRequest = paths['/v1/claims']['post']['responses'][400]['content']['application/problem+json'];

const body: ClaimCreate = {
  text: 'The harbour tunnel will cost 2.4 billion euros',
  language: 'en',
  topics: ['infrastructure'],
  attributions: [{ source_id: '0190c1b2-0000-7000-8000-000000000000', claimant_label: 'a senior official', quote: '2.4 billion euros' }],
};
const minimal: ClaimCreate = { text: 'x' };

// The generated types must be precise, not any/unknown: each of these must be a type error.
// @ts-expect-error text must be a string
const wrongType: ClaimCreate = { text: 12345 };
// @ts-expect-error text is required
const missing: ClaimCreate = { language: 'en' };
// @ts-expect-error unknown fields are not part of the body
const extra: ClaimCreate = { text: 'x', version: 3 };

export async function createClaim(baseUrl: string, key: string, claim: ClaimCreate): Promise<Claim | Problem> {
  const res = await fetch(\`\${baseUrl}/v1/claims\`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: \`Bearer \${key}\` },
    body: JSON.stringify(claim),
  });
  return (await res.json()) as Claim | Problem;
}

export function describe(claim: Claim): string {
  const id: string = claim.id;
  const count: number = claim.attribution_count;
  const firstSeen: string | null = claim.first_seen_at;
  return \`\${id} \${claim.text} (\${count} attributions, first seen \${firstSeen ?? 'never'}, version \${claim.version})\`;
}

export function nextPage(page: ClaimPage): ListClaimsQuery | null {
  const cursor: string | null = page.next_cursor;
  return cursor === null ? null : { cursor, limit: 20 };
}

export function problemCode(problem: BadRequest): string {
  const fields: string[] = (problem.errors ?? []).map((e) => e.path);
  return \`\${problem.code} \${problem.status} \${fields.join(',')}\`;
}

export const examples = [body, minimal, wrongType, missing, extra];
`;

t.test('a typed client generated with openapi-typescript compiles under --strict', { timeout: 150_000 }, async (t) => {
  await api.reset();
  const dts = path.join(scratch, 'api.d.ts');
  try {
    await run(bin('openapi-typescript'), ['openapi/openapi.json', '-o', dts], { cwd: root, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    t.fail(`openapi-typescript failed (exit ${e.code}):\n${e.stdout}\n${e.stderr}`);
    return;
  }
  const generated = readFileSync(dts, 'utf8');
  t.match(generated, /"\/v1\/claims": \{/, 'the generated types describe /v1/claims');
  const client = path.join(scratch, 'client.mts');
  writeFileSync(client, CLIENT);
  try {
    await run(bin('tsc'), ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', client], {
      cwd: scratch,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    t.pass('tsc --strict exited 0');
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    t.fail(`the generated client does not compile (exit ${e.code}):\n${e.stdout}\n${e.stderr}`);
  }
});

t.test('GET /docs serves the Swagger UI page and /docs/json the same document, without an API key', async (t) => {
  await api.reset();
  const noKey = { authorization: undefined };
  const docs = await api.request({ method: 'GET', url: '/docs', headers: noKey });
  t.equal(docs.statusCode, 200);
  t.match(docs.headers['content-type'], /^text\/html/);
  t.match(docs.body, /<html/i);
  t.match(docs.body, /swagger/i);
  const docsJson = await api.request({ method: 'GET', url: '/docs/json', headers: noKey });
  t.equal(docsJson.statusCode, 200);
  t.same(docsJson.json(), await served(), '/docs/json is the same document as /openapi.json');
  const openapi = await api.request({ method: 'GET', url: '/openapi.json', headers: noKey });
  t.equal(openapi.statusCode, 200, '/openapi.json needs no key');
  t.match(openapi.headers['content-type'], /^application\/json/);
});
