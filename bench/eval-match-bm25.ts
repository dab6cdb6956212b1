/**
 * The baseline claim matching must beat: plain Okapi BM25 (k1 1.2, b 0.75) over the very
 * texts the API indexes, in memory. Lower-cased words, English stop words out, URLs dropped,
 * no stemming: the textbook ranking, so that a gain over it is the API's own.
 */
const STOP = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by can did do does ' +
    'doing don down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its ' +
    'itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some ' +
    'such t than that the their theirs them themselves then there these they this those through to too under until up very was we were what ' +
    'when where which while who whom why will with you your yours yourself yourselves s'
  ).split(' '),
);

export function bm25Tokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/(?:https?:\/\/|www\.|pic\.twitter\.com\/)\S+/g, ' ')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w && !STOP.has(w));
}

export class Bm25 {
  private readonly docs: { id: string; tf: Map<string, number>; length: number }[] = [];
  private readonly df = new Map<string, number>();
  private avgLength = 0;

  constructor(
    documents: { id: string; text: string }[],
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {
    let total = 0;
    for (const d of documents) {
      const tokens = bm25Tokens(d.text);
      const tf = new Map<string, number>();
      for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const t of tf.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      this.docs.push({ id: d.id, tf, length: tokens.length });
      total += tokens.length;
    }
    this.avgLength = total / Math.max(documents.length, 1);
  }

  /** The `k` best documents for `text`, best first. */
  search(text: string, k: number): { id: string; score: number }[] {
    const n = this.docs.length;
    const terms = [...new Set(bm25Tokens(text))].filter((t) => this.df.has(t));
    const idf = new Map(terms.map((t) => [t, Math.log(1 + (n - this.df.get(t)! + 0.5) / (this.df.get(t)! + 0.5))]));
    const scored: { id: string; score: number }[] = [];
    for (const d of this.docs) {
      let score = 0;
      for (const t of terms) {
        const f = d.tf.get(t);
        if (f) score += (idf.get(t)! * f * (this.k1 + 1)) / (f + this.k1 * (1 - this.b + (this.b * d.length) / this.avgLength));
      }
      if (score > 0) scored.push({ id: d.id, score });
    }
    return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
  }
}
