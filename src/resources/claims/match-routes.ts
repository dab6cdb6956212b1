import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DEFAULT_MIN_SCORE, MATCH_WEIGHTS } from '../../domain/matching.js';
import { Language, problemResponses } from '../../lib/schemas.js';
import { Claim } from './schemas.js';
import { CANDIDATE_LIMIT, matchClaims } from './match.js';

const w = MATCH_WEIGHTS;

const MatchBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 2000, description: 'The statement to look for, as heard or read: any wording, 1–2000 characters.' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'At most this many matches (default 10).' })),
    min_score: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: `Leave out matches scoring below this (default ${DEFAULT_MIN_SCORE}: more likely the same claim than not).` }),
    ),
    language: Type.Optional({
      ...Language,
      description: 'Only claims in this language (any region of it) and claims without a language. Stemming is English whatever the language.',
    }),
  },
  { additionalProperties: false },
);

const Signals = Type.Object(
  {
    trigram: Type.Number({ description: 'Trigram similarity of the normalised texts, 0–1.' }),
    lexical: Type.Number({ description: 'Dice overlap of the English stems (numbers left out), 0–1.' }),
    numbers: Type.Number({ description: 'Agreement of the quantities mentioned: 1 the same, −1 none shared, 0 when either text has none.' }),
  },
  { additionalProperties: false, description: 'The signals the score combines, for judging a match yourself.' },
);

const ClaimMatch = Type.Object(
  {
    ...Claim.properties,
    score: Type.Number({ minimum: 0, maximum: 1, description: 'Calibrated: about the probability that the claim asserts the same thing as `text`.' }),
    signals: Signals,
  },
  { additionalProperties: false, description: 'An existing claim, with how well it matches.' },
);

const description = `"Has this been claimed or checked before?" Existing claims that assert the same thing as \`text\`, best first, each with a \`score\` from 0 to 1. \
Robust to rewording, word order, stop words, case, punctuation and to numbers written as digits or words ("240" / "two hundred forty", "2.4 billion" / "2,400,000,000").

**How the score is made.** Both texts are normalised (accents and case folded, punctuation and English stop words dropped, number words turned into digits). Three signals, each of which the database can index, are then combined:
- \`trigram\`: pg_trgm similarity of the normalised texts (shared / all distinct three-letter sequences): survives word order and small spelling changes;
- \`lexical\`: Dice overlap of the English stems of the two texts (the claim's full-text index), numbers left out: survives inflection and stop words;
- \`numbers\`: agreement of the quantities mentioned, +1 the same, −1 none shared, 0 when either text mentions none: a claim about 3 billion is not the claim about 2.4 billion.

score = σ(${w.bias} + ${w.trigram}·trigram + ${w.lexical}·lexical + ${w.numbers}·numbers), with σ(x) = 1/(1+e^−x).

The weights are a logistic regression fitted on a labelled set of rewordings (each rewording against the claim it rewords and against the other candidates), so a score reads as an estimate of the probability that the two assert the same thing; at the default \`min_score\` of ${DEFAULT_MIN_SCORE} a match is more likely than not, and an unrelated text returns nothing. Candidates are found with the full-text index: the claims sharing the text's rarer stems (or pairs of its common ones), of which the ${CANDIDATE_LIMIT} best by \`ts_rank\` are scored. Read-only: needs the \`read\` scope.`;

/** POST /v1/claims/match: a read, though a POST (the text can be long). */
const claimMatchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/claims/match',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'matchClaims',
        tags: ['claims'],
        summary: 'Find existing claims that say the same thing',
        description,
        body: MatchBody,
        response: {
          200: Type.Object({ data: Type.Array(ClaimMatch, { description: 'Best first; empty when nothing reaches `min_score`.' }) }, { description: 'Matching claims.' }),
          ...problemResponses(400, 413, 415),
        },
      },
    },
    async (request) => ({ data: await matchClaims(app.db, request.body) }),
  );
};

export default claimMatchRoutes;
