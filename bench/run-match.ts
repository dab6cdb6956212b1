/**
 * The claim-matching scenario of `npm run bench`: a tweet-length text, as it arrives from
 * social media (hashtags, a link, a picture, the embedded tweet's signature), matched against
 * every claim with one client, beside the same SQL through pgbench. Kept apart from
 * bench/run.ts so the search and matching scenarios change independently.
 */
import type { Db } from '../src/db/client.js';
import { matchClaims } from '../src/resources/claims/match.js';

/** In the vocabulary of bench/corpus.ts, so it finds candidates among the generated claims. */
export const TWEET =
  'BREAKING: the harbour tunnel is now going to cost taxpayers two point four billion euros, far more than the mayor promised at the election. ' +
  'Who pays for this? #HarbourTunnel #CityBudget https://t.co/x1y2z3 pic.twitter.com/AbCdEf12 — City Watch (@citywatch) March 3, 2024';

export async function matchScenarios<S>(db: Db, capture: (run: () => Promise<unknown>) => Promise<S>) {
  await matchClaims(db, { text: TWEET }); // a running server has the statistics pages cached
  const statements = await capture(() => matchClaims(db, { text: TWEET }));
  return [
    {
      key: 'match-tweet',
      name: `claim match, a tweet (${TWEET.length} characters)`,
      c: 1,
      http: { method: 'POST' as const, path: () => '/v1/claims/match', body: JSON.stringify({ text: TWEET }) },
      statements,
      random: false,
      baseline: false,
    },
  ];
}
