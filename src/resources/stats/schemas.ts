import { Type, type Static } from 'typebox';
import { Id, Timestamp, nullable, ref } from '../../lib/schemas.js';
import { ClaimListQuery } from '../claims/schemas.js';

export const GROUP_BYS = ['verdict', 'textual_rating', 'status', 'topic', 'claimant', 'publisher', 'language', 'day', 'week', 'month'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
export const TIME_GROUPS: readonly GroupBy[] = ['day', 'week', 'month'];
/** Groups with open-ended values, cut to the `limit` largest. */
export const OPEN_GROUPS: readonly GroupBy[] = ['textual_rating', 'topic', 'claimant', 'publisher', 'language'];

export const MAX_BUCKETS = 5000;

/**
 * Every filter of `GET /v1/claims` (whatever is added there later, such as `q`),
 * without the list's paging, sorting and embedding.
 */
export const ClaimFilterQuery = Type.Omit(ClaimListQuery, ['include', 'limit', 'cursor', 'sort', 'count']);

export const StatsClaimsQuery = Type.Object(
  {
    group_by: Type.Enum([...GROUP_BYS], {
      description:
        'What to count claims by. `textual_rating` counts claims by the publisher’s own wording of their current review (the review that gives the claim its `verdict`: the newest by `published_at`), so that “Pants on Fire” and “False”, both verdict `false`, are counted apart; the wording is matched exactly. `topic`, `claimant` and `publisher` count each claim once in every group it belongs to, so their counts may add up to more than `total`. `day`, `week` (ISO, starting Monday) and `month` are UTC buckets of `time_field`.',
    }),
    ...ClaimFilterQuery.properties,
    time_field: Type.Optional(
      Type.Enum(['first_seen_at', 'created_at'], {
        default: 'first_seen_at',
        description: 'The timestamp `day`/`week`/`month`, `from` and `to` use: when the claim was first said or published (default), or when it was recorded here.',
      }),
    ),
    from: Type.Optional(ref(Timestamp, { description: 'Only claims whose `time_field` is at or after this instant; time buckets start at its bucket.' })),
    to: Type.Optional(ref(Timestamp, { description: 'Only claims whose `time_field` is before this instant; time buckets end at its bucket. Empty buckets between `from` and `to` are listed with count 0.' })),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 100,
        description: 'For `textual_rating`, `topic`, `claimant`, `publisher` and `language`: the largest groups only, at most this many (default 100). Ignored by the other groupings, which list every value.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const StatsGroup = Type.Object(
  {
    key: nullable(
      Type.String({
        description:
          'The value counted: an enumeration value, a textual rating, a topic, a claimant id, a publisher, a language tag, or the first day (UTC, `YYYY-MM-DD`) of a time bucket. `null` is the group of claims without one (no verdict, no topic, no named claimant, no known time…).',
      }),
    ),
    label: Type.String({ description: 'Human-readable name: the verdict’s label, the claimant’s name, `2026-W10` for a week…' }),
    count: Type.Integer({ minimum: 0 }),
  },
  { $id: 'StatsGroup', additionalProperties: false },
);

export const ClaimStats = Type.Object(
  {
    group_by: Type.Enum([...GROUP_BYS]),
    total: Type.Integer({ minimum: 0, description: 'Claims matching the filters.' }),
    groups: Type.Array(ref(StatsGroup), {
      description:
        'Enumerations (`verdict`, `status`) list every value, zeros included, in their natural order, then the `null` group if it is not empty. `textual_rating`, `topic`, `claimant`, `publisher`, `language` list the largest groups first, then the `null` group (for `textual_rating`: claims without a review or whose current review has no textual rating). Time buckets run oldest first with empty buckets filled, then the `null` group (no known time) if it is not empty.',
    }),
    from: Type.Optional(ref(Timestamp, { description: 'Time groupings: the start of the first bucket.' })),
    to: Type.Optional(ref(Timestamp, { description: 'Time groupings: the end (exclusive) of the last bucket.' })),
  },
  { $id: 'ClaimStats', additionalProperties: false, description: 'Claim counts for dashboards.' },
);

const ResourceCounts = Type.Object(
  {
    sources: Type.Integer({ minimum: 0 }),
    claimants: Type.Integer({ minimum: 0 }),
    claims: Type.Integer({ minimum: 0 }),
    attributions: Type.Integer({ minimum: 0 }),
    reviews: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const StatsOverview = Type.Object(
  {
    totals: ResourceCounts,
    created_last_7_days: Type.Object(
      { sources: Type.Integer({ minimum: 0 }), claims: Type.Integer({ minimum: 0 }), reviews: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false, description: 'Rows created in the 7 days before the request.' },
    ),
    claims_by_status: Type.Array(ref(StatsGroup)),
    claims_by_verdict: Type.Array(ref(StatsGroup)),
    last_event_seq: Type.Integer({ minimum: 0, description: 'The newest change-log `seq` (0 before the first change); poll `GET /v1/events?after=` from it.' }),
    recent_events: Type.Array(
      Type.Object(
        {
          seq: Type.Integer({ minimum: 1 }),
          type: Type.String(),
          entity_type: Type.String(),
          entity_id: ref(Id),
          occurred_at: ref(Timestamp),
        },
        { additionalProperties: false },
      ),
      { description: 'The newest changes to the data, newest first (at most 10); changes to API keys are not listed here.' },
    ),
  },
  { $id: 'StatsOverview', additionalProperties: false, description: 'Totals and the newest activity, for a dashboard’s front page.' },
);

export const StatsHeaders = Type.Object(
  { 'if-none-match': Type.Optional(Type.String({ maxLength: 1000, description: 'An ETag of an earlier answer: 304 while the numbers are unchanged.' })) },
  { additionalProperties: true },
);

export type StatsClaimsParams = Static<typeof StatsClaimsQuery>;
export type ClaimStatsBody = Static<typeof ClaimStats>;
export type StatsGroupBody = Static<typeof StatsGroup>;
export type StatsOverviewBody = Static<typeof StatsOverview>;

export const statsSchemas = () => [StatsGroup, ClaimStats, StatsOverview];
