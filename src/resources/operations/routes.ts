import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requestEncoder } from '../../domain/sentence-vectors.js';
import { ApiError } from '../../lib/errors.js';
import { NoQuery, problemResponses, ref } from '../../lib/schemas.js';
import { pendingMigrations } from './queries.js';

const Health = Type.Object({ status: Type.Literal('ok') }, { $id: 'Health' });

export interface OperationsOptions {
  /**
   * Whether readiness waits for the matching model: on a server that loads it as it starts
   * listening (`CLAIMLEDGER_MATCH_BACKGROUND` on). One that loads it when a match first asks
   * stays ready meanwhile: it was ready before, and only that match waits.
   */
  waitForMatchingModel: boolean;
}

const operationsRoutes: FastifyPluginAsyncTypebox<OperationsOptions> = async (app, options) => {
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
        summary: 'Can the service reach its database, with every migration applied, and answer matches at full speed?',
        description:
          'Ready: the database answers and every migration is applied, and, on a server that prepares for matching as it starts (`CLAIMLEDGER_MATCH_BACKGROUND` on, the default), its sentence encoder has loaded its model, a second or three after the start; until then a match would wait for it. With `CLAIMLEDGER_MATCH_BACKGROUND` off the model is loaded when a match first needs it, and the server stays ready meanwhile. 503 `unavailable` otherwise, saying which.',
        security: [],
        querystring: NoQuery,
        response: { 200: ref(Health), ...problemResponses(400) },
      },
    },
    async () => {
      // As the request found it: the model may finish loading while the database answers.
      const modelLoading = options.waitForMatchingModel && app.server.listening && requestEncoder().loading;
      let pending: number;
      try {
        pending = await pendingMigrations(app.db);
      } catch {
        throw new ApiError('unavailable', 'The database cannot be reached.');
      }
      if (pending > 0) {
        throw new ApiError('unavailable', `${pending} database migration(s) are not applied yet.`);
      }
      if (modelLoading) {
        throw new ApiError('unavailable', 'The matching model is still loading (a second or three after a start).');
      }
      return { status: 'ok' as const };
    },
  );
};

export default operationsRoutes;
