import { Type, type Static } from 'typebox';
import { Id, Timestamp, nullable, ref } from '../../lib/schemas.js';

export const ENTITY_TYPES = ['source', 'claimant', 'claim', 'attribution', 'review', 'api_key'] as const;
const ACTIONS = ['created', 'updated', 'deleted'] as const;
export const EVENT_TYPES = ENTITY_TYPES.flatMap((e) => ACTIONS.map((a) => `${e}.${a}`));

const Fields = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  additionalProperties: true,
});

export const Event = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'Position in the change log; strictly increasing in commit order.' }),
    id: ref(Id),
    type: Type.String({ description: '`<entity_type>.<created|updated|deleted>`.', examples: ['claim.updated'] }),
    entity_type: Type.Enum([...ENTITY_TYPES]),
    entity_id: ref(Id),
    key_id: nullable(ref(Id, { description: 'The API key that made the change; null for changes made without one.' })),
    request_id: nullable(Type.String({ description: 'The request that made the change (also in the logs and in problem+json).' })),
    occurred_at: ref(Timestamp),
    before: nullable({ ...Fields, description: 'created: null; updated: the changed fields before; deleted: the whole entity.' }),
    after: nullable({ ...Fields, description: 'created: the whole entity; updated: the changed fields after; deleted: null.' }),
  },
  { $id: 'Event', additionalProperties: false, description: 'One entry of the append-only change log.' },
);

export const EventPage = Type.Object(
  {
    data: Type.Array(ref(Event)),
    next_after: Type.Integer({ minimum: 0, description: 'Pass as `after` to continue; equals `after` when nothing new has committed.' }),
  },
  { description: 'Events in ascending `seq`.' },
);

// seq is a bigint, but past 2^53 - 1 a JSON number no longer says which one: that is the bound.
const after = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  default: 0,
  description: 'Return events with `seq` greater than this; 0 starts from the beginning. At most 9007199254740991 (2^53 − 1).',
});
const limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Events per page, 1–1000.' });

export const EventListQuery = Type.Object(
  {
    after: Type.Optional(after),
    limit: Type.Optional(limit),
    type: Type.Optional(Type.Enum(EVENT_TYPES, { description: 'Only this event type.' })),
    entity_type: Type.Optional(Type.Enum([...ENTITY_TYPES])),
    entity_id: Type.Optional(ref(Id)),
  },
  { additionalProperties: false },
);

export const HistoryQuery = Type.Object({ after: Type.Optional(after), limit: Type.Optional(limit) }, { additionalProperties: false });

export const eventSchemas = () => [Event];
export type EventListParams = Static<typeof EventListQuery>;
