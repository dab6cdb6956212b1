import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf } from '../../lib/actor.js';
import { linkNext } from '../../lib/pagination.js';
import { IdParams, IdempotencyHeaders, NoQuery, pageOf, problemResponses, ref } from '../../lib/schemas.js';
import { writeTransaction } from '../events/queries.js';
import { createKey, listKeys, revokeKey } from './queries.js';
import { ApiKey, ApiKeyCreate, ApiKeyListQuery, ApiKeyWithSecret } from './schemas.js';

const tags = ['keys'];
const config = { scope: 'admin' as const };

const keysRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/keys',
    {
      config,
      schema: {
        operationId: 'createKey',
        tags,
        summary: 'Create an API key',
        description: 'The response is the only time the secret is shown; only its hash is stored.',
        headers: IdempotencyHeaders,
        body: ref(ApiKeyCreate),
        response: { 201: ref(ApiKeyWithSecret), ...problemResponses(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      reply.sendAfterWrite(async (tx) => {
        const key = await createKey(tx, actorOf(request), request.body);
        return { status: 201, headers: { location: `/v1/keys/${key.id}`, 'cache-control': 'no-store' }, body: key };
      }),
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
        description: 'Permanent. The key is refused from then on (by every API process within seconds); it stays listed with `include_revoked=true`.',
        params: IdParams,
        querystring: NoQuery,
        response: { 204: { type: 'null', description: 'Revoked.' }, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await writeTransaction(app.db, (tx) => revokeKey(tx, actorOf(request), request.params.id));
      app.forgetKeys();
      return reply.code(204).send(null);
    },
  );
};

export default keysRoutes;
