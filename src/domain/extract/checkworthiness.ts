import type { Quantity } from './quantities.js';

/**
 * How worth checking a candidate is, 0–1, with the reasons. Fact-checkers
 * prioritise claims that can be verified against data: numbers, comparisons,
 * named people and places, causes, superlatives (the ClaimBuster and Full Fact
 * criteria). Opinions, questions and very short remarks score low.
 */
export type ReasonCode =
  | 'quantity'
  | 'comparison'
  | 'superlative'
  | 'causal'
  | 'named_entity'
  | 'date'
  | 'opinion'
  | 'question'
  | 'prediction'
  | 'too_short';

export interface Reason {
  code: ReasonCode;
  /** The words that triggered it. */
  evidence: string;
}

const COMPARISON = /\b(more|less|fewer|higher|lower|than|increased?|increases|decreased?|decreases|rose|risen|rising|fell|fallen|falling|drop(?:ped|s)?|doubled|tripled|halved|compared|grew|grown|cut|declin(?:e|ed|ing)|surg(?:e|ed)|soar(?:ed|ing)?|plung(?:e|ed)|slump(?:ed)?|above|below|exceed(?:s|ed)?|up from|down from|twice|times)\b/i;
const SUPERLATIVE = /\b(most|least|largest|biggest|highest|lowest|best|worst|first|only|never|ever|record|unprecedented|steepest|fastest|slowest|greatest|smallest|oldest|newest|strongest|weakest|deadliest|costliest|cheapest|longest|shortest|warmest|coldest|hottest|wettest|driest|earliest|latest|all-time)\b/i;
const CAUSAL = /\b(because|due to|caused?|causing|led to|leads? to|result(?:ed|s)? (?:in|of|from)|as a result|driven by|thanks to|blamed?|responsible for|therefore|consequently|owing to|linked to|attributed to)\b/i;
const OPINION = /\b(i think|we think|i believe|we believe|i hope|we hope|i feel|confident|proud|sorry|delighted|disappointed|pleased|happy|sad|should|must|deserve|deserves|let's|let us|wake-up call|turning point|nonsense|exhausted|worrying)\b/i;
const PREDICTION = /\b(will|would|going to|expects?|expected|forecasts?|plans? to|intends? to)\b/i;
const YEAR_OR_DATE = /\b(1[89]\d\d|20\d\d|January|February|March|April|June|July|August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b/;
// A capitalised word after a lower-case word or a comma, so not the first of a sentence: a name or place.
const NAME_INSIDE = /[\p{Ll},;]\s+(?:the\s+)?(\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’-]+)*)/u;

export function scoreCheckworthiness(claim: string, quantities: Quantity[], kind: string): { score: number; reasons: Reason[] } {
  const reasons: Reason[] = [];
  let score = kind === 'paraphrase' ? 0.25 : 0.3;
  const hit = (code: ReasonCode, match: RegExpExecArray | null, weight: number) => {
    if (!match) return;
    reasons.push({ code, evidence: match[0] });
    score += weight;
  };
  if (quantities.length) {
    reasons.push({ code: 'quantity', evidence: quantities.map((q) => q.text).join('; ') });
    score += 0.3;
  }
  hit('comparison', COMPARISON.exec(claim), 0.12);
  hit('superlative', SUPERLATIVE.exec(claim), 0.12);
  hit('causal', CAUSAL.exec(claim), 0.12);
  const name = NAME_INSIDE.exec(claim);
  if (name) {
    reasons.push({ code: 'named_entity', evidence: name[1] as string });
    score += 0.08;
  }
  hit('date', YEAR_OR_DATE.exec(claim), 0.05);
  hit('opinion', OPINION.exec(claim), -0.15);
  hit('prediction', PREDICTION.exec(claim), -0.05);
  if (/\?\s*["”’']?\s*$/.test(claim)) {
    reasons.push({ code: 'question', evidence: '?' });
    score -= 0.2;
  }
  const words = claim.split(/\s+/).filter(Boolean).length;
  if (words < 5) {
    reasons.push({ code: 'too_short', evidence: `${words} words` });
    score -= 0.15;
  }
  return { score: Math.round(Math.min(1, Math.max(0, score)) * 100) / 100, reasons };
}
