import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf, linkNext } from '../http.js';
import { withWrite } from '../../db/write.js';
import { onlyRow } from '../../lib/row-failures.js';
import { CascadeQuery, IdParams, IdempotencyHeaders, IfMatchHeaders, IfNoneMatchHeaders, NoQuery, problemResponses, ref } from '../../lib/schemas.js';
import { createClaimants, deleteClaimant, getClaimant, listClaimants, updateClaimant } from './queries.js';
import { Claimant, ClaimantCreate, ClaimantListQuery, ClaimantPage, ClaimantPatch } from './schemas.js';

const tags = ['claimants'];

const claimantsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/claimants',
    {
      schema: {
        operationId: 'createClaimant',
        tags,
        summary: 'Create a claimant',
        description: 'A `wikidata_id` already held by another claimant is 409 `conflict` with `existing_id`.',
        headers: IdempotencyHeaders,
        body: ref(ClaimantCreate),
        response: { 201: ref(Claimant), ...problemResponses(400, 409, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      reply.sendAfterWrite(async (w) => {
        const row = onlyRow(await createClaimants(w, [{ body: request.body }]));
        return { status: 201, headers: { location: `/v1/claimants/${row.id}` }, body: row };
      }),
  );

  app.get(
    '/claimants',
    {
      schema: {
        operationId: 'listClaimants',
        tags,
        summary: 'List claimants',
        querystring: ClaimantListQuery,
        response: { 200: ClaimantPage, ...problemResponses(400) },
      },
    },
    async (request, reply) => {
      const page = await listClaimants(app.db, request.query);
      linkNext(request, reply, page.next_cursor);
      return page;
    },
  );

  app.get(
    '/claimants/:id',
    {
      schema: {
        operationId: 'getClaimant',
        tags,
        summary: 'Get a claimant',
        params: IdParams,
        headers: IfNoneMatchHeaders,
        querystring: NoQuery,
        response: { 200: ref(Claimant), 304: { type: 'null', description: 'Not Modified: the `If-None-Match` ETag is current.' }, ...problemResponses(400, 404) },
      },
    },
    async (request) => getClaimant(app.db, request.params.id),
  );

  app.patch(
    '/claimants/:id',
    {
      schema: {
        operationId: 'updateClaimant',
        tags,
        summary: 'Change a claimant',
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: NoQuery,
        body: ref(ClaimantPatch),
        response: { 200: ref(Claimant), ...problemResponses(400, 404, 409, 412, 413, 415) },
      },
    },
    async (request) => withWrite(app.db, actorOf(request), (w) => updateClaimant(w, request.params.id, request.body, request.headers['if-match'])),
  );

  app.delete(
    '/claimants/:id',
    {
      schema: {
        operationId: 'deleteClaimant',
        tags,
        summary: 'Delete a claimant',
        description: 'Refused with 409 `in_use` while attributions name the claimant, unless `cascade=true` (which deletes those attributions).',
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: CascadeQuery,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...problemResponses(400, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      await withWrite(app.db, actorOf(request), (w) => deleteClaimant(w, request.params.id, request.query.cascade ?? false, request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );
};

export default claimantsRoutes;
