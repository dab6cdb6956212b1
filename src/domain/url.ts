/**
 * Source URL normalisation, so that the same article shared through different
 * channels (with tracking parameters, fragments, upper-case hosts) is stored
 * as one source.
 */

const ALLOWED_PROTOCOLS = new Set(['http:', 'https:']);

function isTrackingParam(rawPair: string): boolean {
  const eq = rawPair.indexOf('=');
  const rawName = eq === -1 ? rawPair : rawPair.slice(0, eq);
  let name = rawName;
  try {
    // Decode so that an encoded name like "utm%5Fsource" is recognised too;
    // '+' means space in form-encoded queries.
    name = decodeURIComponent(rawName.replace(/\+/g, ' '));
  } catch {
    // Malformed percent-encoding: judge the raw name rather than reject the URL.
  }
  return name.toLowerCase().startsWith('utm_');
}

export function normaliseSourceUrl(input: string): string | null {
  if (typeof input !== 'string') return null;

  let url: URL;
  try {
    // No base URL on purpose: relative references must be rejected, not resolved.
    url = new URL(input);
  } catch {
    return null;
  }

  if (!ALLOWED_PROTOCOLS.has(url.protocol)) return null;
  // Credentials in a stored, publicly listed source URL would leak secrets.
  if (url.username !== '' || url.password !== '') return null;

  url.hash = '';

  // Filter the raw query string rather than round-tripping through
  // URLSearchParams, which would re-encode the remaining parameters (e.g. '%20'
  // becomes '+', a bare "flag" becomes "flag=") and so change URLs we meant to keep.
  const kept = url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !isTrackingParam(pair));
  // Assigning '' also drops a dangling '?' that the parser keeps in href.
  url.search = kept.length > 0 ? `?${kept.join('&')}` : '';

  return url.href;
}
