/**
 * schema.org ClaimReview (https://schema.org/ClaimReview) as fact-check publishers
 * embed it in their pages and as Google's fact-check markup reads it. Pure: the
 * caller gathers the rows; this only shapes them.
 */

export interface ClaimReviewInput {
  claim: { text: string; first_seen_at: Date | null };
  review: {
    verdict: string;
    textual_rating: string | null;
    rating_value: number | null;
    best_rating: number | null;
    worst_rating: number | null;
    reviewer_name: string | null;
    reviewer_url: string | null;
    url: string | null;
    published_at: Date | null;
    language: string | null;
  };
  /** Who asserted the claim: named claimants and free-text labels. */
  authors: { name: string; kind: string | null; wikidata_id: string | null; url: string | null }[];
  /** Where the claim appeared, each with the moment it was said or published. */
  appearances: { url: string | null; title: string; publisher: string | null; published_at: Date | null; seen_at: Date | null }[];
}

export const VERDICT_LABELS: Record<string, string> = {
  true: 'True',
  mostly_true: 'Mostly true',
  mixed: 'Mixed',
  mostly_false: 'Mostly false',
  false: 'False',
  misleading: 'Misleading',
  unverifiable: 'Unverifiable',
};

/**
 * The schema.org type of a claim's author, from the claimant's kind. A group ("city
 * officials") speaks as a body, so it is an Organization, as are governments and
 * media. Who is behind a claimant of kind `unknown`, or a free-text label, is not
 * known, so it is typed `Thing` (schema.org's most general type) rather than guessed
 * to be a Person: the name is kept, the claim about its nature is not made.
 */
export function authorType(kind: string | null): 'Person' | 'Organization' | 'Thing' {
  if (kind === 'person') return 'Person';
  if (kind === 'organization' || kind === 'government' || kind === 'media' || kind === 'group') return 'Organization';
  return 'Thing';
}

const iso = (d: Date | null) => (d ? d.toISOString() : undefined);

/** Drops undefined members so the document carries only what is known. */
function compact<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== null)) as T;
}

function creativeWork(a: ClaimReviewInput['appearances'][number]) {
  return compact({
    '@type': 'CreativeWork',
    url: a.url ?? undefined,
    headline: a.title,
    datePublished: iso(a.published_at),
    publisher: a.publisher ? { '@type': 'Organization', name: a.publisher } : undefined,
  });
}

export function toClaimReview(input: ClaimReviewInput): Record<string, unknown> {
  const { claim, review } = input;
  const appearances = [...input.appearances].sort(
    (x, y) => (x.seen_at ?? x.published_at ?? new Date(8.64e15)).getTime() - (y.seen_at ?? y.published_at ?? new Date(8.64e15)).getTime(),
  );
  const authors = input.authors.map((a) =>
    compact({
      '@type': authorType(a.kind),
      name: a.name,
      sameAs: a.wikidata_id ? `https://www.wikidata.org/wiki/${a.wikidata_id}` : undefined,
      url: a.url ?? undefined,
    }),
  );
  return compact({
    '@context': 'https://schema.org',
    '@type': 'ClaimReview',
    url: review.url ?? undefined,
    claimReviewed: claim.text,
    datePublished: iso(review.published_at),
    inLanguage: review.language ?? undefined,
    author: review.reviewer_name
      ? compact({ '@type': 'Organization', name: review.reviewer_name, url: review.reviewer_url ?? undefined })
      : undefined,
    reviewRating: compact({
      '@type': 'Rating',
      ratingValue: review.rating_value ?? undefined,
      bestRating: review.best_rating ?? undefined,
      worstRating: review.worst_rating ?? undefined,
      alternateName: review.textual_rating ?? VERDICT_LABELS[review.verdict] ?? review.verdict,
    }),
    itemReviewed: compact({
      '@type': 'Claim',
      author: authors.length === 0 ? undefined : authors.length === 1 ? authors[0] : authors,
      datePublished: iso(claim.first_seen_at),
      appearance: appearances.length ? appearances.map(creativeWork) : undefined,
      firstAppearance: appearances.length ? creativeWork(appearances[0]) : undefined,
    }),
  });
}
