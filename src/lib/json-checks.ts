import { ApiError } from './errors.js';

/**
 * Checks on parsed JSON that a JSON Schema cannot express: lone UTF-16 surrogates
 * (PostgreSQL would silently store U+FFFD instead) and nesting deep enough to
 * exhaust the stack of the code that serialises it again.
 */

export const MAX_JSON_DEPTH = 32;

/** The path of the first problem, or undefined when the value is fine. */
export function findJsonProblem(value: unknown, path = 'body', depth = 0): { path: string; message: string } | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : { path, message: 'is not well-formed Unicode (lone surrogate)' };
  if (!value || typeof value !== 'object') return undefined;
  if (depth >= MAX_JSON_DEPTH) return { path, message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [`${path}[${i}]`, item])
    : Object.entries(value).map(([key, item]) => [`${path}.${key}`, item]);
  for (const [childPath, item] of entries) {
    const problem = findJsonProblem(item, childPath, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

export function assertSaneJson(value: unknown, path = 'body'): void {
  const problem = findJsonProblem(value, path);
  if (problem) throw new ApiError('validation_failed', `${problem.path} ${problem.message}`, { errors: [problem] });
}
