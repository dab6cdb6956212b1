import { Type, type Static } from 'typebox';
import { CLAIMANT_KINDS } from '../../db/schema.js';
import { Id, ShortText, StringList, Timestamp, WebUrl, nullable, pageOf, ref } from '../../lib/schemas.js';
import { listQueryProperties } from '../../lib/pagination.js';
import { sortWithRank } from '../../db/search.js';

const ClaimantKind = Type.Enum([...CLAIMANT_KINDS], { description: 'What sort of speaker this is.' });
const WikidataId = Type.String({ pattern: '^Q[1-9][0-9]{0,11}$', description: 'Wikidata item id (`Q` + digits); unique among claimants.', examples: ['Q42'] });

const fields = {
  name: ShortText('The name the desk uses.', 300),
  kind: ClaimantKind,
  aliases: StringList('Other names, spellings, titles ("Mayor Lindqvist").', 100, 300),
  description: nullable(ShortText('Who this is.', 2000, 'many')),
  wikidata_id: nullable(WikidataId),
  url: nullable(WebUrl),
};

export const Claimant = Type.Object(
  {
    id: ref(Id),
    ...fields,
    created_at: ref(Timestamp),
    updated_at: ref(Timestamp),
    version: Type.Integer({ minimum: 1 }),
    matched: Type.Optional(Type.String({ description: 'With `q`: the name or alias that matched best.' })),
    score: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          'With `q`: how well `matched` fits q, 0–1. 1 is the same name ignoring case, accents, punctuation and word order; ' +
          'a part of a name (a surname alone) scores at most 0.9, a spelling variant or transliteration (Tschaikowsky for Tchaikovsky) at most 0.95.',
      }),
    ),
  },
  { $id: 'Claimant', additionalProperties: false, description: 'A person or organisation that makes claims.' },
);

export const ClaimantCreate = Type.Object(
  {
    name: fields.name,
    kind: Type.Optional({ ...ClaimantKind, default: 'unknown' }),
    aliases: Type.Optional(fields.aliases),
    description: Type.Optional(fields.description),
    wikidata_id: Type.Optional(fields.wikidata_id),
    url: Type.Optional(fields.url),
  },
  { $id: 'ClaimantCreate', additionalProperties: false },
);

export const ClaimantPatch = Type.Object(
  {
    name: Type.Optional(fields.name),
    kind: Type.Optional(ClaimantKind),
    aliases: Type.Optional(fields.aliases),
    description: Type.Optional(fields.description),
    wikidata_id: Type.Optional(fields.wikidata_id),
    url: Type.Optional(fields.url),
  },
  { $id: 'ClaimantPatch', additionalProperties: false, minProperties: 1, description: 'Fields to change; `null` clears a nullable field.' },
);

export const CLAIMANT_SORTS = ['created_at', 'updated_at', 'name'];

export const ClaimantListQuery = Type.Object(
  {
    kind: Type.Optional(ClaimantKind),
    wikidata_id: Type.Optional(WikidataId),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'Exact name or alias, ignoring case and accents.' })),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 300,
        description:
          'Fuzzy lookup by name or alias, ignoring case and accents and forgiving small misspellings and transliterations (trigram similarity): ' +
          '`lindkvist`, `LINDQVIST` and `lindqvíst` all find "Ana Lindqvist". Best first (`sort=-score`, the default with `q`); each hit has `matched` and `score`. ' +
          'The same matcher resolves `claimant_name` on attributions, which reuses a claimant only at a score of 0.95 or more.',
      }),
    ),
    ...listQueryProperties(CLAIMANT_SORTS, '-created_at'),
    sort: sortWithRank(CLAIMANT_SORTS, '-created_at', 'score'),
  },
  { additionalProperties: false },
);

export const claimantSchemas = () => [Claimant, ClaimantCreate, ClaimantPatch];
export const ClaimantPage = pageOf(ref(Claimant), 'A page of claimants.');
export type ClaimantCreateBody = Static<typeof ClaimantCreate>;
export type ClaimantPatchBody = Static<typeof ClaimantPatch>;
export type ClaimantListParams = Static<typeof ClaimantListQuery>;
