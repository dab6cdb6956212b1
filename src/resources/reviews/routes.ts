import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorOf, linkNext } from '../http.js';
import { Type } from 'typebox';
import { toClaimReview } from '../../domain/claimreview.js';
import { IdParams, IdempotencyHeaders, IfMatchHeaders, IfNoneMatchHeaders, NoQuery, problemResponses, ref } from '../../lib/schemas.js';
import { withWrite } from '../../db/write.js';
import { claimReviewInputs, createReview, deleteReview, getReview, listReviews, reviewsOfClaim, updateReview } from './queries.js';
import { ClaimReviewDoc, Review, ReviewCreate, ReviewListQuery, ReviewPage, ReviewPatch } from './schemas.js';

const tags = ['reviews'];
const LD_JSON = 'application/ld+json';

const reviewsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/claims/:id/reviews',
    {
      schema: {
        operationId: 'createReview',
        tags,
        summary: 'Review a claim',
        description:
          'Moves the claim to `reviewed` and sets its derived `verdict` to the newest review’s (by `published_at`, then creation), in the same transaction. Evidence citing an unknown source is 422.',
        params: IdParams,
        querystring: NoQuery,
        headers: IdempotencyHeaders,
        body: ref(ReviewCreate),
        response: { 201: ref(Review), ...problemResponses(400, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      reply.sendAfterWrite(async (w) => {
        const review = await createReview(w, request.params.id, request.body);
        return { status: 201, headers: { location: `/v1/reviews/${review.id}` }, body: review };
      }),
  );

  app.get(
    '/reviews',
    {
      schema: {
        operationId: 'listReviews',
        tags,
        summary: 'List reviews',
        querystring: ReviewListQuery,
        response: { 200: ReviewPage, ...problemResponses(400) },
      },
    },
    async (request, reply) => {
      const page = await listReviews(app.db, request.query);
      linkNext(request, reply, page.next_cursor);
      return page;
    },
  );

  app.get(
    '/reviews/:id',
    {
      schema: {
        operationId: 'getReview',
        tags,
        summary: 'Get a review',
        params: IdParams,
        headers: IfNoneMatchHeaders,
        querystring: NoQuery,
        response: { 200: ref(Review), 304: { type: 'null', description: 'Not Modified: the `If-None-Match` ETag is current.' }, ...problemResponses(400, 404) },
      },
    },
    async (request) => getReview(app.db, request.params.id),
  );

  app.patch(
    '/reviews/:id',
    {
      schema: {
        operationId: 'updateReview',
        tags,
        summary: 'Change a review',
        description: 'The claim’s `status` and `verdict` are recomputed in the same transaction.',
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: NoQuery,
        body: ref(ReviewPatch),
        response: { 200: ref(Review), ...problemResponses(400, 404, 412, 413, 415, 422) },
      },
    },
    async (request) => withWrite(app.db, actorOf(request), (w) => updateReview(w, request.params.id, request.body, request.headers['if-match'])),
  );

  app.delete(
    '/reviews/:id',
    {
      schema: {
        operationId: 'deleteReview',
        tags,
        summary: 'Delete a review',
        description: 'The claim’s `verdict` falls back to the next newest review; a claim left with no review returns from `reviewed` to `unreviewed`.',
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: NoQuery,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...problemResponses(400, 404, 412) },
      },
    },
    async (request, reply) => {
      await withWrite(app.db, actorOf(request), (w) => deleteReview(w, request.params.id, request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/reviews/:id/claimreview',
    {
      schema: {
        operationId: 'getReviewClaimReview',
        tags,
        summary: 'The review as schema.org ClaimReview JSON-LD',
        params: IdParams,
        querystring: NoQuery,
        response: {
          200: { description: 'ClaimReview JSON-LD.', content: { [LD_JSON]: { schema: ref(ClaimReviewDoc) } } },
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const review = await getReview(app.db, request.params.id);
      const [input] = await claimReviewInputs(app.db, [review]);
      return reply.type(LD_JSON).send(toClaimReview(input) as never);
    },
  );

  app.get(
    '/claims/:id/claimreview',
    {
      schema: {
        operationId: 'getClaimClaimReviews',
        tags: [...tags, 'claims'],
        summary: 'All reviews of a claim as schema.org ClaimReview JSON-LD',
        description: 'An array with one ClaimReview per review, oldest first; empty when the claim has no review yet.',
        params: IdParams,
        querystring: NoQuery,
        response: {
          200: { description: 'ClaimReview JSON-LD documents.', content: { [LD_JSON]: { schema: Type.Array(ref(ClaimReviewDoc)) } } },
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const inputs = await claimReviewInputs(app.db, await reviewsOfClaim(app.db, request.params.id), [request.params.id]);
      return reply.type(LD_JSON).send(inputs.map(toClaimReview) as never);
    },
  );
};

export default reviewsRoutes;
