import { Type, type Static, type TOptional, type TSchema } from 'typebox';
import { EVIDENCE_STANCES, VERDICTS } from '../../db/schema.js';
import { Id, Language, Timestamp, WebUrl, nullable, pageOf, ref } from '../../lib/schemas.js';
import { listQueryProperties } from '../../lib/pagination.js';

export const Verdict = Type.Enum([...VERDICTS], { description: 'The fact-checker’s conclusion.' });

export const Evidence = Type.Object(
  {
    source_id: ref(Id),
    stance: Type.Enum([...EVIDENCE_STANCES], { description: 'What the source does for the verdict.' }),
    note: Type.Optional(nullable(Type.String({ maxLength: 2000, description: 'What the source shows.' }))),
  },
  { $id: 'Evidence', additionalProperties: false },
);

export const Review = Type.Object(
  {
    id: ref(Id),
    claim_id: ref(Id),
    verdict: Verdict,
    textual_rating: nullable(Type.String({ description: 'The publisher’s own words, e.g. "Pants on Fire".' })),
    rating_value: nullable(Type.Number()),
    best_rating: nullable(Type.Number()),
    worst_rating: nullable(Type.Number()),
    summary: nullable(Type.String()),
    reviewer_name: nullable(Type.String()),
    reviewer_url: nullable(Type.String()),
    url: nullable(Type.String()),
    published_at: nullable(ref(Timestamp)),
    language: nullable(Type.String()),
    evidence: Type.Array(ref(Evidence)),
    created_at: ref(Timestamp),
    updated_at: ref(Timestamp),
    version: Type.Integer({ minimum: 1 }),
  },
  { $id: 'Review', additionalProperties: false, description: 'A fact-check verdict on a claim.' },
);


const rating = (description: string) => nullable(Type.Number({ minimum: -1e9, maximum: 1e9, description }));
const reviewInput = {
  textual_rating: nullable(Type.String({ minLength: 1, maxLength: 200, description: 'The publisher’s own words, e.g. "Pants on Fire".' })),
  rating_value: rating('Numeric rating, between `worst_rating` and `best_rating` when those are given.'),
  best_rating: rating('The best possible rating on this publisher’s scale.'),
  worst_rating: rating('The worst possible rating on this publisher’s scale.'),
  summary: nullable(Type.String({ minLength: 1, maxLength: 10_000, description: 'The rationale.' })),
  reviewer_name: nullable(Type.String({ minLength: 1, maxLength: 300, description: 'Who published the review (organisation or person).' })),
  reviewer_url: nullable(WebUrl),
  url: nullable({ ...WebUrl, description: 'Where the fact-check is published.' }),
  published_at: nullable(ref(Timestamp)),
  language: nullable(Language),
  evidence: Type.Array(ref(Evidence), { maxItems: 50, description: 'Sources the verdict rests on. Each `source_id` must exist (422 otherwise). Replaces the whole list on PATCH.' }),
};

type Optionalised<T extends Record<string, TSchema>> = { [K in keyof T]: TOptional<T[K]> };
const optional = <T extends Record<string, TSchema>>(props: T) =>
  Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)])) as Optionalised<T>;

export const ReviewCreate = Type.Object(
  { verdict: Verdict, ...optional(reviewInput) },
  { $id: 'ReviewCreate', additionalProperties: false, description: 'A fact-check of the claim in the path. It moves the claim to `reviewed` and, if newest, sets its `verdict`.' },
);

export const ReviewPatch = Type.Object(
  { verdict: Type.Optional(Verdict), ...optional(reviewInput) },
  { $id: 'ReviewPatch', additionalProperties: false, minProperties: 1, description: 'Fields to change; `null` clears a nullable field.' },
);

export const REVIEW_SORTS = ['created_at', 'updated_at', 'published_at'];

export const ReviewListQuery = Type.Object(
  {
    claim_id: Type.Optional(ref(Id)),
    verdict: Type.Optional(Verdict),
    reviewer_name: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'Exact reviewer name.' })),
    published_from: Type.Optional(ref(Timestamp, { description: 'Published at or after.' })),
    published_to: Type.Optional(ref(Timestamp, { description: 'Published before.' })),
    ...listQueryProperties(REVIEW_SORTS, '-created_at'),
  },
  { additionalProperties: false },
);

export const ReviewPage = pageOf(ref(Review), 'A page of reviews.');
export type ReviewCreateBody = Static<typeof ReviewCreate>;
export type ReviewPatchBody = Static<typeof ReviewPatch>;
export type ReviewListParams = Static<typeof ReviewListQuery>;


const Thing = (type: string, description: string) =>
  Type.Object({ '@type': Type.Literal(type) }, { additionalProperties: true, description });

export const ClaimReviewDoc = Type.Object(
  {
    '@context': Type.Literal('https://schema.org'),
    '@type': Type.Literal('ClaimReview'),
    url: Type.Optional(Type.String({ description: 'The review’s `url`.' })),
    claimReviewed: Type.String({ description: 'The claim’s text.' }),
    datePublished: Type.Optional(Type.String({ description: 'The review’s `published_at`.' })),
    inLanguage: Type.Optional(Type.String()),
    author: Type.Optional(Thing('Organization', 'The reviewer.')),
    reviewRating: Thing('Rating', '`ratingValue`, `bestRating`, `worstRating` when known; `alternateName` is the textual rating, else the verdict’s label.'),
    itemReviewed: Thing(
      'Claim',
      '`author`: the asserting claimants (`Person` for kind `person`; `Organization` for `organization`, `government`, `media` and `group`; `Thing` for `unknown` and for free-text `claimant_label`s, whose nature is not known; `sameAs` their Wikidata URL); `datePublished`: the claim’s `first_seen_at`; `appearance`: the sources it appeared in; `firstAppearance`: the earliest.',
    ),
  },
  { $id: 'ClaimReview', additionalProperties: false, description: 'schema.org ClaimReview, ready to embed in a fact-check page as JSON-LD.' },
);

export const reviewSchemas = () => [Evidence, Review, ReviewCreate, ReviewPatch, ClaimReviewDoc];
