import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf, linkNext } from '../http.js';
import { onlyRow } from '../../lib/row-failures.js';
import { withWrite } from '../../db/write.js';
import { IdParams, IdempotencyHeaders, IfMatchHeaders, IfNoneMatchHeaders, NoQuery, parseInclude, problemResponses, ref } from '../../lib/schemas.js';
import { createClaims, deleteClaim, embedInClaims, getClaim, listClaims, updateClaim, type ClaimInclude } from './queries.js';
import { Claim, ClaimCreate, ClaimGetQuery, ClaimListQuery, ClaimPage, ClaimPatch } from './schemas.js';

const tags = ['claims'];

const claimsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/claims',
    {
      schema: {
        operationId: 'createClaim',
        tags,
        summary: 'Create a claim, optionally with its attributions',
        description:
          'Inline `attributions` are created in the same transaction: a quote that is not in its source (422 `quote_not_in_source`; quotes with elisions and bracketed insertions are read as on `POST /v1/attributions`) or an unknown source (422) writes nothing. ' +
          'An attribution may name its claimant by `claimant_name`: matched to an existing claimant by name or alias (ignoring case and accents) or created. The response embeds the created attributions.',
        headers: IdempotencyHeaders,
        body: ref(ClaimCreate),
        response: { 201: ref(Claim), ...problemResponses(400, 409, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      reply.sendAfterWrite(async (w) => {
        const { tx } = w;
        const row = onlyRow(await createClaims(w, [{ body: request.body }]));
        const [claim] = await embedInClaims(tx, [row], ['attributions']);
        return { status: 201, headers: { location: `/v1/claims/${claim.id}` }, body: claim };
      }),
  );

  app.get(
    '/claims',
    {
      schema: {
        operationId: 'listClaims',
        tags,
        summary: 'List claims',
        querystring: ClaimListQuery,
        response: { 200: ClaimPage, ...problemResponses(400) },
      },
    },
    async (request, reply) => {
      const page = await listClaims(app.db, request.query);
      const data = await embedInClaims(app.db, page.data, parseInclude<ClaimInclude>(request.query.include));
      linkNext(request, reply, page.next_cursor);
      return { ...page, data };
    },
  );

  app.get(
    '/claims/:id',
    {
      schema: {
        operationId: 'getClaim',
        tags,
        summary: 'Get a claim',
        params: IdParams,
        headers: IfNoneMatchHeaders,
        querystring: ClaimGetQuery,
        response: { 200: ref(Claim), 304: { type: 'null', description: 'Not Modified: the `If-None-Match` ETag is current.' }, ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const row = await getClaim(app.db, request.params.id);
      const [embedded] = await embedInClaims(app.db, [row], parseInclude<ClaimInclude>(request.query.include));
      return embedded;
    },
  );

  app.patch(
    '/claims/:id',
    {
      schema: {
        operationId: 'updateClaim',
        tags,
        summary: 'Change a claim',
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: NoQuery,
        body: ref(ClaimPatch),
        response: { 200: ref(Claim), ...problemResponses(400, 404, 409, 412, 413, 415) },
      },
    },
    async (request) => withWrite(app.db, actorOf(request), (w) => updateClaim(w, request.params.id, request.body, request.headers['if-match'])),
  );

  app.delete(
    '/claims/:id',
    {
      schema: {
        operationId: 'deleteClaim',
        tags,
        summary: 'Delete a claim with its attributions and reviews',
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: NoQuery,
        response: { 204: { type: 'null', description: 'Deleted, with its attributions and reviews.' }, ...problemResponses(400, 404, 412) },
      },
    },
    async (request, reply) => {
      await withWrite(app.db, actorOf(request), (w) => deleteClaim(w, request.params.id, request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );
};

export default claimsRoutes;
