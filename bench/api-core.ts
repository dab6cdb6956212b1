/**
 * A diagnostic contender of `npm run bench`: claimledger's claim routes, validation,
 * serialisation, error handling and queries exactly as the API has them, but without
 * the cross-cutting plugins (security headers, authentication, rate limit, metrics,
 * conditional requests, idempotency). Beside the API and the bare baseline it shows
 * where the difference between them is spent. Not a way to run claimledger.
 *
 *   DATABASE_URL=… PORT=3998 npx tsx bench/api-core.ts
 */
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { SERVER_OPTIONS } from '../src/app.js';
import { openPostgres } from '../src/db/client.js';
import dbPlugin from '../src/plugins/db.js';
import errorsPlugin from '../src/plugins/errors.js';
import openapiPlugin from '../src/plugins/openapi.js';
import claimsRoutes from '../src/resources/claims/routes.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('set DATABASE_URL');

// The same Fastify options as src/app.ts.
const app = Fastify({
  ...SERVER_OPTIONS,
  logger: false,
}).withTypeProvider<TypeBoxTypeProvider>();

const database = openPostgres({ url });
await app.register(errorsPlugin);
await app.register(dbPlugin, { database });
await app.register(openapiPlugin);
await app.register(claimsRoutes, { prefix: '/v1' });
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3998) });
process.on('SIGTERM', () => void app.close().then(() => database.close()).then(() => process.exit(0)));
