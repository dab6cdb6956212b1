import { Type, type Static } from 'typebox';
import { Language, StringList, Timestamp, Id, includeParam, nullable, pageOf, ref } from '../../lib/schemas.js';
import { listQueryProperties } from '../../lib/pagination.js';
import { RANKED_WALK, RANK_DESCRIPTION, searchParam, sortWithRank } from '../../db/search.js';
import { Attribution, AttributionInline } from '../attributions/schemas.js';
import { Claimant } from '../claimants/schemas.js';
import { SourceSummary } from '../sources/schemas.js';
import { Review, Verdict } from '../reviews/schemas.js';

const ClaimText = Type.String({ minLength: 1, maxLength: 2000, description: 'The checkable assertion in neutral wording, 1–2000 characters.' });
const Topics = StringList('Free-form topic tags.', 50, 100);
const SettableStatus = Type.Enum(['unreviewed', 'in_review'], {
  description: 'A desk may mark a claim `in_review`; `reviewed` is set by reviews.',
});

export const Claim = Type.Object(
  {
    id: ref(Id),
    text: Type.String(),
    language: nullable(Type.String()),
    topics: Type.Array(Type.String()),
    status: Type.Enum(['unreviewed', 'in_review', 'reviewed']),
    verdict: nullable({ ...Verdict, description: 'Derived: the verdict of the newest review, or null.' }),
    first_seen_at: nullable(
      ref(Timestamp, { description: 'Derived: the earliest `said_at` of its attributions, else the earliest `published_at` of their sources.' }),
    ),
    attribution_count: Type.Integer({ minimum: 0, description: 'Derived: number of attributions.' }),
    review_count: Type.Integer({ minimum: 0, description: 'Derived: number of reviews.' }),
    created_at: ref(Timestamp),
    updated_at: ref(Timestamp),
    version: Type.Integer({ minimum: 1, description: 'Also rises when a derived field changes.' }),
    attributions: Type.Optional(Type.Array(ref(Attribution), { description: 'With `include=attributions`.' })),
    reviews: Type.Optional(Type.Array(ref(Review), { description: 'With `include=reviews`, oldest first.' })),
    claimants: Type.Optional(Type.Array(ref(Claimant), { description: 'With `include=claimants`: the claimants of its attributions.' })),
    rank: Type.Optional(Type.Number({ description: `With \`q\`: ${RANK_DESCRIPTION}` })),
    highlight: Type.Optional(
      Type.String({ description: 'With `q`: the claim text, HTML-escaped, with the matching words in `<mark>…</mark>` (long texts cut to the best fragments, joined by ` … `).' }),
    ),
    sources: Type.Optional(Type.Array(ref(SourceSummary), { description: 'With `include=sources`: the sources of its attributions.' })),
  },
  { $id: 'Claim', additionalProperties: false, description: 'One checkable assertion.' },
);

export const ClaimCreate = Type.Object(
  {
    text: ClaimText,
    language: Type.Optional(nullable(Language)),
    topics: Type.Optional(Topics),
    status: Type.Optional(SettableStatus),
    attributions: Type.Optional(
      Type.Array(ref(AttributionInline), {
        maxItems: 100,
        description: 'Attributions created with the claim, in one transaction: if one fails (e.g. a quote not in its source) nothing is written.',
      }),
    ),
  },
  { $id: 'ClaimCreate', additionalProperties: false },
);

export const ClaimPatch = Type.Object(
  {
    text: Type.Optional(ClaimText),
    language: Type.Optional(nullable(Language)),
    topics: Type.Optional(Topics),
    status: Type.Optional(SettableStatus),
  },
  { $id: 'ClaimPatch', additionalProperties: false, minProperties: 1, description: 'Fields to change; `null` clears a nullable field.' },
);

export const CLAIM_SORTS = ['created_at', 'updated_at', 'first_seen_at', 'attribution_count'];
export const CLAIM_INCLUDES = ['attributions', 'reviews', 'claimants', 'sources'] as const;

export const ClaimListQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum(['unreviewed', 'in_review', 'reviewed'])),
    verdict: Type.Optional(Verdict),
    claimant_id: Type.Optional(ref(Id, { description: 'Claims with an attribution to this claimant.' })),
    source_id: Type.Optional(ref(Id, { description: 'Claims with an attribution in this source.' })),
    topic: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Claims tagged with this topic.' })),
    language: Type.Optional({
      ...Language,
      description:
        'Claims in this language, any case (`EN` is `en`), its regional and other variants included: `en` matches `en`, `en-GB` and `en-US`; `en-GB` matches `en-GB` (and `en-GB-…`) but not `en` or `en-US`. Claims without a language are not matched.',
    }),
    seen_from: Type.Optional(ref(Timestamp, { description: '`first_seen_at` at or after.' })),
    seen_to: Type.Optional(ref(Timestamp, { description: '`first_seen_at` before.' })),
    has_review: Type.Optional(Type.Boolean({ description: 'Only claims with (true) or without (false) a review.' })),
    include: Type.Optional(includeParam(CLAIM_INCLUDES)),
    q: Type.Optional(
      searchParam(
        'Full-text search in the claim text, English stemming, web-search syntax: `"exact phrase"`, `OR`, `-word` to exclude. ' +
          'Results come best first (`sort=-rank`, the default with `q`) and carry `rank` and `highlight`. ' +
          `${RANKED_WALK} ` +
          'Combines with every other filter; with an explicit `sort` the matches come in that order instead.',
      ),
    ),
    ...listQueryProperties(CLAIM_SORTS, '-created_at'),
    sort: sortWithRank(CLAIM_SORTS, '-created_at'),
  },
  { additionalProperties: false },
);

export const ClaimGetQuery = Type.Object({ include: Type.Optional(includeParam(CLAIM_INCLUDES)) }, { additionalProperties: false });

export const claimSchemas = () => [Claim, ClaimCreate, ClaimPatch];
export const ClaimPage = pageOf(ref(Claim), 'A page of claims.');
export type ClaimCreateBody = Static<typeof ClaimCreate>;
export type ClaimPatchBody = Static<typeof ClaimPatch>;
export type ClaimListParams = Static<typeof ClaimListQuery>;
