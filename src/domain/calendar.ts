/** The months in English, in order. */
export const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'] as const;

/**
 * A month's index (0–11) by its name as dates are written in English, in full or abbreviated
 * ("Jan", "Sept"), lower-cased: what a date's month word may be.
 */
export const MONTH_INDEX: Readonly<Record<string, number>> = Object.fromEntries(
  MONTH_NAMES.flatMap((name, i) => [[name, i], [name.slice(0, 3), i], ...(name === 'september' ? [['sept', i]] : [])]),
);
