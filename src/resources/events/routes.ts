import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError, notFound } from '../../lib/errors.js';
import { grants } from '../../lib/keys.js';
import { IdParams, problemResponses } from '../../lib/schemas.js';
import { hasHistory, listEvents } from './queries.js';
import { EventListQuery, EventPage, HistoryQuery } from './schemas.js';

const eventsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/events',
    {
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary: 'Read the change feed',
        description:
          'Every change, in ascending `seq`. Poll with `after` = the last `seq` you processed (or `next_after`): ' +
          '`seq` follows commit order, so a poller never misses an event and never sees one twice, even while writes run concurrently.\n\n' +
          'Events of API keys (`entity_type=api_key`) are in the feed of admin keys only; for other keys they are left out, and asking ' +
          'for them by `entity_type` or `type` is 403. Key events never carry any character of a secret.',
        querystring: EventListQuery,
        response: { 200: EventPage, ...problemResponses(400, 403) },
      },
    },
    async (request) => {
      const withKeyEvents = grants(request.apiKeyScopes ?? [], 'admin');
      const { entity_type: entityType, type } = request.query;
      if (!withKeyEvents && (entityType === 'api_key' || type?.startsWith('api_key.'))) {
        throw new ApiError('forbidden', 'Events of API keys are shown to admin keys only.');
      }
      return listEvents(app.db, { ...request.query, withKeyEvents });
    },
  );

  for (const entity of ['claim', 'source'] as const) {
    app.get(
      `/${entity}s/:id/history`,
      {
        schema: {
          operationId: `get${entity[0].toUpperCase()}${entity.slice(1)}History`,
          tags: ['events', `${entity}s`],
          summary: `The ${entity}'s change history`,
          description: `The ${entity}'s own events, oldest first: who (key_id), when, and the changed fields before/after. Still answers after the ${entity} is deleted; 404 for an id that never existed.`,
          params: IdParams,
          querystring: HistoryQuery,
          response: { 200: EventPage, ...problemResponses(400, 404) },
        },
      },
      async (request) => {
        const page = await listEvents(app.db, { ...request.query, entity_type: entity, entity_id: request.params.id });
        if (page.data.length === 0 && !(await hasHistory(app.db, entity, request.params.id))) throw notFound(entity, request.params.id);
        return page;
      },
    );
  }
};

export default eventsRoutes;
