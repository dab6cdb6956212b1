import { Type, type Static } from 'typebox';
import { ATTRIBUTION_KINDS, STANCES } from '../../db/schema.js';
import { MAX_ELISION_GAP, MAX_INSERTION_GAP } from '../../domain/anchor.js';
import { Id, ShortText, Timestamp, includeParam, nullable, pageOf, ref } from '../../lib/schemas.js';
import { listQueryProperties } from '../../lib/pagination.js';
import { RANKED_WALK, RANK_DESCRIPTION, searchParam, sortWithRank } from '../../db/search.js';

export const attributionSchemas = () => [Selector, QuotePart, AttributionInline, AttributionCreate, AttributionPatch, Attribution];

export const MAX_QUOTE = 10_000;

const offsets = {
  start: Type.Integer({ minimum: 0, description: 'Offset of the first character, in UTF-16 code units of the source text.' }),
  end: Type.Integer({ minimum: 0, description: 'Offset after the last character; `exact === text.slice(start, end)`.' }),
};

export const Selector = Type.Object(
  {
    exact: Type.String({ description: 'The quoted words exactly as the source has them (for a quote with elisions, the elided text included).' }),
    prefix: Type.String({ description: 'Up to 32 UTF-16 code units of source text before the quote.' }),
    suffix: Type.String({ description: 'Up to 32 UTF-16 code units of source text after the quote.' }),
    ...offsets,
  },
  {
    $id: 'Selector',
    additionalProperties: false,
    description: 'Where the quote sits in its source text: a W3C Web Annotation TextQuoteSelector combined with a TextPositionSelector.',
  },
);

export const QuotePart = Type.Object(
  { exact: Type.String({ description: 'These words exactly as the source has them.' }), ...offsets },
  {
    $id: 'QuotePart',
    additionalProperties: false,
    description: 'One stretch of a quote’s words in the source text, between its elisions and bracketed insertions.',
  },
);

/** How quotes are read, for the OpenAPI descriptions of the routes that anchor them. */
export const QUOTE_READING =
  'The `quote` is anchored in the source text, forgiving whitespace, quote styles, dashes and case. ' +
  'Quotations as journalists write them are read: an elision (`...`, `…`, `[…]`, `[...]`, `(…)`) splits the quote into parts that must appear in the source in that order, ' +
  `each at most ${MAX_ELISION_GAP} characters after the previous one (UTF-16 code units, a whitespace run counting as one); ` +
  `a bracketed insertion (\`[The mayor] added\`, \`it [the tunnel] will\`) is editorial and is not searched for: it stands for at most ${MAX_INSERTION_GAP} characters of the source, or none. ` +
  'Commas, semicolons and colons beside these marks are not searched for either. When the same words occur more than once, the tightest placement in order is chosen (the earliest on a tie). ' +
  'A quote found word for word, marks included, is one part. ' +
  '`selector` covers the whole span (first part’s start to last part’s end), `parts` each part. ' +
  'A quote that is not in the text is 422 `quote_not_in_source`, whose `errors[].message` names the part that was not found (`part 2 of 3 ("…")`).';

const AttributionKind = Type.Enum([...ATTRIBUTION_KINDS], { description: 'How the source renders the claim.' });
const Stance = Type.Enum([...STANCES], { description: 'What the claimant does with the claim.' });

const who = {
  claimant_id: Type.Optional(nullable(ref(Id, { description: 'An existing claimant.' }))),
  claimant_name: Type.Optional(
    ShortText('Name of the claimant instead of an id: matched to an existing claimant by name or alias (ignoring case and accents), or created.', 300),
  ),
  claimant_label: Type.Optional(nullable(ShortText('Free-text description of an unnamed speaker, e.g. "a senior official".', 300))),
};

const what = {
  kind: Type.Optional(AttributionKind),
  stance: Type.Optional(Stance),
  quote: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: MAX_QUOTE, description: 'The words as the source gives them; anchored in the source text when it has one.' }))),
  said_at: Type.Optional(nullable(ref(Timestamp, { description: 'When the claimant said it, if known.' }))),
};

const inlineDescription =
  'Name the claimant with exactly one of `claimant_id` or `claimant_name`, and/or describe an unnamed one with `claimant_label`.';

export const AttributionInline = Type.Object(
  { source_id: ref(Id), ...who, ...what },
  { $id: 'AttributionInline', additionalProperties: false, description: `An attribution created together with its claim. ${inlineDescription}` },
);

export const AttributionCreate = Type.Object(
  { claim_id: ref(Id), source_id: ref(Id), ...who, ...what },
  { $id: 'AttributionCreate', additionalProperties: false, description: inlineDescription },
);

export const AttributionPatch = Type.Object(
  { claim_id: Type.Optional(ref(Id)), source_id: Type.Optional(ref(Id)), ...who, ...what },
  { $id: 'AttributionPatch', additionalProperties: false, minProperties: 1, description: 'Fields to change; a new quote or source is anchored again.' },
);

export const Attribution = Type.Object(
  {
    id: ref(Id),
    claim_id: ref(Id),
    source_id: ref(Id),
    claimant_id: nullable(ref(Id)),
    claimant_label: nullable(Type.String()),
    kind: AttributionKind,
    stance: Stance,
    quote: nullable(Type.String()),
    said_at: nullable(ref(Timestamp)),
    selector: nullable(ref(Selector, { description: 'Where the quote sits, its whole span: from the first part’s start to the last part’s end, elided text included.' })),
    parts: nullable(
      Type.Array(ref(QuotePart), {
        minItems: 1,
        description:
          'The words of the quote in the source, in order: one part for a quote without elisions or bracketed insertions (the same offsets as `selector`), one per stretch of words otherwise. Null when not anchored.',
      }),
    ),
    anchored: Type.Boolean({ description: 'True when `quote` was found in the source text and `selector` and `parts` say where.' }),
    claimant_resolution: Type.Optional(
      Type.Object(
        {
          status: Type.Enum(['matched', 'created']),
          claimant_id: ref(Id),
          matched_name: Type.Optional(Type.String()),
          score: nullable(Type.Number({ minimum: 0, maximum: 1 })),
          rule: Type.Enum(['same_name', 'misspelling', 'no_close_match']),
        },
        {
          additionalProperties: false,
          description:
            'Only in the answer to a write that gave `claimant_name`: which claimant it resolved to and how. `matched` an existing one by `same_name` (the name, an alias or a transliteration: score ≥ 0.95) or as a `misspelling` (same words but one long word one letter off, e.g. "Hilary Clinton", and no other claimant within 0.1 of its score); else `created` (`no_close_match`; `score` is the best existing claimant’s, null when none came close). A word more or less (Donald Trump Jr), a short word changed (Tom Kean Sr, Ron Paul) or a surname alone never matches.',
        },
      ),
    ),
    created_at: ref(Timestamp),
    updated_at: ref(Timestamp),
    version: Type.Integer({ minimum: 1 }),
    claim: Type.Optional(Type.Unsafe<Record<string, unknown>>({ $ref: 'Claim', description: 'With `include=claim`.' })),
    source: Type.Optional(Type.Unsafe<Record<string, unknown>>({ $ref: 'SourceSummary', description: 'With `include=source`.' })),
    claimant: Type.Optional(nullable(Type.Unsafe<Record<string, unknown>>({ $ref: 'Claimant', description: 'With `include=claimant`.' }))),
    rank: Type.Optional(Type.Number({ description: `With \`q\`: ${RANK_DESCRIPTION}` })),
    highlight: Type.Optional(Type.String({ description: 'With `q`: the quote, HTML-escaped, matching words in `<mark>…</mark>`.' })),
  },
  { $id: 'Attribution', description: 'Who asserted a claim, in which source, with which words.' },
);

export const ATTRIBUTION_SORTS = ['created_at', 'updated_at', 'said_at'];
export const ATTRIBUTION_INCLUDES = ['claim', 'source', 'claimant'] as const;

export const AttributionListQuery = Type.Object(
  {
    claim_id: Type.Optional(ref(Id)),
    source_id: Type.Optional(ref(Id)),
    claimant_id: Type.Optional(ref(Id)),
    kind: Type.Optional(AttributionKind),
    stance: Type.Optional(Stance),
    include: Type.Optional(includeParam(ATTRIBUTION_INCLUDES)),
    q: Type.Optional(
      searchParam(
        'Full-text search in quotes, English stemming, web-search syntax (`"phrase"`, `OR`, `-word`). ' +
          'Best first (`sort=-rank`, the default with `q`), each with `rank` and a `highlight` of the quote. ' +
          RANKED_WALK,
      ),
    ),
    ...listQueryProperties(ATTRIBUTION_SORTS, '-created_at'),
    sort: sortWithRank(ATTRIBUTION_SORTS, '-created_at'),
  },
  { additionalProperties: false },
);

export const AttributionGetQuery = Type.Object(
  { include: Type.Optional(includeParam(ATTRIBUTION_INCLUDES)) },
  { additionalProperties: false },
);

export type AttributionInlineBody = Static<typeof AttributionInline>;
export type AttributionCreateBody = Static<typeof AttributionCreate>;
export type AttributionPatchBody = Static<typeof AttributionPatch>;
export type AttributionListParams = Static<typeof AttributionListQuery>;
export const AttributionPage = pageOf(ref(Attribution), 'A page of attributions.');
