import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import { ApiError } from '../../lib/errors.js';
import { NoQuery, problemResponses, ref } from '../../lib/schemas.js';

const Health = Type.Object({ status: Type.Literal('ok') }, { $id: 'Health' });

const operationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(Health);

  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['operations'],
        summary: 'Is the process up?',
        security: [],
        querystring: NoQuery,
        response: { 200: ref(Health), ...problemResponses(400) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['operations'],
        summary: 'Can the service reach its database?',
        security: [],
        querystring: NoQuery,
        response: { 200: ref(Health), ...problemResponses(400) },
      },
    },
    async () => {
      try {
        await app.db.execute(sql`select 1`);
      } catch {
        throw new ApiError('unavailable');
      }
      return { status: 'ok' as const };
    },
  );
};

export default operationsRoutes;
