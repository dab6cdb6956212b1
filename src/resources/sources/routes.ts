import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf, linkNext } from '../http.js';
import { onlyRow } from '../../lib/row-failures.js';
import { withWrite } from '../../db/write.js';
import { CascadeQuery, IdParams, IdempotencyHeaders, IfMatchHeaders, IfNoneMatchHeaders, NoQuery, problemResponses, ref } from '../../lib/schemas.js';
import { createSources, deleteSource, getSource, listSources, updateSource } from './queries.js';
import { Source, SourceCreate, SourceListQuery, SourcePage, SourcePatch } from './schemas.js';

const tags = ['sources'];

const sourcesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/sources',
    {
      schema: {
        operationId: 'createSource',
        tags,
        summary: 'Create a source',
        description: 'A duplicate `url` (after normalisation) is 409 `conflict` with `existing_id`.',
        headers: IdempotencyHeaders,
        body: ref(SourceCreate),
        response: { 201: ref(Source), ...problemResponses(400, 409, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      reply.sendAfterWrite(async (w) => {
        const row = onlyRow(await createSources(w, [{ body: request.body }]));
        return { status: 201, headers: { location: `/v1/sources/${row.id}` }, body: row };
      }),
  );

  app.get(
    '/sources',
    {
      schema: {
        operationId: 'listSources',
        tags,
        summary: 'List sources',
        description: 'Lists show `text_length` instead of `text`.',
        querystring: SourceListQuery,
        response: { 200: SourcePage, ...problemResponses(400) },
      },
    },
    async (request, reply) => {
      const page = await listSources(app.db, request.query);
      linkNext(request, reply, page.next_cursor);
      return page;
    },
  );

  app.get(
    '/sources/:id',
    {
      schema: {
        operationId: 'getSource',
        tags,
        summary: 'Get a source with its full text',
        params: IdParams,
        headers: IfNoneMatchHeaders,
        querystring: NoQuery,
        response: { 200: ref(Source), 304: { type: 'null', description: 'Not Modified: the `If-None-Match` ETag is current.' }, ...problemResponses(400, 404) },
      },
    },
    async (request) => getSource(app.db, request.params.id),
  );

  app.patch(
    '/sources/:id',
    {
      schema: {
        operationId: 'updateSource',
        tags,
        summary: 'Change a source',
        description:
          'Changing `text` while anchored attributions use the source is 409 `in_use`. Giving text to a source whose attributions have quotes anchors them, and is 422 `quote_not_in_source` if one is not in it.',
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: NoQuery,
        body: ref(SourcePatch),
        response: { 200: ref(Source), ...problemResponses(400, 404, 409, 412, 413, 415, 422) },
      },
    },
    async (request) => withWrite(app.db, actorOf(request), (w) => updateSource(w, request.params.id, request.body, request.headers['if-match'])),
  );

  app.delete(
    '/sources/:id',
    {
      schema: {
        operationId: 'deleteSource',
        tags,
        summary: 'Delete a source',
        description: 'Refused with 409 `in_use` while attributions or review evidence use it, unless `cascade=true`.',
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: CascadeQuery,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...problemResponses(400, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      await withWrite(app.db, actorOf(request), (w) => deleteSource(w, request.params.id, request.query.cascade ?? false, request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );
};

export default sourcesRoutes;
