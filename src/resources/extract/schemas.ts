import { Type, type Static } from 'typebox';
import { CLAIMANT_KINDS } from '../../db/schema.js';
import { Id, Language, ShortText, StringList, nullable, ref } from '../../lib/schemas.js';
import { Selector } from '../attributions/schemas.js';
import { Claim } from '../claims/schemas.js';

/**
 * Texts longer than this (UTF-16 code units, the unit of selector offsets) are
 * refused with 413: extraction is linear in the text, about 40 ms per 5,000
 * words, so 200,000 characters (~33,000 words) stay well under a second.
 */
export const DEFAULT_MAX_EXTRACT_LENGTH = 200_000;

const CandidateKind = Type.Enum(['direct_quote', 'reported', 'paraphrase'], {
  description: '`direct_quote`: the speaker’s words in quotation marks; `reported`: indirect speech ("the agency reported that …", "according to …"); `paraphrase`: the writer’s rendering ("described the plan as …").',
});
const Stance = Type.Enum(['asserts', 'denies', 'questions', 'reports'], { description: 'What the speaker does with the claim.' });
const SpeakerType = Type.Enum(['person', 'organization', 'group', 'anonymous', 'unknown'], {
  description: '`anonymous`: an unnamed speaker ("one official", "sources"); `group`: a collective ("city officials", "critics").',
});

export const ExtractedQuantity = Type.Object(
  {
    value: Type.Number({ description: 'The number, scaled ("2.4 billion" → 2400000000; "two-thirds" → 0.666667; "90%" → 90).' }),
    unit: nullable(Type.String({ description: '`percent`, a currency code (`EUR`), `fraction`, `ratio`, `times`, or the counted noun (`homes`); null for a bare number.' })),
    text: Type.String({ description: 'The words as the source has them.' }),
    start: Type.Integer({ minimum: 0, description: 'Offset in the text (UTF-16 code units).' }),
    end: Type.Integer({ minimum: 0 }),
  },
  { $id: 'ExtractedQuantity', additionalProperties: false, description: 'A quantity in the claim: "2.4 billion euros", "90%", "12,000 homes", "two-thirds".' },
);

export const CheckworthinessReason = Type.Object(
  {
    code: Type.Enum(['quantity', 'comparison', 'superlative', 'causal', 'named_entity', 'date', 'opinion', 'question', 'prediction', 'too_short'], {
      description: 'The first six raise the score, the last four lower it.',
    }),
    evidence: Type.String({ description: 'The words that triggered it.' }),
  },
  { $id: 'CheckworthinessReason', additionalProperties: false },
);

export const ClaimantMatch = Type.Object(
  {
    id: ref(Id),
    name: Type.String(),
    kind: Type.Enum([...CLAIMANT_KINDS]),
    score: Type.Number({ minimum: 0, maximum: 1, description: 'Trigram similarity of the speaker to the claimant’s name or best alias, ignoring case and accents; 1 is the same name.' }),
  },
  { $id: 'ClaimantMatch', additionalProperties: false, description: 'The existing claimant that best matches the speaker.' },
);

export const ExtractCandidate = Type.Object(
  {
    index: Type.Integer({ minimum: 0, description: 'Position in the list; pass it in `keep` to commit this candidate.' }),
    id: Type.String({ pattern: '^[0-9a-f]{16}$', description: 'Stable for the same text, words and speaker; may be passed in `keep` instead of `index`.' }),
    claim_text: Type.String({ description: 'The claim as a sentence of its own: the quoted words, the reported clause, or "X is Y" for a paraphrase.' }),
    speaker: Type.String({ description: 'Who makes the claim: the name (a pronoun, surname or title such as "the minister" resolved to the last named person it fits), or the phrase as written for unnamed speakers ("one official").' }),
    speaker_type: SpeakerType,
    speaker_role: nullable(Type.String({ description: 'Title or role written with the name ("Health Minister", "spokesperson for the ministry").' })),
    speaker_mention: Type.Object(
      { text: Type.String(), start: Type.Integer({ minimum: 0 }), end: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false, description: 'The words naming the speaker where the claim is attributed ("she", "Mayor Ana Lindqvist").' },
    ),
    claimant: nullable(ref(ClaimantMatch, { description: 'The existing claimant that matches the speaker, or null. Anonymous speakers are never matched.' })),
    kind: CandidateKind,
    stance: Stance,
    cue: Type.String({ description: 'The attribution words: "said", "told", "according to", "described … as", "rejected claims"; empty when a quote continues the previous speaker’s.' }),
    quote: Type.String({ description: 'The words in the source: inside the quotation marks, or the reported clause; `selector.exact`.' }),
    selector: ref(Selector),
    quote_parts: nullable(
      Type.Array(ref(Selector), { description: 'For a quote split around its attribution (“…,” she said, “…”): where each part is. `quote` then spans both parts.' }),
    ),
    checkworthiness: Type.Number({ minimum: 0, maximum: 1, description: 'How worth checking the claim is: numbers, comparisons, superlatives, causes and names raise it; opinions, questions and short remarks lower it.' }),
    reasons: Type.Array(ref(CheckworthinessReason)),
    quantities: Type.Array(ref(ExtractedQuantity)),
    confidence: Type.Number({ minimum: 0, maximum: 1, description: 'How sure the rule that found the attribution is.' }),
    existing_attribution_id: Type.Optional(
      nullable(ref(Id, { description: 'On a stored source: an attribution of this source with the same quote, if one exists (committing skips the candidate).' })),
    ),
  },
  { $id: 'ExtractCandidate', additionalProperties: false, description: 'A candidate claim with its attribution, ready to confirm.' },
);

const stats = Type.Object(
  {
    paragraphs: Type.Integer({ minimum: 0 }),
    sentences: Type.Integer({ minimum: 0 }),
    quotations: Type.Integer({ minimum: 0 }),
    words: Type.Integer({ minimum: 0 }),
    elapsed_ms: Type.Number({ minimum: 0, description: 'Time spent extracting, without matching claimants.' }),
  },
  { additionalProperties: false },
);

export const ExtractRequest = Type.Object(
  {
    text: Type.String({ minLength: 1, description: 'The article, transcript or statement. Longer than the configured limit (200,000 characters by default): 413.' }),
    language: Type.Optional(nullable({ ...Language, description: 'BCP 47 tag of the text; only English (`en`, `en-GB`, …) is supported, others are 422. Default `en`.' })),
    min_checkworthiness: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Leave out candidates that score lower.' })),
  },
  { $id: 'ExtractRequest', additionalProperties: false },
);

export const ExtractResult = Type.Object(
  {
    language: Type.String(),
    candidates: Type.Array(ref(ExtractCandidate)),
    stats,
  },
  { $id: 'ExtractResult', additionalProperties: false },
);

const ClaimText = Type.String({ minLength: 1, maxLength: 2000, description: 'Replaces the candidate’s `claim_text`.' });

const KeepEdit = Type.Object(
  {
    index: Type.Optional(Type.Integer({ minimum: 0, description: 'The candidate’s `index`.' })),
    id: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$', description: 'The candidate’s `id`.' })),
    claim_text: Type.Optional(ClaimText),
    claimant_id: Type.Optional(ref(Id, { description: 'Attribute to this claimant instead of the matched or named one.' })),
    claimant_name: Type.Optional(ShortText('Attribute to the claimant of this name (matched or created) instead.', 300)),
    claimant_label: Type.Optional(nullable(ShortText('Describe an unnamed speaker instead ("a senior official").', 300))),
    kind: Type.Optional(CandidateKind),
    stance: Type.Optional(Stance),
  },
  { additionalProperties: false, description: 'A candidate to keep (by `index` or `id`), with corrections.' },
);

export const SourceExtractRequest = Type.Object(
  {
    keep: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Integer({ minimum: 0, description: 'A candidate’s `index`.' }),
          Type.String({ pattern: '^[0-9a-f]{16}$', description: 'A candidate’s `id`.' }),
          KeepEdit,
        ]),
        {
          maxItems: 1000,
          description:
            'With `commit=true`: the candidates to commit, by `index`, by `id`, or as an object with corrections. Absent: every candidate (after `min_checkworthiness`). A reference to no candidate is 422 and nothing is written.',
        },
      ),
    ),
    min_checkworthiness: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Leave out candidates that score lower (before `keep` applies).' })),
    topics: Type.Optional(StringList('Topics given to every committed claim.', 50, 100)),
  },
  { $id: 'SourceExtractRequest', additionalProperties: false },
);

export const SourceExtractQuery = Type.Object(
  {
    commit: Type.Optional(
      Type.Boolean({ default: false, description: 'Create the kept candidates as claims with their attributions, in one transaction. Without it nothing is written.' }),
    ),
  },
  { additionalProperties: false },
);

export const SourceExtractResult = Type.Object(
  {
    source_id: ref(Id),
    language: Type.String(),
    committed: Type.Boolean({ description: 'Whether claims were written.' }),
    candidates: Type.Array(ref(ExtractCandidate), { description: 'Every candidate of the source text (a preview), or with `commit=true` the ones kept.' }),
    claims: Type.Array(ref(Claim), { description: 'With `commit=true`: the created claims, in candidate order, each with its attribution and claimant embedded.' }),
    skipped: Type.Array(
      Type.Object(
        {
          index: Type.Integer({ minimum: 0 }),
          id: Type.String(),
          attribution_id: ref(Id),
          reason: Type.Enum(['already_committed']),
        },
        { additionalProperties: false },
      ),
      { description: 'Kept candidates not written because the source already has an attribution with the same quote.' },
    ),
    stats,
  },
  { $id: 'SourceExtractResult', additionalProperties: false },
);

export const extractSchemas = () => [ExtractedQuantity, CheckworthinessReason, ClaimantMatch, ExtractCandidate, ExtractRequest, ExtractResult, SourceExtractRequest, SourceExtractResult];

export type ExtractRequestBody = Static<typeof ExtractRequest>;
export type SourceExtractBody = Static<typeof SourceExtractRequest>;
export type KeepItem = NonNullable<SourceExtractBody['keep']>[number];
export type ExtractCandidateOut = Static<typeof ExtractCandidate>;
export type ClaimantMatchOut = Static<typeof ClaimantMatch>;
