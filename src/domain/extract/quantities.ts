import { readQuantities } from '../numbers.js';

/**
 * Quantities in a stretch of text: "2.4 billion euros", "90%", "12,000 homes",
 * "two-thirds", "twelve months", "one in five". Each keeps the exact source
 * words and their offsets. Years and calendar days are dates, not quantities,
 * and are left out. Read by the number reader that claim matching uses too.
 */
export interface Quantity {
  value: number;
  /** "percent", "EUR", "homes", "fraction", …; null for a bare count. */
  unit: string | null;
  text: string;
  start: number;
  end: number;
}

export function findQuantities(text: string, from = 0, to = text.length): Quantity[] {
  return readQuantities(text, from, to).map(({ value, unit, text: words, start, end }) => ({ value, unit, text: words, start, end }));
}
