import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf, linkNext } from '../http.js';
import { IdParams, IdempotencyHeaders, NoQuery, pageOf, problemResponses, ref } from '../../lib/schemas.js';
import type { WriteAnswer } from '../../db/idempotency.js';
import { withWrite } from '../../db/write.js';
import { createKey, listKeys, revokeKey } from './queries.js';
import { ApiKey, ApiKeyCreate, ApiKeyListQuery, ApiKeyWithSecret, SECRET_SHOWN_ONCE } from './schemas.js';

const tags = ['keys'];
const config = { scope: 'admin' as const };

/** What an Idempotency-Key keeps of a creation for replays: the key's metadata, never its secret. */
function withoutSecret<T extends { secret?: string }>(answer: WriteAnswer<T>): WriteAnswer {
  const { secret: _secret, ...metadata } = answer.body;
  return { ...answer, body: { ...metadata, secret_note: SECRET_SHOWN_ONCE } };
}

const keysRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/keys',
    {
      config,
      schema: {
        operationId: 'createKey',
        tags,
        summary: 'Create an API key',
        description:
          'The response is the only time the secret is shown; only its hash is stored. With an `Idempotency-Key`, a retry answers ' +
          'the same key without its secret (`secret_note` says why): the secret is never stored, not even for replays. ' +
          '`expires_at`, if given, must be in the future.',
        headers: IdempotencyHeaders,
        body: ref(ApiKeyCreate),
        response: { 201: ref(ApiKeyWithSecret), ...problemResponses(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      reply.sendAfterWrite(async (w) => {
        const key = await createKey(w, request.body);
        return { status: 201, headers: { location: `/v1/keys/${key.id}`, 'cache-control': 'no-store' }, body: key };
      }, { stored: withoutSecret }),
  );

  app.get(
    '/keys',
    {
      config,
      schema: {
        operationId: 'listKeys',
        tags,
        summary: 'List API keys (without secrets)',
        querystring: ApiKeyListQuery,
        response: { 200: pageOf(ref(ApiKey), 'A page of API keys.'), ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const page = await listKeys(app.db, request.query);
      linkNext(request, reply, page.next_cursor);
      return page;
    },
  );

  app.delete(
    '/keys/:id',
    {
      config,
      schema: {
        operationId: 'revokeKey',
        tags,
        summary: 'Revoke an API key',
        description:
          'Permanent. When this answers, every API process (every worker of every instance on this database) refuses the key: each confirms ' +
          'that it has dropped the key before the answer. A process that cannot confirm within 2 s (its event loop blocked) is named in the logs ' +
          'and refuses the key within 5 s. The key stays listed with `include_revoked=true`.',
        params: IdParams,
        querystring: NoQuery,
        response: { 204: { type: 'null', description: 'Revoked.' }, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const revocation = await withWrite(app.db, actorOf(request), (w) => revokeKey(w, request.params.id));
      if (revocation) await app.enforceRevocation(revocation);
      return reply.code(204).send(null);
    },
  );
};

export default keysRoutes;
