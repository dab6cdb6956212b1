import { Type, type Static } from 'typebox';
import { SOURCE_KINDS } from '../../db/schema.js';
import { TRACKING_PARAMS } from '../../domain/url.js';
import { Id, Language, ShortText, StringList, Timestamp, WebUrl, nullable, pageOf, ref } from '../../lib/schemas.js';
import { listQueryProperties } from '../../lib/pagination.js';
import { RANKED_WALK, RANK_DESCRIPTION, searchParam, sortWithRank } from '../../db/search.js';

export const MAX_SOURCE_TEXT = 1_048_576;

const SourceKind = Type.Enum([...SOURCE_KINDS], { description: 'What sort of document this is.' });
const Metadata = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  additionalProperties: true,
  maxProperties: 100,
  description: 'Free-form JSON object for the client’s own bookkeeping.',
});

const sourceFields = {
  kind: SourceKind,
  url: nullable({
    ...WebUrl,
    description:
      'Where the document lives. Stored normalised and unique among sources: lower-case scheme and host, no default port, no fragment, ' +
      `no tracking parameters (\`utm_*\`, ${[...TRACKING_PARAMS].map((p) => `\`${p}\``).join(', ')}; the others keep their order and encoding), ` +
      'no trailing slash on the path (the root keeps its `/`). `www.` and `http`/`https` are kept: they may be different sites.',
  }),
  title: ShortText('Headline or title.', 1000),
  publisher: nullable(ShortText('Outlet, organisation or account that published it.')),
  authors: StringList('Bylines.', 50),
  language: nullable(Language),
  published_at: nullable(ref(Timestamp)),
  metadata: Metadata,
};

const lifecycle = {
  id: ref(Id),
  created_at: ref(Timestamp),
  updated_at: ref(Timestamp),
  version: Type.Integer({ minimum: 1, description: 'Starts at 1, +1 on every change.' }),
};

const derived = {
  text_length: nullable(Type.Integer({ description: 'Length of `text` in UTF-16 code units (the unit of selector offsets); null without text.' })),
  content_sha256: nullable(Type.String({ description: 'SHA-256 (hex) of the UTF-8 `text`; null without text.' })),
};

export const SourceSummary = Type.Object(
  {
    ...lifecycle,
    ...sourceFields,
    ...derived,
    rank: Type.Optional(Type.Number({ description: `With \`q\`: ${RANK_DESCRIPTION}` })),
    highlight: Type.Optional(Type.String({ description: 'With `q`: the title, HTML-escaped, matching words in `<mark>…</mark>`.' })),
  },
  { $id: 'SourceSummary', description: 'A source as lists show it: without `text`.', additionalProperties: false },
);

export const Source = Type.Object(
  { ...lifecycle, ...sourceFields, text: nullable(Type.String({ description: 'Full text; quotes of attributions are anchored in it.' })), ...derived },
  { $id: 'Source', description: 'A document claims appeared in.', additionalProperties: false },
);

const textInput = nullable(Type.String({ minLength: 1, maxLength: MAX_SOURCE_TEXT, description: 'Full text, up to 1 MiB.' }));

export const SourceCreate = Type.Object(
  {
    kind: SourceKind,
    url: Type.Optional(sourceFields.url),
    title: sourceFields.title,
    publisher: Type.Optional(sourceFields.publisher),
    authors: Type.Optional(sourceFields.authors),
    language: Type.Optional(sourceFields.language),
    published_at: Type.Optional(sourceFields.published_at),
    text: Type.Optional(textInput),
    metadata: Type.Optional(Metadata),
  },
  { $id: 'SourceCreate', additionalProperties: false },
);

export const SourcePatch = Type.Object(
  {
    kind: Type.Optional(SourceKind),
    url: Type.Optional(sourceFields.url),
    title: Type.Optional(sourceFields.title),
    publisher: Type.Optional(sourceFields.publisher),
    authors: Type.Optional(sourceFields.authors),
    language: Type.Optional(sourceFields.language),
    published_at: Type.Optional(sourceFields.published_at),
    text: Type.Optional({ ...textInput, description: 'Refused (409 `in_use`) while anchored attributions use this source.' }),
    metadata: Type.Optional(Metadata),
  },
  { $id: 'SourcePatch', additionalProperties: false, minProperties: 1, description: 'Fields to change; `null` clears a nullable field.' },
);

export const SOURCE_SORTS = ['created_at', 'updated_at', 'published_at', 'title'];

export const SourceListQuery = Type.Object(
  {
    kind: Type.Optional(SourceKind),
    publisher: Type.Optional(Type.String({ maxLength: 500, description: 'Exact publisher.' })),
    url: Type.Optional(Type.String({ maxLength: 2048, description: 'A URL; matched after the same normalisation as stored urls.' })),
    published_from: Type.Optional(ref(Timestamp, { description: 'Published at or after.' })),
    published_to: Type.Optional(ref(Timestamp, { description: 'Published before.' })),
    q: Type.Optional(
      searchParam(
        'Full-text search in title and publisher, English stemming, web-search syntax (`"phrase"`, `OR`, `-word`). ' +
          'Best first (`sort=-rank`, the default with `q`), each with `rank` and a `highlight` of the title. ' +
          RANKED_WALK,
      ),
    ),
    ...listQueryProperties(SOURCE_SORTS, '-created_at'),
    sort: sortWithRank(SOURCE_SORTS, '-created_at'),
  },
  { additionalProperties: false },
);

export const SourcePage = pageOf(ref(SourceSummary), 'A page of sources.');

export type SourceCreateBody = Static<typeof SourceCreate>;
export type SourcePatchBody = Static<typeof SourcePatch>;
export type SourceListParams = Static<typeof SourceListQuery>;
export const sourceSchemas = () => [SourceSummary, Source, SourceCreate, SourcePatch];
