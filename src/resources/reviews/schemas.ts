import { Type } from 'typebox';
import { EVIDENCE_STANCES, VERDICTS } from '../../db/schema.js';
import { Id, Timestamp, nullable, ref } from '../../lib/schemas.js';

export const Verdict = Type.Enum([...VERDICTS], { description: 'The fact-checker’s conclusion.' });

export const Evidence = Type.Object(
  {
    source_id: ref(Id),
    stance: Type.Enum([...EVIDENCE_STANCES], { description: 'What the source does for the verdict.' }),
    note: nullable(Type.String({ maxLength: 2000 })),
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

export const reviewSchemas = () => [Evidence, Review];
