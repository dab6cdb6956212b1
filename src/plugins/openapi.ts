import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { allSchemas } from '../resources/registry.js';
import { completeDocument } from './openapi-document.js';

export const API_DESCRIPTION = `claimledger tracks factual claims: who said what, in which source, with which exact words, and what fact-checkers concluded.

Conventions that hold for every endpoint:
- **Errors** are RFC 9457 \`application/problem+json\` with a stable \`code\` and, for invalid input, \`errors: [{path, message}]\`. Unknown body fields and unknown query parameters are refused (400), never ignored; types are never coerced in bodies.
- **Lists** return \`{data, next_cursor}\` and a \`Link: <…>; rel="next"\` header. Pagination is keyset-based: following \`next_cursor\` walks every row exactly once even while rows are inserted. \`limit\` is 1–200 (default 50). \`sort\` names a field, \`-\` prefix for descending; rows with no value in the sort field come last in both directions, and ties are broken by \`id\`. \`count=true\` adds \`total\`. A cursor is only valid with the sort it was made for.
- **Embedding**: \`include=\` on claims and attributions embeds related rows with one query per relation, whatever the page size.
- **Provenance**: deleting a source or claimant that attributions use is 409 \`in_use\` unless \`cascade=true\`; changing a source's text while anchored attributions use it is 409 \`in_use\`. Every write appends an event to the change log in the same transaction.
- **Quote anchoring**: an attribution's \`quote\` is located in its source's text, forgiving whitespace runs, straight/typographic quotes, dash variants and letter case; elisions (\`...\`, \`…\`, \`[…]\`) split it into parts found in order and close together, bracketed insertions (\`[The mayor]\`) are not searched for. The stored \`selector\` (the whole span) and \`parts\` use UTF-16 offsets of the source text and their \`exact\` is the source's own characters. A quote that is not in the text is 422 \`quote_not_in_source\` naming the part not found.
- **Language tags** are stored in canonical BCP 47 form (\`EN-gb\` → \`en-GB\`); a \`language\` filter matches the tag and its subtags (\`en\` matches \`en-GB\`).
- **Timestamps** are RFC 3339; they are stored and returned in UTC with millisecond precision.`;

export default fp(
  async function openapiPlugin(app: FastifyInstance) {
    for (const schema of allSchemas()) app.addSchema(schema);

    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'claimledger', version: '1.0.0', description: API_DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
        // The server that serves this document, whatever its environment (local, staging or production).
        servers: [{ url: '/', description: 'This claimledger server (local, staging or production: wherever it runs)', ...{ 'x-internal': false } }],
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              description:
                'An API key: `Authorization: Bearer clk_…`. Scopes: `read` (GET), `write` (changes), `admin` (keys, metrics); admin ⊇ write ⊇ read. Missing, unknown, revoked or expired keys get 401, a key without the needed scope 403. A client address that presents failing keys more than CLAIMLEDGER_AUTH_FAILURE_LIMIT times a minute gets 429 until the minute ends.',
            },
          },
        },
        security: [{ bearerAuth: [] }],
        tags: [
          { name: 'sources', description: 'Documents claims appear in: articles, transcripts, statements, posts, reports, datasets.' },
          { name: 'claimants', description: 'People and organisations who make claims.' },
          { name: 'claims', description: 'Checkable assertions in neutral wording.' },
          { name: 'attributions', description: 'Who asserted a claim, where, and with which exact words.' },
          { name: 'reviews', description: 'Fact-check verdicts, and their schema.org ClaimReview form.' },
          { name: 'events', description: 'The append-only change log, for sync and live dashboards.' },
          { name: 'stats', description: 'Counts for dashboards.' },
          { name: 'bulk', description: 'NDJSON import and streaming export.' },
          { name: 'extract', description: 'Candidate claims and attributions found in a text, ready to confirm.' },
          { name: 'keys', description: 'API keys (admin).' },
          { name: 'operations', description: 'Health of the service.' },
        ],
      },
      transformObject: (documentObject) =>
        completeDocument((documentObject as unknown as { openapiObject: Record<string, unknown> }).openapiObject) as never,
      // Name components after their $id (`Problem`, `Claim`) instead of def-0, def-1.
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi' },
);
