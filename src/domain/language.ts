/**
 * Language tags (BCP 47, RFC 5646) as the API stores and compares them.
 *
 * Tags are case-insensitive, so `EN-gb`, `en-gb` and `en-GB` are one language;
 * stored as clients typed them they would count as three in the statistics and
 * miss each other in filters. They are kept in the canonical form Unicode CLDR
 * gives (`Intl.getCanonicalLocales`): the RFC 5646 §2.1.1 case conventions
 * (`en-GB`, `zh-Hant-TW`) and deprecated codes replaced by their successors
 * (`iw` → `he`, `eng` → `en`).
 */

/** Whether `tag` is a well-formed language tag Intl can canonicalise. */
export function isLanguageTag(tag: string): boolean {
  try {
    Intl.getCanonicalLocales(tag);
    return true;
  } catch {
    return false;
  }
}

/** The canonical form of a tag that passed isLanguageTag (validation checks every language field first). */
export function canonicalLanguage(tag: string): string {
  return Intl.getCanonicalLocales(tag)[0] as string;
}

/** canonicalLanguage, keeping null and undefined (a field left out, or cleared). */
export function canonicalLanguageOf<T extends string | null | undefined>(tag: T): T {
  return (typeof tag === 'string' ? canonicalLanguage(tag) : tag) as T;
}
