import type { Paragraph } from './nlp.js';

/**
 * Quotations found on the raw text, paragraph by paragraph. Newspapers open a
 * quotation that runs over several paragraphs again at the start of each one
 * and close it only at the end of the last, so a quotation still open at a
 * paragraph's end ends there, and one that opens the next paragraph is marked
 * as its continuation.
 */
export interface Quotation {
  index: number;
  /** Offset of the opening mark. */
  open: number;
  /** Offset just after the closing mark, or the paragraph's end when unclosed. */
  close: number;
  /** The words inside the marks, trimmed: `text.slice(start, end)`. */
  start: number;
  end: number;
  closed: boolean;
  single: boolean;
  paragraph: number;
  /** Opens a paragraph right after an unclosed quotation: the same speaker goes on. */
  continues: boolean;
}

const OPEN_DOUBLE = new Set(['“', '„', '«', '‟']);
const CLOSE_DOUBLE = new Set(['”', '»', '‟']);
const LETTER = /[\p{L}\p{N}]/u;

const isLetter = (c: string | undefined) => c !== undefined && LETTER.test(c);
const isSpaceOrStart = (c: string | undefined) => c === undefined || /[\s([{—–-]/.test(c);

export function findQuotations(text: string, paragraphs: Paragraph[]): Quotation[] {
  const out: Quotation[] = [];
  let previousUnclosed = false;
  for (const p of paragraphs) {
    let open: { at: number; single: boolean } | null = null;
    let unclosedHere = false;
    const push = (closeMarkAt: number, closeEnd: number, closed: boolean) => {
      if (!open) return;
      let s = open.at + 1;
      let e = closeMarkAt;
      while (s < e && /\s/.test(text[s] as string)) s++;
      while (e > s && /\s/.test(text[e - 1] as string)) e--;
      if (e > s) {
        out.push({
          index: out.length,
          open: open.at,
          close: closeEnd,
          start: s,
          end: e,
          closed,
          single: open.single,
          paragraph: p.index,
          continues: previousUnclosed && open.at === p.start && !open.single,
        });
      }
      open = null;
    };
    for (let i = p.start; i < p.end; i++) {
      const c = text[i] as string;
      if (open && !open.single) {
        if (CLOSE_DOUBLE.has(c) || c === '"') push(i, i + 1, true);
        // An opening mark while one is open: the writer forgot to close; start again here.
        else if (OPEN_DOUBLE.has(c) && c !== '‟') {
          push(i, i, false);
          open = { at: i, single: false };
        }
        continue;
      }
      if (open && open.single) {
        if ((c === '’' || c === "'") && !isLetter(text[i + 1])) push(i, i + 1, true);
        else if (OPEN_DOUBLE.has(c) || c === '"') open = { at: i, single: false };
        continue;
      }
      if (OPEN_DOUBLE.has(c)) open = { at: i, single: false };
      else if (c === '"') {
        if (!/\s/.test(text[i + 1] ?? ' ')) open = { at: i, single: false };
      } else if (c === '‘') {
        if (!isLetter(text[i - 1])) open = { at: i, single: true };
      } else if (c === "'") {
        if (isSpaceOrStart(i === p.start ? undefined : text[i - 1]) && isLetter(text[i + 1])) open = { at: i, single: true };
      }
    }
    if (open && !(open as { single: boolean }).single) {
      push(p.end, p.end, false);
      unclosedHere = true;
    }
    previousUnclosed = unclosedHere;
  }
  return out;
}
