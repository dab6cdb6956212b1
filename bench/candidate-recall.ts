/**
 * How many CheckThat! 2022 2A tweets would find their claim among the 100 best candidates if
 * the candidate step indexed more than the claim's own words: plain BM25 (bench/eval-match-bm25.ts)
 * over the 14,231 verified claims, the tweets cleaned and signed as a match does, on the train
 * and dev splits only (the held-out devtest is not read):
 *
 *   npx tsx bench/candidate-recall.ts
 *
 * An upper bound on what indexing sources' titles and subtitles could give (bench/MATCHING.md,
 * "What bounds it"): the API's own index, with stems, finds more than plain BM25 does.
 */
import { cleanQueryText, signatureWords } from '../src/domain/matching.js';
import { Bm25 } from './eval-match-bm25.js';
import { loadQueries, loadVerifiedClaims, type VerifiedClaim } from './eval-match-data.js';

const INDEXED: Record<string, (claim: VerifiedClaim) => string> = {
  'the claim': (c) => c.text,
  'the claim and its title': (c) => `${c.text} ${c.title}`,
  'the claim, title and subtitle': (c) => `${c.text} ${c.title} ${c.subtitle}`,
};

const claims = loadVerifiedClaims();
for (const [name, indexed] of Object.entries(INDEXED)) {
  const bm25 = new Bm25(claims.map((c) => ({ id: c.id, text: indexed(c) })));
  for (const split of ['train', 'dev'] as const) {
    const queries = loadQueries(split);
    const found = queries.filter((q) => {
      const best = bm25.search(`${cleanQueryText(q.text)} ${signatureWords(q.text)}`, 100).map((r) => r.id);
      return [...q.gold].some((id) => best.includes(id));
    }).length;
    console.log(`${name}, ${split}: the gold claim among the 100 best for ${found} of ${queries.length} tweets`);
  }
}
