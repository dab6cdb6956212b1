import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';
import type { TSchema } from 'typebox';
import type { AjvError } from '../lib/ajv-errors.js';
import { instant } from '../lib/instants.js';
import { allSchemas } from './registry.js';

/**
 * Fastify's default Ajv coerces types and strips unknown properties, so
 * `{"text": 12345, "version": 99}` would be a silent success. Bodies get a strict
 * Ajv (no coercion, nothing removed, every error reported); querystrings, params
 * and headers arrive as strings and keep coercion, but unknown query parameters
 * are still refused by `additionalProperties: false` in their schemas.
 */
// RFC 3339 as clients send it, and a real instant: JavaScript's Date.parse would roll
// 2026-02-30 over into March and PostgreSQL refuses year 0 and leap seconds, so the
// fields are checked one by one.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;
export function isInstant(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = !m[9] || (Number(m[10]) <= 23 && Number(m[11]) <= 59);
  const fieldsOk = year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 && offsetOk;
  // 0001-01-01T00:30:00+01:00 is in year 0 once in UTC, and 9999-12-31T23:30:00-01:00 in year
  // 10000: PostgreSQL refuses the one, and JavaScript's dates would write the other as +010000.
  const utcYear = fieldsOk ? instant(value).getUTCFullYear() : 0;
  return fieldsOk && utcYear >= 1 && utcYear <= 9999;
}

const onCreate = (ajv: { addFormat(name: string, format: (value: string) => boolean): unknown }) => {
  ajv.addFormat('date-time', isInstant);
};

/**
 * The strict (bodies) and lenient (everything else) validator compilers. Ajv does not check our
 * schemas against the JSON Schema meta-schema each time an app starts (`validateSchema: false`:
 * building that check was half of an app's start); they are our own, fixed, and the OpenAPI
 * document that holds all of them is checked by the linters and by test/openapi.test.ts.
 */
function buildValidators(externalSchemas: unknown, ajvServerOptions: unknown) {
  const factory = AjvCompiler();
  const base = ajvServerOptions ?? {};
  const custom = (base as { customOptions?: object }).customOptions ?? {};
  const strict = factory(externalSchemas as never, {
    ...base,
    onCreate,
    customOptions: { ...custom, validateSchema: false, coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: true },
  } as never);
  const lenient = factory(externalSchemas as never, {
    ...base,
    onCreate,
    customOptions: { ...custom, validateSchema: false, coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false },
  } as never);
  return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict(route as never) : lenient(route as never));
}

/** Compiles each validator as it is asked for. */
export const schemaController: FastifyServerOptions['schemaController'] = {
  compilersFactory: { buildValidator: buildValidators as never },
};

export type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

let build: ((route: { schema: TSchema; method: string; url: string; httpPart: string }) => unknown) | undefined;

/**
 * A validator from the same compilers as the routes', for checks a route cannot declare: each
 * NDJSON line of a bulk body, or the filters of one export type. `body` gets the strict Ajv of
 * request bodies (no coercion, unknown fields refused), `querystring` the one of query strings.
 */
export function compileValidator(schema: TSchema, httpPart: string, url: string): Validate {
  if (!build) {
    const external = Object.fromEntries(allSchemas().map((s) => [(s as { $id: string }).$id, s]));
    build = buildValidators(external, { customOptions: {}, plugins: [] }) as never;
  }
  return build!({ schema, method: httpPart === 'body' ? 'POST' : 'GET', url, httpPart }) as Validate;
}

type Compiled = ((...args: unknown[]) => unknown) & Record<string, unknown>;

export interface LazySchemas {
  /** The app's schema controller: validators and serializers compiled on first use. */
  controller: NonNullable<FastifyServerOptions['schemaController']>;
  /** Compiles up to `n` (all by default) of the validators and serializers no request has needed yet; throws on a schema that does not compile. */
  compileSome(n?: number): void;
  /** How many are still waiting to be compiled. */
  readonly pending: number;
}

/**
 * Compiling every route's validators (Ajv) and response serializers (fast-json-stringify) is
 * about 1.5 s of CPU, paid by every app at start whether or not a route is ever called. So each
 * is compiled when first used, and the same code then runs as if compiled at start. A listening
 * server compiles the rest a few at a time right after it starts (app.ts), so no client's first
 * request pays for it and a schema that cannot compile still shows at start; an app built for a
 * test compiles only what its requests use (test/openapi.test.ts compiles all of them).
 *
 * Fastify reads properties of a validator before or after calling it: `errors` (what failed)
 * and `schemaEnv` (Ajv's: it then passes the parent object so a root value can be coerced);
 * they and Ajv's `schema` are forwarded from the compiled function.
 */
export function lazySchemas(): LazySchemas {
  const pending = new Set<() => unknown>();
  const lazily = (compile: () => Compiled): Compiled => {
    let compiled: Compiled | undefined;
    const load = () => {
      if (!compiled) {
        pending.delete(load); // one that throws is not tried again in the background
        compiled = compile();
      }
      return compiled;
    };
    pending.add(load);
    const wrapper = ((...args: unknown[]) => load()(...args)) as Compiled;
    for (const property of ['errors', 'schema', 'schemaEnv']) Object.defineProperty(wrapper, property, { get: () => load()[property] });
    return wrapper;
  };
  const serializers = SerializerSelector();
  return {
    controller: {
      compilersFactory: {
        buildValidator(externalSchemas: unknown, options: unknown) {
          const build = buildValidators(externalSchemas, options);
          return (route: { httpPart?: string }) => lazily(() => build(route) as unknown as Compiled);
        },
        buildSerializer(externalSchemas: unknown, options: unknown) {
          const build = serializers(externalSchemas as never, options as never);
          return (route: unknown) => lazily(() => build(route as never) as unknown as Compiled);
        },
      },
    } as unknown as NonNullable<FastifyServerOptions['schemaController']>,
    compileSome(n = Infinity) {
      // Each load takes itself out of the set, which a Set's iteration allows.
      for (const load of pending) {
        if (n-- <= 0) break;
        load();
      }
    },
    get pending() {
      return pending.size;
    },
  };
}
