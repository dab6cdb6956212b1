/**
 * The instant an RFC 3339 date-time (as checked by the `date-time` format) stands for.
 * `new Date(text)` reads "0050-01-01 00:00:00Z", with the space RFC 3339 allows for the T, as
 * the year 1950; written with a T it reads it right.
 */
export function instant(value: string | Date): Date {
  if (value instanceof Date) return value;
  return new Date(value.replace(/^(\d{4}-\d{2}-\d{2})[Tt ]/, '$1T'));
}
