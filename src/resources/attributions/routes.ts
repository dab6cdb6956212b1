import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf, linkNext } from '../http.js';
import { onlyRow } from '../../lib/row-failures.js';
import { withWrite } from '../../db/write.js';
import { IdParams, IdempotencyHeaders, IfMatchHeaders, IfNoneMatchHeaders, NoQuery, parseInclude, problemResponses, ref } from '../../lib/schemas.js';
import {
  createAttributions,
  deleteAttribution,
  embedInAttributions,
  getAttribution,
  listAttributions,
  updateAttribution,
  type AttributionInclude,
} from './queries.js';
import { QUOTE_READING, Attribution, AttributionCreate, AttributionGetQuery, AttributionListQuery, AttributionPage, AttributionPatch } from './schemas.js';

const tags = ['attributions'];

const attributionsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/attributions',
    {
      schema: {
        operationId: 'createAttribution',
        tags,
        summary: 'Attribute a claim to a claimant in a source',
        description: `${QUOTE_READING} Nothing is written when it is refused. A source without text gives \`anchored: false\`.`,
        headers: IdempotencyHeaders,
        body: ref(AttributionCreate),
        response: { 201: ref(Attribution), ...problemResponses(400, 409, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      reply.sendAfterWrite(async (w) => {
        const { claim_id, ...body } = request.body;
        const row = onlyRow(await createAttributions(w, [{ claim_id, body }]));
        return { status: 201, headers: { location: `/v1/attributions/${row.id}` }, body: row };
      }),
  );

  app.get(
    '/attributions',
    {
      schema: {
        operationId: 'listAttributions',
        tags,
        summary: 'List attributions',
        querystring: AttributionListQuery,
        response: { 200: AttributionPage, ...problemResponses(400) },
      },
    },
    async (request, reply) => {
      const page = await listAttributions(app.db, request.query);
      const data = await embedInAttributions(app.db, page.data, parseInclude<AttributionInclude>(request.query.include));
      linkNext(request, reply, page.next_cursor);
      return { ...page, data };
    },
  );

  app.get(
    '/attributions/:id',
    {
      schema: {
        operationId: 'getAttribution',
        tags,
        summary: 'Get an attribution',
        params: IdParams,
        headers: IfNoneMatchHeaders,
        querystring: AttributionGetQuery,
        response: { 200: ref(Attribution), 304: { type: 'null', description: 'Not Modified: the `If-None-Match` ETag is current.' }, ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const row = await getAttribution(app.db, request.params.id);
      const [embedded] = await embedInAttributions(app.db, [row], parseInclude<AttributionInclude>(request.query.include));
      return embedded;
    },
  );

  app.patch(
    '/attributions/:id',
    {
      schema: {
        operationId: 'updateAttribution',
        tags,
        summary: 'Change an attribution',
        description: `A new \`quote\` or \`source_id\` is anchored again, as on create. ${QUOTE_READING}`,
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: NoQuery,
        body: ref(AttributionPatch),
        response: { 200: ref(Attribution), ...problemResponses(400, 404, 412, 413, 415, 422) },
      },
    },
    async (request) => withWrite(app.db, actorOf(request), (w) => updateAttribution(w, request.params.id, request.body, request.headers['if-match'])),
  );

  app.delete(
    '/attributions/:id',
    {
      schema: {
        operationId: 'deleteAttribution',
        tags,
        summary: 'Delete an attribution',
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: NoQuery,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...problemResponses(400, 404, 412) },
      },
    },
    async (request, reply) => {
      await withWrite(app.db, actorOf(request), (w) => deleteAttribution(w, request.params.id, request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );
};

export default attributionsRoutes;
