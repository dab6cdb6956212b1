import { createHash } from 'node:crypto';
import { ApiError } from './errors.js';

/**
 * Entity tags from `version` (RFC 9110 §8.8.3). A plain representation's tag is
 * `"v<version>"`; one with embedded rows (`include=`) adds a digest of the body,
 * since embedded rows change without the parent's version. The `v<version>`
 * part alone decides If-Match, so a tag read with embeds still guards a PATCH.
 */
export function etagFor(version: number, embedded?: unknown): string {
  if (embedded === undefined) return `"v${version}"`;
  const digest = createHash('sha256').update(JSON.stringify(embedded)).digest('base64url').slice(0, 16);
  return `"v${version}-${digest}"`;
}

const splitTags = (header: string) =>
  header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** If-None-Match uses weak comparison: `W/"x"` matches `"x"`. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return splitTags(header).some((t) => t.replace(/^W\//, '') === etag);
}

/**
 * Checks If-Match against the current version, after the row is locked, so
 * of two writers holding the same tag exactly one gets through. If-Match uses
 * strong comparison: a weak tag never matches.
 */
export function assertIfMatch(header: string | undefined, currentVersion: number): void {
  if (header === undefined) return;
  if (header.trim() === '*') return;
  const matches = splitTags(header).some((t) => {
    const m = /^"v(\d+)(?:-[A-Za-z0-9_-]+)?"$/.exec(t);
    return m !== null && Number(m[1]) === currentVersion;
  });
  if (!matches) {
    throw new ApiError('precondition_failed', `If-Match does not match the current version (${etagFor(currentVersion)}); read the resource again and retry.`);
  }
}
