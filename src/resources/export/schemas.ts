import { Type, type Static, type TObject, type TSchema } from 'typebox';
import { AttributionListQuery } from '../attributions/schemas.js';
import { ClaimantListQuery } from '../claimants/schemas.js';
import { ClaimListQuery } from '../claims/schemas.js';
import { ReviewListQuery } from '../reviews/schemas.js';
import { SourceListQuery } from '../sources/schemas.js';

export const EXPORT_TYPES = ['claims', 'sources', 'claimants', 'attributions', 'reviews'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];
export const EXPORT_FORMATS = ['ndjson', 'csv', 'claimreview'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const LIST_ONLY = ['include', 'limit', 'cursor', 'sort', 'count'] as const;

/** Each type's list filters (whatever its list takes, now or later), without paging, sorting and embedding. */
const filtersOf = (list: TObject) => Type.Object(Type.Omit(list, LIST_ONLY).properties, { additionalProperties: false });

export const EXPORT_FILTERS: Record<ExportType, TObject> = {
  claims: filtersOf(ClaimListQuery),
  sources: filtersOf(SourceListQuery),
  claimants: filtersOf(ClaimantListQuery),
  attributions: filtersOf(AttributionListQuery),
  reviews: filtersOf(ReviewListQuery),
};

/**
 * The route's query string: `type`, `format`, and every filter of every type.
 * A filter that means different things for different types (`kind`) is a plain
 * string here; the handler checks the filters against the chosen type's own
 * list schema.
 */
function unionOfFilters(): Record<string, TSchema> {
  const merged: Record<string, TSchema> = {};
  const usedBy: Record<string, ExportType[]> = {};
  for (const type of EXPORT_TYPES) {
    for (const [name, schema] of Object.entries(EXPORT_FILTERS[type].properties)) {
      (usedBy[name] ??= []).push(type);
      const { description: _d, ...shape } = schema as TSchema & { description?: string };
      const known = merged[name] as (TSchema & { description?: string }) | undefined;
      if (!known) merged[name] = schema;
      else {
        const { description: _k, ...knownShape } = known;
        if (JSON.stringify(knownShape) !== JSON.stringify(shape)) merged[name] = Type.Optional(Type.String({ maxLength: 2048 }));
      }
    }
  }
  for (const [name, types] of Object.entries(usedBy)) {
    const own = (EXPORT_FILTERS[types[0]].properties[name] as { description?: string }).description;
    const where = `Filter of \`type=${types.join('|')}\`, as in their lists.`;
    merged[name] = Type.Optional({ ...merged[name], description: types.length === 1 && own ? `${where} ${own}` : where } as TSchema);
  }
  return merged;
}

export const ExportQuery = Type.Object(
  {
    type: Type.Enum([...EXPORT_TYPES], { description: 'What to export.' }),
    format: Type.Optional(
      Type.Enum([...EXPORT_FORMATS], {
        default: 'ndjson',
        description:
          '`ndjson`: one row per line, as the API shows it (sources with their `text`, reviews with their `evidence`), then the summary line `{"export_complete":true,"rows":N}`. ' +
          '`csv`: RFC 4180 with a header row; lists joined with `|`, objects (metadata, selector, evidence) as JSON, empty for null; ' +
          'a text cell beginning with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `\'` so spreadsheets show it as text rather than run it as a formula (OWASP CSV injection; numbers are unchanged; use `ndjson` for the raw values). ' +
          '`claimreview`: one schema.org ClaimReview JSON-LD document per line, one per review (`type=claims`: of the reviewed claims; `type=reviews`), then the summary line.',
      }),
    ),
    ...unionOfFilters(),
  },
  { additionalProperties: false },
);

export type ExportParams = Static<typeof ExportQuery> & Record<string, unknown>;
