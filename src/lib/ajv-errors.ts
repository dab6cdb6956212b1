import type { FieldError } from './errors.js';
import { MULTI_LINE_PATTERN, ONE_LINE_PATTERN } from './schemas.js';

/** One Ajv error, as Fastify's validation errors and a compiled validator's `errors` both carry it. */
export interface AjvError {
  instancePath?: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Ajv errors → our `{path, message}` list, paths under `base` like
 * `body.attributions[0].quote` (or, from an empty base, `attributions[0].quote`):
 * nullable noise dropped, "is required", "is not a known field", "must be one of".
 * Request bodies and bulk lines both read their errors here, so they say the same.
 */
export function fieldErrorsFromAjv(errors: readonly AjvError[] | null | undefined, base: string): FieldError[] {
  const all = errors ?? [];
  // A nullable field that fails reports three errors (the real one, "must be null" and
  // "must match a schema in anyOf"); the client needs only the real one.
  const noise = (v: AjvError) => v.keyword === 'anyOf' || (v.keyword === 'type' && v.params.type === 'null');
  const useful = all.filter((v) => !noise(v) || !all.some((o) => o !== v && !noise(o) && o.instancePath === v.instancePath));
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const v of useful) {
    const params = v.params;
    const segments = (v.instancePath ?? '').split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (typeof params.missingProperty === 'string') segments.push(params.missingProperty);
    if (typeof params.additionalProperty === 'string') segments.push(params.additionalProperty);
    const path = segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), base);
    let message = v.message ?? 'is invalid';
    if (typeof params.additionalProperty === 'string') message = 'is not a known field';
    if (typeof params.missingProperty === 'string') message = 'is required';
    if (v.keyword === 'pattern' && (params.pattern === ONE_LINE_PATTERN || params.pattern === MULTI_LINE_PATTERN)) {
      message = 'must not contain control characters or bidirectional formatting characters';
    }
    if (params.allowedValues) message = `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    const key = `${path} ${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path, message });
    }
  }
  return out;
}
