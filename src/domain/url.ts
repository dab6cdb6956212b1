/**
 * Source URL normalisation, so that the same article shared through different
 * channels (with tracking parameters, fragments, upper-case hosts, a trailing
 * slash) is stored as one source.
 *
 * `www.` and the scheme are kept: `www.example.com` and `example.com` are two
 * hosts that may serve different sites, and http and https two origins; which
 * of them redirects where is for the site to say, and guessing would merge
 * sources that differ.
 */

const ALLOWED_PROTOCOLS = new Set(['http:', 'https:']);

/**
 * Parameters that only say how a reader arrived (ad and e-mail campaign click
 * ids, analytics cookies), never which page: besides every `utm_*`, these.
 */
export const TRACKING_PARAMS: ReadonlySet<string> = new Set([
  'fbclid', // Facebook
  'gclid', // Google Ads
  'gclsrc',
  'dclid', // Google Display
  'gbraid',
  'wbraid',
  'msclkid', // Microsoft Ads
  'mc_cid', // Mailchimp
  'mc_eid',
  'igshid', // Instagram
  'igsh',
  'twclid', // X / Twitter Ads
  'ttclid', // TikTok
  'li_fat_id', // LinkedIn
  'yclid', // Yandex
  '_ga', // Google Analytics cross-domain
  '_gl',
  '_hsenc', // HubSpot
  '_hsmi',
  'mkt_tok', // Marketo
  'vero_id', // Vero
  'oly_anon_id', // Omeda
  'oly_enc_id',
]);

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
  const lower = name.toLowerCase();
  return lower.startsWith('utm_') || TRACKING_PARAMS.has(lower);
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

  // "/news/article/" and "/news/article" are one page on the sites that cite
  // each other; the root keeps its slash, which URL always gives it.
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path !== url.pathname) url.pathname = path;

  return url.href;
}
