import { Type, type Static } from 'typebox';
import { Id, ShortText, Timestamp, nullable, ref } from '../../lib/schemas.js';
import { listQueryProperties } from '../../lib/pagination.js';

const Scope = Type.Enum(['read', 'write', 'admin'], { description: '`read`: GET; `write`: changes (and reads); `admin`: API keys (and everything).' });

const keyFields = {
  id: ref(Id),
  name: Type.String({ maxLength: 200 }),
  scopes: Type.Array(Scope, { maxItems: 3 }),
  prefix: Type.String({ maxLength: 20, description: 'The first characters of the secret, to recognise it.' }),
  last4: Type.String({ maxLength: 4, description: 'The last four characters of the secret.' }),
  expires_at: nullable(ref(Timestamp)),
  revoked_at: nullable(ref(Timestamp)),
  last_used_at: nullable(ref(Timestamp, { description: 'Updated about once a minute, not on every request.' })),
  created_at: ref(Timestamp),
  updated_at: ref(Timestamp),
  version: Type.Integer({ minimum: 1 }),
};

export const ApiKey = Type.Object(keyFields, { $id: 'ApiKey', additionalProperties: false, description: 'An API key, without its secret.' });

export const SECRET_SHOWN_ONCE =
  'This answer replays the creation of this key (Idempotent-Replayed: true). Its secret was shown only in the first answer and is not stored anywhere; if it was lost, revoke this key and create another.';

export const ApiKeyWithSecret = Type.Object(
  {
    ...keyFields,
    secret: Type.Optional(Type.String({ maxLength: 100, description: 'The key itself. Shown only in the first answer; store it now. Absent from a replayed answer.' })),
    secret_note: Type.Optional(Type.String({ maxLength: 300, description: 'Only in a replayed answer, instead of `secret`: why the secret is not shown.', examples: [SECRET_SHOWN_ONCE] })),
  },
  { $id: 'ApiKeyWithSecret', additionalProperties: false, description: 'A new API key: with its secret in the first answer, without it in a replay.' },
);

export const ApiKeyCreate = Type.Object(
  {
    name: ShortText('What the key is for, e.g. "desk tool".', 200),
    scopes: Type.Array(Scope, { minItems: 1, maxItems: 3, uniqueItems: true }),
    expires_at: Type.Optional(nullable(ref(Timestamp, { description: 'After this moment the key is refused.' }))),
  },
  { $id: 'ApiKeyCreate', additionalProperties: false },
);

export const ApiKeyListQuery = Type.Object(
  {
    include_revoked: Type.Optional(Type.Boolean({ default: false, description: 'Also list revoked keys.' })),
    ...listQueryProperties(['created_at', 'name'], '-created_at'),
  },
  { additionalProperties: false },
);

export const apiKeySchemas = () => [ApiKey, ApiKeyWithSecret, ApiKeyCreate];
export type ApiKeyCreateBody = Static<typeof ApiKeyCreate>;
export type ApiKeyListParams = Static<typeof ApiKeyListQuery>;
