import { Type, type Static, type TSchema } from 'typebox';
import { LANGUAGE_TAG } from '../domain/language.js';

/**
 * Shapes shared by every resource. Each has an `$id`, is registered once
 * (plugins/openapi.ts) and referenced with `ref()`, so the OpenAPI document
 * names them as components instead of repeating them inline.
 */

export const Id = Type.String({ $id: 'Id', format: 'uuid', description: 'UUID (version 7: sorts by creation time).' });
// Typed `string | Date`: clients send strings, rows carry Dates, and the serializer writes both as RFC 3339.
export const Timestamp = Type.Unsafe<string | Date>({
  $id: 'Timestamp',
  type: 'string',
  format: 'date-time',
  description: 'RFC 3339 date-time; returned in UTC with millisecond precision.',
});

export const FieldErrorSchema = Type.Object(
  {
    path: Type.String({ description: 'Where the problem is, e.g. `body.attributions[0].quote` or `query.limit`.' }),
    message: Type.String(),
  },
  { $id: 'FieldError', additionalProperties: false },
);

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'URI naming the problem type; `urn:claimledger:problem:<code>`.' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    code: Type.String({ description: 'Stable snake_case identifier to branch on (e.g. `validation_failed`, `not_found`, `in_use`).' }),
    errors: Type.Optional(Type.Array(Type.Unsafe<Static<typeof FieldErrorSchema>>({ $ref: 'FieldError' }))),
    existing_id: Type.Optional(Type.String({ format: 'uuid', description: 'On a uniqueness conflict: the id of the row that already holds the value.' })),
    request_id: Type.Optional(Type.String()),
  },
  {
    $id: 'Problem',
    description: 'An RFC 9457 problem details object.',
  },
);

export const sharedSchemas: TSchema[] = [Id, Timestamp, FieldErrorSchema, Problem];

/** A reference to a registered schema that keeps the static type of the target. */
export function ref<T extends TSchema>(schema: T, options: Record<string, unknown> = {}) {
  const id = (schema as { $id?: string }).$id;
  if (!id) throw new Error('ref() needs a schema with an $id');
  return Type.Unsafe<Static<T>>({ $ref: id, ...options });
}

const describe: Record<number, string> = {
  400: 'The request is malformed or fails validation (`validation_failed`, `malformed_json`, `invalid_cursor`).',
  404: 'No resource has this id (`not_found`).',
  409: 'Conflict with the current state (`conflict`, `in_use`).',
  412: 'If-Match does not match the current version (`precondition_failed`).',
  413: 'The body is larger than allowed (`payload_too_large`).',
  415: 'The body is not `application/json` (`unsupported_media_type`).',
  422: 'Well-formed but cannot be applied (`quote_not_in_source`, `unprocessable`).',
  503: 'The database is unreachable (`unavailable`); retry later.',
};

/** problem+json responses for the given statuses, for a route's `response` schema. */
export function problemResponses(...statuses: number[]) {
  const out: Record<number, unknown> = {};
  for (const status of [...statuses, 503]) {
    out[status] = {
      description: describe[status] ?? 'Error',
      content: { 'application/problem+json': { schema: ref(Problem) } },
    };
  }
  return out;
}

/** `T | null`, for fields a client may clear. */
export const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Language = Type.String({
  // RFC 5646 §2.1 well-formed: language (2–3 letters, extlangs), script, region, variants, extensions, private use.
  pattern: LANGUAGE_TAG.source,
  maxLength: 35,
  description:
    'BCP 47 language tag, e.g. `en`, `en-GB`, `sv`. Stored in canonical form (`EN-gb` → `en-GB`, `zh-hant-tw` → `zh-Hant-TW`, deprecated codes replaced: `iw` → `he`).',
  examples: ['en'],
});

export const WebUrl = Type.String({ format: 'uri', maxLength: 2048, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', description: 'An absolute http(s) URL.' });

/**
 * Characters refused in names, titles and other short texts: C0 and C1 control
 * characters and Unicode's bidirectional formatting characters (embeddings,
 * overrides, isolates and marks), which can make a name display as something
 * else than it is ("Trojan Source"). Refused with 400 rather than stripped, so
 * what is stored is exactly what was sent.
 */
const BIDI_CONTROLS = '\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069';
export const ONE_LINE_PATTERN = `^[^\\u0000-\\u001F\\u007F-\\u009F${BIDI_CONTROLS}]*$`;
/** The same, allowing tab, line feed and carriage return. */
export const MULTI_LINE_PATTERN = `^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F${BIDI_CONTROLS}]*$`;
const REFUSED = 'characters and bidirectional formatting characters (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) are refused with 400, not stripped.';

export const ShortText = (description: string, maxLength = 500, lines: 'one' | 'many' = 'one') =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: lines === 'one' ? ONE_LINE_PATTERN : MULTI_LINE_PATTERN,
    description: `${description} ${lines === 'one' ? 'One line: control' : 'Tabs and line breaks are allowed; other control'} ${REFUSED}`,
  });

export const StringList = (description: string, maxItems = 100, maxLength = 200) =>
  Type.Array(Type.String({ minLength: 1, maxLength, pattern: ONE_LINE_PATTERN }), { maxItems, description: `${description} In each item, control ${REFUSED}` });

export const IdParams = Type.Object({ id: ref(Id) }, { additionalProperties: false });

export const CascadeQuery = Type.Object(
  { cascade: Type.Optional(Type.Boolean({ default: false, description: 'Also delete the attributions (and review evidence) that use it.' })) },
  { additionalProperties: false },
);

export const NoQuery = Type.Object({}, { additionalProperties: false });

/** The envelope of every list response. */
export const pageOf = <T extends TSchema>(item: T, description: string) =>
  Type.Object(
    {
      data: Type.Array(item),
      next_cursor: nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page.' })),
      total: Type.Optional(Type.Integer({ description: 'Rows matching the filters; only with `count=true`.' })),
    },
    { description },
  );

export const includeParam = (names: readonly string[]) =>
  Type.String({
    pattern: `^(${names.join('|')})(,(${names.join('|')}))*$`,
    maxLength: 200,
    description: `Comma-separated related rows to embed: ${names.map((n) => `\`${n}\``).join(', ')}. One query per relation, whatever the page size.`,
  });

export const parseInclude = <T extends string>(include: string | undefined): T[] =>
  include ? ([...new Set(include.split(','))] as T[]) : [];

/** Headers of writes that target one resource. */
export const IfMatchHeaders = Type.Object(
  {
    'if-match': Type.Optional(
      Type.String({ maxLength: 1000, description: 'An ETag from a previous read or write: the change is refused with 412 if the resource changed since.' }),
    ),
  },
  { additionalProperties: true },
);

/** Headers of single-resource reads. */
export const IfNoneMatchHeaders = Type.Object(
  { 'if-none-match': Type.Optional(Type.String({ maxLength: 1000, description: 'An ETag you hold: 304 Not Modified while it is current.' })) },
  { additionalProperties: true },
);

/** Headers of creations. */
export const IdempotencyHeaders = Type.Object(
  {
    'idempotency-key': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: '^[\\x21-\\x7E]+$',
        description:
          'Any unique string (e.g. a UUID) to make a retry safe: the same key with the same body replays the first response without writing again; with another body it is 422 `idempotency_key_reused`; while the first is still running, 409 `idempotency_key_in_progress`. ' +
          'The response is stored in the same transaction as the write, so a retry after a lost answer (a timeout, a 503) replays it if the write committed and runs the request again if it did not. ' +
          'A request that wrote nothing (any 4xx or 5xx) keeps no key: its retry runs again. Remembered for 24 hours.',
      }),
    ),
  },
  { additionalProperties: true },
);
