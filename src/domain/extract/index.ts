import { createHash } from 'node:crypto';
import { anchorQuote, type TextQuoteSelector } from '../anchor.js';
import { scoreCheckworthiness, type Reason } from './checkworthiness.js';
import { analyseText } from './document.js';
import { MentionIndex, type SpeakerType } from './mentions.js';
import type { Span } from './nlp.js';
import { findQuantities, type Quantity } from './quantities.js';
import { AttributionRules, type CandidateKind, type RawCandidate, type Stance } from './rules.js';

export { loadLanguageModel, isLanguageModelLoaded } from './nlp.js';
import { loadLanguageModel } from './nlp.js';
export type { Quantity } from './quantities.js';
export type { Reason, ReasonCode } from './checkworthiness.js';
export type { SpeakerType } from './mentions.js';
export type { CandidateKind, Stance } from './rules.js';

/**
 * Candidate claims and their attributions in a news text: who said what, in
 * which exact words (anchored like attributions are), how, and how worth
 * checking it is. Pure: no HTTP, no database. English only.
 */

export interface CandidateClaim {
  /** Position in the list (0-based), stable for the same text. */
  index: number;
  /** Stable for the same text: changes if the text, the words or the speaker change. */
  id: string;
  claim_text: string;
  /** The speaker's name (a pronoun or title resolved to it), or the phrase as written for unnamed speakers. */
  speaker: string;
  speaker_type: SpeakerType;
  speaker_role: string | null;
  /** The words that name the speaker where the claim is attributed ("she", "Mayor Ana Lindqvist"). */
  speaker_mention: { text: string; start: number; end: number };
  kind: CandidateKind;
  stance: Stance;
  cue: string;
  quote: string;
  selector: TextQuoteSelector;
  /** For a quotation split around its attribution: the selector of each part. */
  quote_parts: TextQuoteSelector[] | null;
  checkworthiness: number;
  reasons: Reason[];
  quantities: Quantity[];
  /** How sure the rule that found it is, 0–1. */
  confidence: number;
}

export interface ExtractionResult {
  candidates: CandidateClaim[];
  stats: { paragraphs: number; sentences: number; quotations: number; words: number };
}

export interface ExtractOptions {
  /** Drop candidates that score lower. */
  minCheckworthiness?: number;
}

const CONTEXT = 32;

/**
 * The selector of text.slice(start, end), made by anchorQuote like every
 * attribution's. It runs on a window of the text around the candidate (its
 * context on both sides included), not on the whole text: normalising a long
 * text once per candidate would make extraction quadratic, and the window also
 * pins the selector to this occurrence when the same words appear earlier.
 */
export function selectorAt(text: string, start: number, end: number): TextQuoteSelector {
  const exact = text.slice(start, end);
  const from = Math.max(0, start - CONTEXT - 2);
  const to = Math.min(text.length, end + CONTEXT + 2);
  const local = anchorQuote(text.slice(from, to), exact, { contextLength: CONTEXT });
  if (local && local.start + from === start && local.end + from === end) {
    // The window holds the full context on both sides, so prefix and suffix are the whole text's.
    return { ...local, start, end };
  }
  const whole = anchorQuote(text, exact, { contextLength: CONTEXT });
  return whole && whole.start === start ? whole : { exact, prefix: text.slice(Math.max(0, start - CONTEXT), start), suffix: text.slice(end, end + CONTEXT), start, end };
}

function overlap(a: Span, b: Span): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
}

/** Two rules reading the same words: keep the surer one (a direct quote beats the reported clause around it). */
function dropOverlaps(raw: RawCandidate[]): RawCandidate[] {
  const sorted = [...raw].sort((x, y) => y.confidence - x.confidence || (x.kind === 'direct_quote' ? -1 : 1));
  const kept: RawCandidate[] = [];
  for (const c of sorted) {
    const clash = kept.some((k) => {
      const shared = overlap(k.quote, c.quote);
      return shared > 0.5 * Math.min(k.quote.end - k.quote.start, c.quote.end - c.quote.start);
    });
    if (!clash) kept.push(c);
  }
  return kept.sort((x, y) => x.quote.start - y.quote.start);
}

function candidateId(text: string, c: RawCandidate): string {
  const words = text.slice(c.quote.start, c.quote.end);
  return createHash('sha256').update(`${c.quote.start}:${c.quote.end}:${c.kind}:${c.speaker.speaker}:${words}`).digest('hex').slice(0, 16);
}

export function extractClaims(text: string, options: ExtractOptions = {}): ExtractionResult {
  const doc = analyseText(text);
  const mentions = new MentionIndex(doc);
  const raw = new AttributionRules(doc, mentions).run();
  const paragraphOf = (offset: number) => doc.paragraphs.find((p) => offset >= p.start && offset < p.end)?.index ?? -1;

  const candidates: CandidateClaim[] = [];
  for (const c of dropOverlaps(raw)) {
    if (doc.headings.has(paragraphOf(c.quote.start))) continue;
    const parts = c.parts ?? [c.quote];
    const quantities = parts.flatMap((p) => findQuantities(text, p.start, p.end));
    const { score, reasons } = scoreCheckworthiness(c.claimText, quantities, c.kind);
    if (options.minCheckworthiness !== undefined && score < options.minCheckworthiness) continue;
    const mention = c.speaker.mention;
    candidates.push({
      index: candidates.length,
      id: candidateId(text, c),
      claim_text: c.claimText,
      speaker: c.speaker.speaker,
      speaker_type: c.speaker.type,
      speaker_role: c.speaker.role,
      speaker_mention: { text: mention.text, start: mention.start, end: mention.end },
      kind: c.kind,
      stance: c.stance,
      cue: c.cue,
      quote: text.slice(c.quote.start, c.quote.end),
      selector: selectorAt(text, c.quote.start, c.quote.end),
      quote_parts: c.parts ? c.parts.map((p) => selectorAt(text, p.start, p.end)) : null,
      checkworthiness: score,
      reasons,
      quantities,
      confidence: Math.round(c.confidence * 100) / 100,
    });
  }
  const sentences = new Set(doc.tokens.map((t) => t.sentence)).size;
  return {
    candidates,
    stats: {
      paragraphs: doc.paragraphs.length,
      sentences,
      quotations: doc.quotations.length,
      words: doc.tokens.filter((t) => t.isWord).length,
    },
  };
}

const WARM_UP_TEXT =
  '“The tunnel will cost 2.4 billion euros,” Mayor Ana Lindqvist said on Tuesday. “We have the money.”\n\n' +
  'The Port Authority said the project would create 12,000 jobs, while opposition councillor Jonas Berg called the estimate “wishful thinking”. ' +
  'According to the finance department, two-thirds of the cost is covered. One official, who asked not to be named, said the work was late. ' +
  'She denied that the budget had been cut. Traffic has risen by a third, the department said in a report.';

/**
 * Loads the model and runs the rules a few times on a short text, so a server
 * pays the model load and the JIT warm-up at start instead of on its first
 * request (a cold first extraction is several times slower than a warm one).
 */
export function warmUp(): void {
  loadLanguageModel();
  const text = Array.from({ length: 8 }, () => WARM_UP_TEXT).join('\n\n');
  for (let i = 0; i < 6; i++) extractClaims(text);
}
