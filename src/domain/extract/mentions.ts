import type { AnalysedText } from './document.js';
import type { Token } from './nlp.js';
import {
  ANONYMOUS_NOUNS,
  CALENDAR_WORDS,
  DOCUMENT_NOUNS,
  FEMALE_WORDS,
  GROUP_NOUNS,
  MALE_WORDS,
  NOT_NAME_WORDS,
  ORG_NOUNS,
  ORG_WORDS,
  PERSON_ROLE_NOUNS,
  ROLE_WORDS,
  TITLES,
} from './lexicon.js';

/**
 * Who is speaking: names found from capitalisation and part-of-speech tags,
 * speaker phrases ("ministry spokesperson Jane Doe", "one official", "she"),
 * and their resolution to the person or organisation they refer to.
 */

export type SpeakerType = 'person' | 'organization' | 'group' | 'anonymous' | 'unknown';
export type Gender = 'f' | 'm';

export interface Entity {
  id: number;
  /** The fullest form of the name seen, without titles. */
  name: string;
  lowerTokens: string[];
  type: SpeakerType;
  roles: string[];
  gender?: Gender;
}

export interface SpeakerPhrase {
  /** The words as written, offsets into the text. */
  start: number;
  end: number;
  text: string;
  form: 'name' | 'pronoun' | 'nominal';
  /** For names: the name without titles or roles. */
  name?: string;
  role?: string;
  type: SpeakerType;
  /** Lower-case head word of nominals and pronouns ("ministry", "officials", "she"). */
  head: string;
  plural: boolean;
  gender?: Gender;
  /** True for documents ("the report", "figures released by …"). */
  document?: boolean;
}

export interface ResolvedSpeaker {
  /** The speaker's name (resolved) or the phrase as written. */
  speaker: string;
  type: SpeakerType;
  role: string | null;
  mention: SpeakerPhrase;
  /** Whether a pronoun, a surname or a role noun was resolved to an earlier name. */
  resolved: boolean;
  entity?: Entity;
}

const NAME_CONNECTORS = new Set(['of', 'for', 'and', '&', 'de', 'del', 'della', 'van', 'von', 'der', 'den', 'da', 'di', 'du', 'la', 'le', 'al', 'bin', 'el', 'the', "'s", '’s', "'", '’', '-']);
const NAME_PARTICLES = new Set(['de', 'del', 'della', 'van', 'von', 'der', 'den', 'da', 'di', 'du', 'la', 'le', 'al', 'bin', 'el', '-']);
const LEADING_FILLERS = new Set(['but', 'and', 'however', 'meanwhile', 'still', 'so', 'yet', 'now', 'also', 'instead', 'separately', 'later', 'then', 'or']);
const PLACE_PREFIXES = new Set(['new', 'los', 'las', 'san', 'santa', 'st', 'st.', 'north', 'south', 'east', 'west', 'upper', 'lower', 'great', 'fort', 'mount', 'lake', 'cape', 'port', 'saint']);
const COMPANY_ROLES = new Set(['developer', 'charity', 'company', 'firm', 'service', 'airline', 'group', 'union', 'broadcaster', 'retailer', 'bank', 'lender', 'insurer', 'operator', 'carrier', 'startup', 'platform', 'app', 'network', 'club', 'league', 'party', 'regulator', 'watchdog', 'agency', 'giant', 'maker', 'manufacturer', 'supermarket', 'chain', 'organisation', 'organization']);
const PRONOUN_HEADS = new Set(['he', 'she', 'they', 'it', 'we', 'i']);
/** Nominal heads that may name an organisation introduced under another word. */
const ORG_ALIASES: Record<string, RegExp> = {
  club: /\b(fc|club|united|city|rovers|athletic)\b/,
  bank: /\b(bank|reserve|fed)\b/,
  police: /\b(police|constabulary)\b/,
  government: /\b(government|ministry|cabinet)\b/,
};
const GENERIC_COMPANY = new Set(['company', 'firm', 'group', 'business', 'operator', 'developer', 'airline', 'carrier', 'service', 'platform', 'retailer', 'broadcaster']);

const stripDot = (s: string) => s.replace(/\.$/, '');
const isTitle = (lower: string) => TITLES.has(lower) || TITLES.has(stripDot(lower));
const isAcronym = (text: string) => /^[A-Z][A-Z&]{1,7}$/.test(text);

/** Index of the first entry at or after `at` in a list sorted by position. */
function lowerBound<T>(list: T[], at: number, position: (item: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (position(list[mid] as T) < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * How far back, in tokens, a pronoun or a description ("the ministry") looks for what it
 * refers to: several paragraphs of a news story. Without a bound, a text of nothing but
 * pronouns costs time quadratic in its length.
 */
const LOOKBACK_TOKENS = 2_000;

function insertSorted<T>(list: T[], item: T, position: (item: T) => number): void {
  list.splice(lowerBound(list, position(item) + 1, position), 0, item);
}

export class MentionIndex {
  readonly entities: Entity[] = [];
  private readonly byName = new Map<string, Entity>();
  /** Last words of the people named so far, lower case. */
  private readonly surnames = new Set<string>();
  /** Person and organisation mentions in text order: [token index, entity id]. */
  private readonly timeline: [number, number][] = [];
  /** Speakers already attributed, in text order, for nominal and plural-pronoun resolution. */
  private readonly speakers: { at: number; speaker: ResolvedSpeaker }[] = [];

  constructor(private readonly doc: AnalysedText) {
    this.collectNames();
  }

  private token(i: number): Token {
    return this.doc.tokens[i] as Token;
  }

  /** The first word of its unit (after opening marks and fillers): its capital says nothing. */
  private isUnitInitial(i: number): boolean {
    const unit = this.doc.units[this.token(i).unit];
    if (!unit) return false;
    for (let k = unit.first; k < i; k++) {
      const t = this.token(k);
      if (t.isWord && !LEADING_FILLERS.has(t.lower)) return false;
    }
    return true;
  }

  /** Can this token be part of a name? */
  isNameToken(i: number): boolean {
    const t = this.token(i);
    if (!t.isWord || !t.isCapitalised || t.quoteMark) return false;
    // "WHO", "BALPA": an acronym is a name even when it spells a common word.
    if (isAcronym(t.text) && !isTitle(t.lower)) return true;
    if (NOT_NAME_WORDS.has(t.lower) || CALENDAR_WORDS.has(t.lower)) return false;
    if (/^\d/.test(t.text)) return false;
    if (this.isUnitInitial(i) || this.followsOpeningMark(i)) {
      // A surname of someone already named: "Okonkwo acknowledged …", whatever wink tags it.
      if (this.surnames.has(t.lower)) return true;
      // A sentence-initial common noun ("Critics", "Developer", "City") is capitalised by position.
      if (t.pos !== 'PROPN') return false;
      // …and so is a modifier of one: "Political analysts", "Fishing organisations".
      const next = this.doc.tokens[i + 1];
      if (next && next.isWord && !next.isCapitalised && (next.pos === 'NOUN' || GROUP_NOUNS.has(next.lower))) return false;
      if (ROLE_WORDS.has(t.lower) || GROUP_NOUNS.has(t.lower) || ORG_NOUNS.has(t.lower) || PERSON_ROLE_NOUNS.has(t.lower) || DOCUMENT_NOUNS.has(t.lower)) {
        return false;
      }
    }
    return true;
  }

  private followsOpeningMark(i: number): boolean {
    const previous = this.doc.tokens[i - 1];
    return !!previous && previous.quoteMark && previous.quote === this.token(i).quote && previous.start < this.token(i).start && this.token(i).quote !== -1;
  }

  /** Maximal runs of name tokens in [from, to], joined by connectors ("Association of Surgical Nurses"). */
  nameRuns(from: number, to: number): [number, number][] {
    const runs: [number, number][] = [];
    let i = from;
    while (i <= to) {
      if (!this.isNameToken(i)) {
        i++;
        continue;
      }
      const start = i;
      let end = i;
      let k = i + 1;
      while (k <= to) {
        if (this.isNameToken(k) && this.token(k).start - this.token(k - 1).end <= 1) {
          end = k;
          k++;
          continue;
        }
        // Connectors count only between two name tokens, and only where they belong:
        // "Bank of England" (after an organisation word), "Fishermen’s Association"
        // (a possessive before one), "Ursula von der Leyen" (name particles).
        let c = k;
        while (c <= to && NAME_CONNECTORS.has(this.token(c).lower) && c - k < 2) c++;
        if (c > k && c <= to && this.isNameToken(c) && this.token(c).isCapitalised) {
          const connector = this.token(k).lower;
          const possessive = ["'s", '’s', "'", '’'].includes(connector);
          const ok = NAME_PARTICLES.has(connector)
            ? true
            : possessive
              ? ORG_WORDS.has(this.token(c).lower)
              : ORG_WORDS.has(this.token(k - 1).lower);
          if (ok) {
            end = c;
            k = c + 1;
            continue;
          }
        }
        break;
      }
      runs.push([start, end]);
      i = end + 1;
    }
    return runs;
  }

  private textOf(a: number, b: number): string {
    return this.doc.text.slice(this.token(a).start, this.token(b).end);
  }

  /** Splits a name run into its leading titles/roles and the name proper. */
  private splitTitles(a: number, b: number): { nameStart: number; titleText: string | null } {
    if (this.isOrgRun(a, b)) {
      let s = a;
      while (s < b && isTitle(this.token(s).lower) && !ORG_WORDS.has(this.token(s).lower)) s++;
      return { nameStart: s, titleText: s > a ? this.textOf(a, s - 1) : null };
    }
    let last = -1;
    for (let k = a; k < b; k++) {
      const lower = this.token(k).lower;
      if (isTitle(lower) || ROLE_WORDS.has(lower)) last = k;
    }
    return last === -1 ? { nameStart: a, titleText: null } : { nameStart: last + 1, titleText: this.textOf(a, last) };
  }

  isOrgRun(a: number, b: number): boolean {
    const head = this.token(b);
    if (ORG_WORDS.has(head.lower) || ORG_WORDS.has(stripDot(head.lower))) return true;
    for (let k = a; k <= b; k++) {
      const t = this.token(k);
      if ((t.lower === 'of' || t.lower === 'for' || t.lower === '&') && k > a && ORG_WORDS.has(this.token(k - 1).lower)) return true;
      if (isAcronym(t.text) && !isTitle(t.lower)) return true;
    }
    return false;
  }

  /** Lower-case role words right before a run: "ministry spokesperson", "opposition councillor". */
  private rolesBefore(a: number): { text: string | null; first: number } {
    let k = a - 1;
    const unit = this.token(a).unit;
    while (k >= 0) {
      const t = this.token(k);
      if (t.unit !== unit || t.quote !== -1 || !t.isWord) break;
      const capitalised = t.isCapitalised;
      if (ROLE_WORDS.has(t.lower) || isTitle(t.lower) || (t.pos === 'ADJ' && ROLE_WORDS.has(this.token(k + 1).lower))) {
        k--;
        continue;
      }
      // Possessive organisations before a role: "Nordvind’s chief executive", "the association's chair".
      if (!capitalised && (t.pos === 'NOUN' || t.pos === 'PROPN') && ROLE_WORDS.has(this.token(k + 1).lower)) {
        k--;
        continue;
      }
      break;
    }
    return k + 1 < a ? { text: this.textOf(k + 1, a - 1), first: k + 1 } : { text: null, first: a };
  }

  private genderOf(...texts: (string | null | undefined)[]): Gender | undefined {
    for (const text of texts) {
      if (!text) continue;
      for (const w of text.toLowerCase().split(/[\s,]+/)) {
        if (FEMALE_WORDS.has(w)) return 'f';
        if (MALE_WORDS.has(w)) return 'm';
      }
    }
    return undefined;
  }

  /** Finds or creates the entity a name run refers to. */
  private entityFor(a: number, b: number, context: { role: string | null; preposition: boolean }): Entity | undefined {
    const { nameStart, titleText } = this.splitTitles(a, b);
    if (nameStart > b) return undefined;
    const name = this.textOf(nameStart, b);
    const lowerTokens = this.doc.tokens.slice(nameStart, b + 1).map((t) => t.lower).filter((w) => /[\p{L}\p{N}]/u.test(w));
    const key = lowerTokens.join(' ');
    const existing = this.byName.get(key);
    const role = [context.role, titleText].filter(Boolean).join(' ') || null;
    const org = this.isOrgRun(nameStart, b);
    if (existing) {
      if (role && !existing.roles.includes(role)) existing.roles.push(role);
      existing.gender ??= this.genderOf(role);
      return existing;
    }
    if (lowerTokens.length === 1 && !org) {
      // A surname (or first name) of someone named in full earlier, or the short name of an organisation ("Veltrix").
      const full = [...this.entities]
        .reverse()
        .find(
          (e) =>
            e.lowerTokens.length > 1 &&
            ((e.type === 'person' && (e.lowerTokens.at(-1) === key || e.lowerTokens[0] === key)) || (e.type === 'organization' && e.lowerTokens[0] === key)),
        );
      if (full) {
        if (role && !full.roles.includes(role)) full.roles.push(role);
        return full;
      }
    }
    let type: SpeakerType = 'unknown';
    const roleWords = (role ?? '').toLowerCase().split(/\s+/);
    if (org) type = 'organization';
    else if (roleWords.some((w) => COMPANY_ROLES.has(w)) && !roleWords.some((w) => PERSON_ROLE_NOUNS.has(w) && !COMPANY_ROLES.has(w))) type = 'organization';
    else if (role || titleText) type = 'person';
    else if (lowerTokens.length >= 2 && lowerTokens.length <= 4 && !PLACE_PREFIXES.has(lowerTokens[0] as string) && !context.preposition) type = 'person';
    const entity: Entity = { id: this.entities.length, name, lowerTokens, type, roles: role ? [role] : [], gender: this.genderOf(role) };
    this.entities.push(entity);
    this.byName.set(key, entity);
    if (type === 'person' && lowerTokens.length > 1) this.surnames.add(lowerTokens.at(-1) as string);
    return entity;
  }

  /** One pass over the text outside quotations: every name, with the roles written around it. */
  private collectNames(): void {
    for (const unit of this.doc.units) {
      // Headline capitals say nothing about what is a name ("Chipmaker Veltrix to cut 3,000 jobs").
      if (this.doc.headings.has(unit.paragraph)) continue;
      let from = unit.first;
      while (from <= unit.last) {
        // Names inside quotations are what speakers talk about, not who speaks.
        while (from <= unit.last && this.token(from).quote !== -1) from++;
        let to = from;
        while (to + 1 <= unit.last && this.token(to + 1).quote === -1) to++;
        if (from > unit.last) break;
        for (const [a, b] of this.nameRuns(from, to)) {
          const before = this.rolesBefore(a);
          const previous = this.doc.tokens[before.first - 1];
          const preposition = !!previous && previous.pos === 'ADP' && previous.unit === unit.index && !['by', 'to'].includes(previous.lower);
          const appositive = this.appositiveRoleAfter(b, unit.last);
          const entity = this.entityFor(a, b, { role: [before.text, appositive].filter(Boolean).join(', ') || null, preposition });
          if (entity) this.timeline.push([a, entity.id]);
        }
        from = to + 1;
      }
    }
  }

  /** ", a spokesperson for the ministry," or ", the association's chair," right after a name. */
  private appositiveRoleAfter(b: number, last: number): string | null {
    const comma = this.doc.tokens[b + 1];
    if (!comma || comma.text !== ',' || b + 2 > last) return null;
    let k = b + 2;
    const first = this.token(k);
    if (!['a', 'an', 'the'].includes(first.lower) && !ROLE_WORDS.has(first.lower) && !(first.pos === 'PROPN' && this.token(k + 1)?.lower.startsWith("'"))) return null;
    let sawRole = false;
    while (k <= last && k - b < 14) {
      const t = this.token(k);
      if (t.text === ',' || t.text === '.' || t.quote !== -1) break;
      if (ROLE_WORDS.has(t.lower) || PERSON_ROLE_NOUNS.has(t.lower)) sawRole = true;
      k++;
    }
    return sawRole && k > b + 2 ? this.textOf(b + 2, k - 1) : null;
  }

  /**
   * Reads a speaker phrase from tokens [a, b] (inclusive): a name with its
   * titles and roles, a pronoun, or a nominal ("two senior officials at the
   * ministry"). Returns null when the words cannot be a speaker.
   */
  phrase(a: number, b: number): SpeakerPhrase | null {
    while (a <= b && (LEADING_FILLERS.has(this.token(a).lower) || !this.token(a).isWord)) a++;
    while (b >= a && !this.token(b).isWord) b--;
    if (a > b || b - a > 16) return null;
    const words = this.doc.tokens.slice(a, b + 1);
    if (words.some((t) => t.quote !== -1)) return null;
    // A speaker is a noun phrase: a finite verb means a clause was read instead.
    if (words.some((t) => t.pos === 'AUX' || (t.pos === 'VERB' && !t.isCapitalised && !/(ing|ed)$/.test(t.lower) && !ROLE_WORDS.has(t.lower)))) return null;
    const first = this.token(a);
    const base = { start: first.start, end: this.token(b).end, text: this.textOf(a, b) };
    if (a === b && PRONOUN_HEADS.has(first.lower)) {
      const plural = first.lower === 'they' || first.lower === 'we';
      return { ...base, form: 'pronoun', head: first.lower, plural, type: 'unknown', gender: first.lower === 'she' ? 'f' : first.lower === 'he' ? 'm' : undefined };
    }
    // "one of them", "one of those officials"
    if (b - a >= 2 && ['one', 'some', 'two', 'several'].includes(first.lower) && this.token(a + 1).lower === 'of') {
      return { ...base, form: 'nominal', head: this.token(b).lower, plural: false, type: 'anonymous' };
    }
    const runs = this.nameRuns(a, b);
    let lastRun = runs.at(-1);
    // "Professor Helen Okonkwo of the University of Ibadan": a person, then where they work.
    if (runs.length >= 2 && lastRun && lastRun[1] === b && this.isOrgRun(lastRun[0], lastRun[1])) {
      const person = runs.find(([x, y]) => y < (lastRun as [number, number])[0] && !this.isOrgRun(x, y) && ['of', 'at', 'from', 'with', 'for', 'in'].includes(this.token(y + 1)?.lower ?? ''));
      if (person) {
        const { nameStart, titleText } = this.splitTitles(person[0], person[1]);
        if (nameStart <= person[1]) {
          const affiliation = this.textOf(person[1] + 1, b).replace(/^(of|at|from|with|for|in)\s+(the\s+)?/i, '');
          const before = person[0] > a ? this.textOf(a, person[0] - 1).replace(/^(the|a|an)(\s+|$)/i, '') : '';
          const role = [before, titleText].filter(Boolean).join(' ');
          return {
            ...base,
            form: 'name',
            name: this.textOf(nameStart, person[1]),
            role: [role, affiliation].filter(Boolean).join(', ') || undefined,
            type: 'person',
            head: this.token(person[1]).lower,
            plural: false,
            gender: this.genderOf(role),
          };
        }
      }
      lastRun = runs.at(-1);
    }
    // "a study of 9,500 pupils in Norway": the name ends a prepositional phrase; the head is "study".
    const inPhrase = lastRun && lastRun[0] > a && this.nominalBefore(a, lastRun[0]);
    if (lastRun && lastRun[1] === b && !inPhrase) {
      const { nameStart, titleText } = this.splitTitles(lastRun[0], lastRun[1]);
      if (nameStart <= b) {
        const roleBefore = lastRun[0] > a ? this.textOf(a, lastRun[0] - 1).replace(/^(the|a|an)(\s+|$)/i, '') || null : null;
        const role = [roleBefore, titleText].filter(Boolean).join(' ') || null;
        const name = this.textOf(nameStart, b);
        const org = this.isOrgRun(nameStart, b);
        const roleWords = (role ?? '').toLowerCase().split(/\s+/);
        let type: SpeakerType = org ? 'organization' : 'unknown';
        if (!org && roleWords.some((w) => COMPANY_ROLES.has(w)) && !roleWords.some((w) => PERSON_ROLE_NOUNS.has(w) && !COMPANY_ROLES.has(w))) type = 'organization';
        else if (!org && role) type = 'person';
        return { ...base, form: 'name', name, role: role ?? undefined, type, head: this.token(b).lower, plural: false, gender: this.genderOf(role) };
      }
    }
    // A nominal: find its head, the last noun before a preposition, adjective phrase or clause.
    let head = -1;
    for (let k = a; k <= b; k++) {
      const t = this.token(k);
      const next = this.doc.tokens[k + 1];
      // "people familiar with …": an adjective after the head, not before a noun, ends the phrase.
      const postnominal = t.pos === 'ADJ' && (k === b || !next || next.pos === 'ADP' || !next.isWord);
      if (head !== -1 && (t.pos === 'ADP' || t.pos === 'SCONJ' || postnominal || t.pos === 'VERB' || (t.pos === 'PRON' && !['its', 'their'].includes(t.lower)))) break;
      if (t.pos === 'NOUN' || t.pos === 'PROPN' || GROUP_NOUNS.has(t.lower) || ANONYMOUS_NOUNS.has(t.lower)) head = k;
    }
    if (head === -1) return null;
    const headLower = this.token(head).lower;
    const determiner = first.lower;
    const indefinite = ['a', 'an', 'one', 'two', 'three', 'four', 'several', 'some', 'senior', 'another'].includes(determiner) || /^\d/.test(determiner);
    const plural = /s$/.test(headLower) && !/ss$/.test(headLower);
    let type: SpeakerType;
    let document = false;
    if (ANONYMOUS_NOUNS.has(headLower) && (indefinite || headLower === 'sources' || headLower === 'source' || headLower.startsWith('insider'))) type = 'anonymous';
    else if (GROUP_NOUNS.has(headLower)) type = 'group';
    else if (ORG_NOUNS.has(headLower)) type = 'organization';
    else if (PERSON_ROLE_NOUNS.has(headLower)) type = indefinite ? 'anonymous' : 'person';
    else if (DOCUMENT_NOUNS.has(headLower)) {
      type = 'organization';
      document = true;
    } else return null;
    const gender = this.genderOf(base.text);
    return { ...base, form: 'nominal', head: headLower, plural, type, document, gender };
  }

  /** A common-noun phrase, then a preposition, right before `runStart`: "a study of … in". */
  private nominalBefore(a: number, runStart: number): boolean {
    let k = runStart - 1;
    while (k > a && this.token(k).pos === 'DET') k--;
    if (this.token(k).pos !== 'ADP' || ['of', 'for'].includes(this.token(k).lower) && this.token(a).isCapitalised) return false;
    const first = this.token(a);
    return !first.isCapitalised || ['DET'].includes(first.pos) || /^(the|a|an)$/i.test(first.text);
  }

  /** Records an attributed speaker so later "the ministry", "they" or "one of them" can refer to it. */
  noteSpeaker(at: number, speaker: ResolvedSpeaker): void {
    insertSorted(this.speakers, { at, speaker }, (e) => e.at);
    if (speaker.entity) insertSorted(this.timeline, [at, speaker.entity.id], (e) => e[0]);
  }

  /** Records the subject of a sentence ("Fishing organisations have fought …") for a later "they" or "it". */
  noteSubject(at: number, subject: ResolvedSpeaker): void {
    if (subject.type === 'person') return;
    insertSorted(this.speakers, { at, speaker: subject }, (e) => e.at);
  }

  /** Speakers before a position within LOOKBACK_TOKENS, nearest first. */
  private *previousSpeakers(before: number) {
    for (let k = lowerBound(this.speakers, before, (e) => e.at) - 1; k >= 0; k--) {
      const entry = this.speakers[k] as { at: number; speaker: ResolvedSpeaker };
      if (before - entry.at > LOOKBACK_TOKENS) return;
      yield entry;
    }
  }

  /** Named entities mentioned before a position within LOOKBACK_TOKENS, nearest first. */
  private *previousEntities(before: number) {
    for (let k = lowerBound(this.timeline, before, (e) => e[0]) - 1; k >= 0; k--) {
      const [pos, id] = this.timeline[k] as [number, number];
      if (before - pos > LOOKBACK_TOKENS) return;
      yield { at: pos, entity: this.entities[id] as Entity };
    }
  }

  private static find<T>(items: Iterable<T>, test: (item: T) => boolean): T | undefined {
    for (const item of items) if (test(item)) return item;
    return undefined;
  }

  private lastPerson(before: number, gender: Gender | undefined): Entity | undefined {
    return MentionIndex.find(this.previousEntities(before), ({ entity }) => entity.type === 'person' && !(gender && entity.gender && entity.gender !== gender))?.entity;
  }

  /** Resolves a phrase written at token `at` to the speaker it names. */
  resolve(phrase: SpeakerPhrase, at: number): ResolvedSpeaker | null {
    const plain = (type: SpeakerType, speaker = phrase.text.replace(/^(the|The)\s+/, '')): ResolvedSpeaker => ({
      speaker,
      type,
      role: phrase.role ?? null,
      mention: phrase,
      resolved: false,
    });
    const fromEntity = (e: Entity, resolved = true): ResolvedSpeaker => ({
      speaker: e.name,
      type: e.type,
      // The role written at this mention, else the first one written with the name.
      role: phrase.role ?? e.roles[0] ?? null,
      mention: phrase,
      resolved,
      entity: e,
    });

    if (phrase.form === 'pronoun') {
      if (phrase.head === 'he' || phrase.head === 'she') {
        const person = this.lastPerson(at, phrase.gender);
        if (!person) return null;
        person.gender ??= phrase.gender;
        return fromEntity(person);
      }
      if (phrase.head === 'they' || phrase.head === 'it' || phrase.head === 'we') {
        const wantPlural = phrase.head !== 'it';
        for (const { speaker } of this.previousSpeakers(at)) {
          if (speaker.type === 'person') continue;
          if (wantPlural && speaker.type !== 'unknown' && !speaker.entity) return { ...speaker, mention: phrase, resolved: true };
          if (wantPlural || speaker.type === 'organization' || speaker.type === 'unknown') return { ...speaker, mention: phrase, resolved: true };
        }
        if (!wantPlural) {
          const org = MentionIndex.find(this.previousEntities(at), ({ entity }) => entity.type === 'organization');
          if (org) return fromEntity(org.entity);
        }
        return null;
      }
      return null;
    }

    if (phrase.form === 'name') {
      const key = (phrase.name ?? '').toLowerCase().split(/\s+/).filter(Boolean).join(' ');
      const keyTokens = key.split(' ');
      const exact = this.byName.get(key);
      const full =
        keyTokens.length === 1
          ? this.entities.findLast((e) => e.type === 'person' && e.lowerTokens.length > 1 && e.lowerTokens.at(-1) === key)
          : undefined;
      const entity = full ?? exact;
      if (entity) {
        if (phrase.role && !entity.roles.includes(phrase.role)) entity.roles.push(phrase.role);
        if (entity.type === 'unknown' && phrase.type !== 'unknown') entity.type = phrase.type;
        const r = fromEntity(entity, entity.name.toLowerCase() !== key);
        r.type = entity.type === 'unknown' ? phrase.type : entity.type;
        return r;
      }
      return { ...plain(phrase.type, phrase.name ?? phrase.text), role: phrase.role ?? null };
    }

    // Nominals
    if (phrase.type === 'anonymous') {
      // "one of them": the group just mentioned.
      if (/\bof (them|those)\b/i.test(phrase.text)) {
        const group = MentionIndex.find(this.previousSpeakers(at), ({ speaker }) => speaker.type === 'anonymous' || speaker.type === 'group');
        if (group) return { ...plain('anonymous', `one of ${group.speaker.speaker.replace(/^(the|The)\s+/, '')}`), resolved: true };
      }
      return plain('anonymous', phrase.text);
    }
    if (phrase.type === 'group') return plain('group', phrase.text);
    // Only a bare "the ministry" points back; "the regional fire service" introduces someone.
    const definite = /^(the|its|their)\s+\S+$/i.test(phrase.text.replace(/[’']s\b/g, ''));
    if (phrase.type === 'person' && definite) {
      // "the minister": the last person whose role has that word.
      const role = new RegExp(`\\b${phrase.head.replace(/[^\p{L}-]/gu, '')}\\b`, 'iu');
      const person = MentionIndex.find(this.previousEntities(at), ({ entity }) => entity.type === 'person' && entity.roles.some((r) => role.test(r)));
      if (person) return fromEntity(person.entity);
      return plain('person');
    }
    if (phrase.type === 'organization' && definite) {
      // The most recent organisation this phrase can name: a speaker or a name in the text.
      const words = phrase.text.toLowerCase().replace(/^(the|its|their)\s+/, '');
      const fits = (name: string, roles: string[]) => {
        const lower = name.toLowerCase();
        return (
          lower.includes(phrase.head) ||
          lower.endsWith(words) ||
          roles.some((r) => r.toLowerCase().includes(phrase.head)) ||
          !!ORG_ALIASES[phrase.head]?.test(lower) ||
          (GENERIC_COMPANY.has(phrase.head) && roles.some((r) => r.toLowerCase().split(/\s+/).some((w) => COMPANY_ROLES.has(w))))
        );
      };
      const speaker = MentionIndex.find(
        this.previousSpeakers(at),
        ({ speaker: sp }) => (sp.type === 'organization' || sp.type === 'unknown') && fits(sp.speaker, sp.role ? [sp.role] : []),
      );
      const named = MentionIndex.find(this.previousEntities(at), ({ entity: e }) => (e.type === 'organization' || e.type === 'unknown') && fits(e.name, e.roles));
      let best: { at: number; speaker: ResolvedSpeaker } | undefined = speaker;
      if (named && (!best || named.at > best.at)) best = { at: named.at, speaker: fromEntity(named.entity) };
      if (!best && (phrase.document || GENERIC_COMPANY.has(phrase.head))) {
        // "the report says", "the company said": the organisation that spoke last.
        best = MentionIndex.find(this.previousSpeakers(at), ({ speaker: sp }) => sp.type === 'organization');
      }
      if (best) return { ...best.speaker, mention: phrase, resolved: true };
      // "what their union called …" before the union is named: the next organisation that fits, close by.
      for (let k = lowerBound(this.timeline, at + 1, (e) => e[0]); k < this.timeline.length; k++) {
        const [pos, id] = this.timeline[k] as [number, number];
        if (pos - at >= 150) break;
        const e = this.entities[id] as Entity;
        if (e.type === 'organization' && fits(e.name, e.roles)) return fromEntity(e);
      }
      return plain('organization');
    }
    return plain(phrase.type);
  }
}
