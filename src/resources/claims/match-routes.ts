import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { COMPETITION_FLOOR, DEFAULT_MIN_SCORE, MATCH_WEIGHTS, QUANTITY_MISMATCH_CAP, SCORE_CALIBRATION, TIME_BEFORE_DAYS } from '../../domain/matching.js';
import { backgroundEncoder, requestEncoder } from '../../domain/sentence-vectors.js';
import { wordVectors } from '../../domain/word-vectors.js';
import { Language, Timestamp, nullable, problemResponses, ref } from '../../lib/schemas.js';
import { Claim } from './schemas.js';
import { CANDIDATES, POSTINGS_PER_STEM, TITLE_CANDIDATES, matchClaims } from './match.js';
import { startMeaningQueue, type MeaningQueueWorker } from './meanings.js';

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
    published_at: Type.Optional({
      ...nullable(ref(Timestamp)),
      description:
        'When `text` was published or said, for the `time` signal: claims said, reported or checked soon after it rank higher. Absent: the date of the text\'s signature if it ends with one ("— Name (@handle) January 14, 2020", read as midnight UTC), else none. `null`: rank without time, whatever the text says. The answer\'s `time` says which was used.',
    }),
  },
  { additionalProperties: false },
);

const Signals = Type.Object(
  {
    text: Type.Number({ minimum: 0, description: 'BM25 of `text` against the claim (English stems, each weighted by how rare it is among all claims).' }),
    context: Type.Number({
      minimum: 0,
      description: 'The same against the claim and its context: the titles and the opening lines (300 characters) of the texts of the sources it is attributed to.',
    }),
    relative: Type.Number({ minimum: 0, maximum: 1, description: `\`context\` over the best \`context\` among the candidates, taken as at least ${COMPETITION_FLOOR.context}.` }),
    coverage: Type.Number({ minimum: 0, maximum: 1, description: "Share of the claim's own information (its stems weighted by rarity) that `text` contains." }),
    phrases: Type.Number({ minimum: 0, maximum: 1, description: "Share of the claim's adjacent word pairs that `text` has adjacent too." }),
    numbers: Type.Number({
      minimum: -1,
      maximum: 1,
      description:
        'Quantities: 1 when those both mention agree (one may give only part of the other\'s: "fell to 5 %" of "fell from 10 % to 5 %"), −1 when each gives one of a shared kind that the other contradicts (70 % against 47 %), 0 when they mention no quantity of the same kind.',
    }),
    meaning: Type.Number({
      minimum: -1,
      maximum: 1,
      description:
        "Cosine of the mean English word vectors of `text` and of the claim with its context, each word weighted by how rare it is: words that differ but mean much the same count a little.",
    }),
    meaning_lead: Type.Number({ minimum: -2, maximum: 2, description: `\`meaning\` minus the best other candidate's \`meaning\`, taken as at least ${COMPETITION_FLOOR.meaning}.` }),
    sentence: Type.Number({
      minimum: -1,
      maximum: 1,
      description:
        "Cosine of the sentence vectors of `text` and of the claim (Universal Sentence Encoder, Transformer-lite English model): close when they say the same thing in other words, not only when they share words.",
    }),
    sentence_lead: Type.Number({ minimum: -2, maximum: 2, description: `\`sentence\` minus the best other candidate's \`sentence\`, taken as at least ${COMPETITION_FLOOR.sentence}.` }),
    time: Type.Number({
      minimum: 0,
      maximum: 1,
      description: `How soon after the text's time (\`published_at\`, or its signature's date) the claim was said, reported or checked, by the nearest dated source it is attributed to or review of it: 1 for one published up to ${TIME_BEFORE_DAYS} days before the text, e^(−days/30) for one published days after it, 0 for one published earlier, and 0 when the text or the claim has no date.`,
    }),
  },
  { additionalProperties: false, description: 'The signals the score combines, for judging a match yourself.' },
);

const ClaimMatch = Type.Object(
  {
    ...Claim.properties,
    score: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'A calibrated probability that the claim asserts the same thing as `text` (see the operation description for how it is made and measured).',
    }),
    signals: Signals,
  },
  { additionalProperties: false, description: 'An existing claim, with how well it matches.' },
);

const w = MATCH_WEIGHTS;
const c = SCORE_CALIBRATION;
const description = `"Has this been claimed or checked before?" Existing claims that assert the same thing as \`text\`, best first, each with a \`score\` from 0 to 1. \
\`text\` may be as it was found: a tweet's trailing "— Name (@handle) date" signature, links, pic.twitter.com references and emoji are dropped, #HashTags and @handles are split into words ("#AustralianFires" → "Australian Fires").

**What \`score\` means.** A calibrated probability that the claim asserts the same thing as \`text\`, for texts of which about one in five repeats no claim the collection holds: of the matches scoring about 0.8, about 8 in 10 are the claim the text repeats. Every text has a best candidate, so the score is fitted on texts that repeat a claim and on texts that repeat none (the same tweets with their claim taken out, counting a quarter each); about one text in six that repeats nothing still gets a claim at ${DEFAULT_MIN_SCORE}. It is fitted and measured on public data (CLEF CheckThat! 2022 Task 2A: tweets that repeat claims checked by Snopes; fitted on the training tweets, measured on the development tweets, see bench/MATCHING.md in the repository). At the default \`min_score\` of ${DEFAULT_MIN_SCORE} ("more likely than not") a returned match was the right claim about 96 to 99 times in 100 there, and about 6 tweets in 7 got their claim back above it by their words alone (3 in 4 on held-out tweets; with their dates, see **Time**, 9 in 10 and 6 in 7): the right claim is usually still first when it scores lower, so pass a lower \`min_score\` to see less likely matches, for instance when every text you send is known to repeat some claim. The score of a claim depends on the other candidates too: a claim far ahead of every other scores higher than one among several near-identical claims. A claim whose quantities \`text\` contradicts (70 % against 47 %, $100 million against $300 million) scores at most ${QUANTITY_MISMATCH_CAP}, and is no rival to the others in the lead (the claim that differs from it only in that number is not pulled down by it); the same quantity written differently ("2.4 billion", "$2.4bn", "2,400,000,000", "two point four billion") agrees, and so does a text that gives only part of a claim's figures; a number whose one dot may separate thousands or decimals ("80.000") agrees read either way.

**How it is made.** Candidates come from an index of the claims' English stems, each weighted BM25-style by how rare it is among all claims (statistics the database keeps as claims change): the ${CANDIDATES} claims with the most rare stems in common with \`text\` are scored, and with them up to ${TITLE_CANDIDATES} claims whose sources' titles (an index of the sources' titles and publishers, weighted the same way among sources) have the most in common with it. Approximate by design: for a stem that more than ${POSTINGS_PER_STEM} claims contain, only the ${POSTINGS_PER_STEM} shortest of them count it when candidates are picked, so a claim that shares only such common words with \`text\` may be missed. Each candidate gets the \`signals\` below; they are combined as rank = ${w.text}·text + ${w.context}·context + ${w.relative}·relative + ${w.coverage}·coverage + ${w.phrases}·phrases + ${w.numbers}·numbers + ${w.meaning}·meaning + ${w.meaning_lead}·meaning_lead + ${w.sentence}·sentence + ${w.sentence_lead}·sentence_lead + ${w.time}·time, and score = σ(${c.bias} + ${c.undated}·undated + ${c.rank}·rank + ${c.lead}·lead), where undated is 1 minus the highest \`time\` among the candidates, lead is the rank minus the best other candidate's rank (taken as at least ${COMPETITION_FLOOR.rank}, so a claim without rivals does not lead for that alone; a candidate with \`numbers\` −1 is nobody's rival) and σ(x) = 1/(1+e^−x). Stemming is English whatever the language.

**Time.** A claim is said, reported and checked within days of the texts that repeat it while it circulates, so when \`text\` has a time (\`published_at\`, or else the date of its signature), claims with a source or review published from ${TIME_BEFORE_DAYS} days before it to a few weeks after it rank higher (signal \`time\`), and the answer's \`time\` says which time was used and where it came from. A date alone does not lower a score: the score makes up for a missing \`time\` in proportion as the nearest candidate was far, so a date no candidate was published within some ten months after scores exactly as no date. But a candidate published near it gains on the others, and a claim checked long before the text then scores lower than it would without the date. Pass \`published_at: null\` to rank by the words alone, for instance to find old checks of a statement that resurfaces. On the public data the score is fitted on, the tweets are those the fact-checks embed, so time helps there more than it may with your texts; the figures with and without it are in bench/MATCHING.md.

Read-only: needs the \`read\` scope.`;

/** POST /v1/claims/match: a read, though a POST (the text can be long). */
const claimMatchRoutes: FastifyPluginAsyncTypebox<{ background?: boolean }> = async (app, options) => {
  // The word vectors take about a second of CPU to read and the sentence encoder 1–3 s to load
  // its model: a server does both as it starts listening, not on its first match. An app that
  // never listens (the tests, which inject), or a server told not to (CLAIMLEDGER_MATCH_BACKGROUND
  // off), does them on its first match.
  //
  // A server also encodes the claims' sentence vectors in the background as they are written
  // (meanings.ts); an app that never listens or is told not to leaves them queued, and its
  // matches encode the candidates they meet on the spot (the same answers, slower).
  let meaningQueue: MeaningQueueWorker | undefined;
  if (options.background !== false) {
    app.addHook('onListen', async () => {
      // Read right after, not inside the hook: Fastify gives hooks ten seconds, and reading
      // them takes that long on a machine busy enough.
      setImmediate(() => {
        try {
          wordVectors();
        } catch (err) {
          app.log.error({ err }, 'the word vectors could not be read; matches will try again'); // and fail with a 500 meanwhile
        }
      });
      requestEncoder().start();
      meaningQueue ??= startMeaningQueue(app.db, backgroundEncoder(), app.log);
    });
  }
  app.addHook('preClose', async () => {
    await meaningQueue?.stop();
  });
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
          200: Type.Object(
            {
              data: Type.Array(ClaimMatch, { description: 'Best first; empty when nothing reaches `min_score`.' }),
              time: Type.Union(
                [
                  Type.Object(
                    {
                      published_at: ref(Timestamp),
                      from: Type.Enum(['request', 'signature'], {
                        description: "`request`: the request's `published_at`; `signature`: the date of the text's signature, read as midnight UTC.",
                      }),
                    },
                    { additionalProperties: false },
                  ),
                  Type.Null(),
                ],
                { description: 'The time the `time` signals were measured from, and where it came from; null when the ranking used none.' },
              ),
            },
            { additionalProperties: false, description: 'Matching claims.' },
          ),
          ...problemResponses(400, 413, 415),
        },
      },
    },
    async (request) => matchClaims(app.db, request.body),
  );
};

export default claimMatchRoutes;
