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

/**
 * A well-formed tag (RFC 5646 §2.1, without the grandfathered irregular ones):
 * language with up to three extlangs, script, region, variants, extensions,
 * private use.
 */
export const LANGUAGE_TAG =
  /^[A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(-[0-9A-WY-Za-wy-z](-[A-Za-z0-9]{2,8})+)*(-[Xx](-[A-Za-z0-9]{1,8})+)?$/;

/** The canonical form of a well-formed tag. */
export function canonicalLanguage(tag: string): string {
  try {
    return Intl.getCanonicalLocales(tag)[0] as string;
  } catch {
    // Well-formed but outside what Unicode locale identifiers allow (extlangs such
    // as `zh-yue`, a repeated variant): the case conventions alone.
    return caseConventions(tag);
  }
}

/**
 * RFC 5646 §2.1.1: lower case, but a four-letter script in title case and a
 * two-letter region in upper case; everything after a singleton lower case.
 */
function caseConventions(tag: string): string {
  let afterSingleton = false;
  return tag
    .split('-')
    .map((subtag, i) => {
      const lower = subtag.toLowerCase();
      if (i === 0 || afterSingleton) return lower;
      if (subtag.length === 1) {
        afterSingleton = true;
        return lower;
      }
      if (/^[a-z]{4}$/.test(lower)) return lower[0]!.toUpperCase() + lower.slice(1);
      if (/^[a-z]{2}$/.test(lower)) return lower.toUpperCase();
      return lower;
    })
    .join('-');
}

/** canonicalLanguage, keeping null and undefined (a field left out, or cleared). */
export function canonicalLanguageOf<T extends string | null | undefined>(tag: T): T {
  return (typeof tag === 'string' ? canonicalLanguage(tag) : tag) as T;
}
