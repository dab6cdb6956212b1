import { Type, type Static } from 'typebox';
import { Id, Problem, ref } from '../../lib/schemas.js';

export const BULK_TYPES = ['source', 'claimant', 'claim', 'attribution', 'review'] as const;
export type BulkType = (typeof BULK_TYPES)[number];

export const NDJSON = 'application/x-ndjson';

/** 512 MiB: far above the 100 MB a newsroom archive takes, far below what would hold a transaction for long. */
export const MAX_BULK_BYTES = 512 * 1024 * 1024;
/** One line: a source's 1 MiB of text with JSON escaping, and the rest of its fields. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
/** A problem lists at most this many errors (and says how many lines failed in all). */
export const MAX_LISTED_ERRORS = 10_000;

export const BulkLine = Type.Object(
  {
    type: Type.Enum([...BULK_TYPES], { description: 'What the line creates.' }),
    ref: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'A name for this line, unique in the request, that later lines use in `source_ref`, `claimant_ref` or `claim_ref`.',
      }),
    ),
    id: Type.Optional(
      ref(Id, {
        description: 'Create the row with this id instead of a new one (importing an export keeps its ids). A taken id fails the line with `conflict`.',
      }),
    ),
    data: Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      description:
        'The body the single endpoint takes, validated by the same schema: `SourceCreate`, `ClaimantCreate`, `ClaimCreate` (its inline attributions may use `source_ref`/`claimant_ref`), `AttributionCreate` (`claim_ref`, `source_ref`, `claimant_ref` instead of the ids) or `ReviewCreate` plus `claim_id` or `claim_ref` (evidence may use `source_ref`). A `*_ref` names an earlier line’s `ref`, or is the id of an existing row.',
    }),
  },
  {
    $id: 'BulkLine',
    additionalProperties: false,
    description: 'One line of a `POST /v1/bulk` body (NDJSON: one JSON object per line, blank lines ignored).',
  },
);

export const BulkLineError = Type.Object(
  {
    line: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Line number in the body, counting from 1 (blank lines count); absent for an error of the request as a whole (e.g. `query.mode`).' }),
    ),
    path: Type.String({ description: 'Where in the line, e.g. `data.text`, `data.attributions[0].quote`, `type`; empty for the whole line.' }),
    message: Type.String(),
    code: Type.Optional(
      Type.String({ description: 'The code the single endpoint would answer with: `validation_failed`, `malformed_json`, `conflict`, `quote_not_in_source`, `unprocessable`…' }),
    ),
  },
  { $id: 'BulkLineError', additionalProperties: false },
);

export const BulkLineResult = Type.Object(
  {
    line: Type.Integer({ minimum: 1 }),
    type: Type.Union([Type.Enum([...BULK_TYPES]), Type.Null()], { description: 'Null when the line is not a valid bulk line.' }),
    ref: Type.Optional(Type.String()),
    status: Type.Enum(['created', 'failed']),
    id: Type.Optional(ref(Id, { description: 'The created row.' })),
    existing_id: Type.Optional(ref(Id, { description: 'On a `conflict`: the row that already holds the value.' })),
    claimant_id: Type.Optional(ref(Id, { description: 'An attribution line that named its claimant by `claimant_name`: the claimant it resolved to.' })),
    claimant_created: Type.Optional(
      Type.Boolean({ description: 'With `claimant_id`: true when the line created that claimant (no close match), false when it reused an existing one.' }),
    ),
    errors: Type.Optional(Type.Array(ref(BulkLineError))),
  },
  { $id: 'BulkLineResult', additionalProperties: false },
);

const Counts = Type.Object(
  Object.fromEntries(BULK_TYPES.map((t) => [t, Type.Integer({ minimum: 0 })])) as Record<BulkType, ReturnType<typeof Type.Integer>>,
  { additionalProperties: false, description: 'Rows created, per type.' },
);

export const BulkResult = Type.Object(
  {
    mode: Type.Enum(['atomic', 'partial']),
    lines: Type.Integer({ minimum: 0, description: 'Non-blank lines read.' }),
    created: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0, description: 'Lines not written (only with `mode=partial`; otherwise the request fails).' }),
    counts: Counts,
    results: Type.Array(ref(BulkLineResult), { description: 'One entry per non-blank line, in order.' }),
  },
  { $id: 'BulkResult', additionalProperties: false, description: 'What a bulk request wrote.' },
);

// Every problem's fields, but errors that carry line numbers (and no existing_id: each line has its own).
const { errors: _fieldErrors, existing_id: _existingId, ...problemFields } = Problem.properties;

/** The problem of a refused bulk request: every bad line, with its number. */
export const BulkProblem = Type.Object(
  {
    ...problemFields,
    errors: Type.Optional(Type.Array(ref(BulkLineError), { description: `Every error of every bad line (at most ${MAX_LISTED_ERRORS}).` })),
    lines: Type.Optional(Type.Integer({ description: 'Non-blank lines read.' })),
    failed: Type.Optional(Type.Integer({ description: 'Bad lines.' })),
    errors_truncated: Type.Optional(Type.Boolean()),
  },
  { $id: 'BulkProblem', description: 'An RFC 9457 problem whose `errors` carry line numbers.' },
);

export const BulkQuery = Type.Object(
  {
    mode: Type.Optional(
      Type.Enum(['atomic', 'partial'], {
        default: 'atomic',
        description: '`atomic` (default): one transaction; any bad line refuses the whole request and nothing is written. `partial`: the good lines are written, the bad ones reported.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type BulkLineErrorBody = Static<typeof BulkLineError>;
export const bulkSchemas = () => [BulkLine, BulkLineError, BulkLineResult, BulkResult, BulkProblem];
