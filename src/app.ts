import { constants as zlib } from 'node:zlib';
import compress from '@fastify/compress';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { openDatabase, type Database } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { trustProxyOption, type Config } from './config.js';
import { workerPlan } from './cluster.js';
import dbPlugin from './plugins/db.js';
import errorsPlugin, { answerClientError, sendProblem, toApiError } from './plugins/errors.js';
import { assertSaneJson } from './lib/json-checks.js';
import openapiPlugin from './plugins/openapi.js';
import conditionalPlugin from './plugins/conditional.js';
import idempotencyPlugin from './plugins/idempotency.js';
import authPlugin from './plugins/auth.js';
import metricsPlugin from './plugins/metrics.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import securityPlugin, { secureDataReply } from './plugins/security.js';
import bodyTimeoutsPlugin from './plugins/body-timeouts.js';
import keysRoutes from './resources/keys/routes.js';
import extractRoutes from './resources/extract/routes.js';
import { bootstrapKeys } from './resources/keys/queries.js';
import { lazySchemas, schemaController, type LazySchemas } from './resources/validation.js';
import operationsRoutes from './resources/operations/routes.js';
import sourcesRoutes from './resources/sources/routes.js';
import claimantsRoutes from './resources/claimants/routes.js';
import claimsRoutes from './resources/claims/routes.js';
import matchRoutes from './resources/claims/match-routes.js';
import attributionsRoutes from './resources/attributions/routes.js';
import eventsRoutes from './resources/events/routes.js';
import reviewsRoutes from './resources/reviews/routes.js';
import statsRoutes from './resources/stats/routes.js';
import bulkRoutes from './resources/bulk/routes.js';
import exportRoutes from './resources/export/routes.js';
import dashboardRoutes from './resources/dashboard/routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The secret of the admin key created at this start, if one was (print it once). */
    initialAdminKey: string | undefined;
    /** Compiles every route's validators and serializers not compiled yet (they are compiled on first use). */
    compileSchemas(): void;
  }
}

/** The Fastify options every claimledger server is built with (bench/api-core.ts reuses them). */
export const SERVER_OPTIONS = {
  schemaController,
  // 1 MiB of source text plus JSON escaping and the other fields.
  bodyLimit: 4 * 1024 * 1024,
  requestIdHeader: 'x-request-id',
  genReqId: () => crypto.randomUUID(),
  ajv: { customOptions: {} },
  routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  clientErrorHandler: answerClientError,
} satisfies FastifyServerOptions;

export interface BuildAppOptions {
  config: Config;
  /** An already open database (tests pass one); otherwise one is opened from config. */
  database?: Database;
  /** Skip migrations when the caller already ran them (tests clone a migrated database). */
  migrate?: boolean;
  logger?: FastifyServerOptions['logger'];
}

/**
 * Compiles pending schemas one at a time for a few milliseconds, then yields to the event loop,
 * until none are left: requests arriving meanwhile wait for one schema at most (a few tens of
 * milliseconds for the largest serializer), not for a batch.
 */
function compileSome(schemas: LazySchemas, log: FastifyBaseLogger) {
  const until = performance.now() + 5;
  try {
    do schemas.compileSome(1);
    while (schemas.pending > 0 && performance.now() < until);
  } catch (err) {
    log.error({ err }, 'a route schema does not compile');
  }
  if (schemas.pending > 0) setImmediate(() => compileSome(schemas, log));
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const schemas = lazySchemas();
  const app = Fastify({
    ...SERVER_OPTIONS,
    schemaController: schemas.controller,
    logger: options.logger ?? false,
    trustProxy: trustProxyOption(options.config.TRUST_PROXY),
    // While closing, requests still in flight finish; late ones get our own 503 problem+json.
    return503OnClosing: false,
    // Malformed URLs (bad percent-encoding) answer problem+json like everything else;
    // an over-long parameter matches no route and gets the 404 problem.
    frameworkErrors: (error, request, reply) => {
      secureDataReply(request, reply);
      return sendProblem(reply, request, toApiError(error));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('compileSchemas', () => schemas.compileSome());
  // A listening server compiles what is left a little at a time, between requests.
  app.addHook('onListen', function compileLater(done) {
    if (schemas.pending > 0) setImmediate(() => compileSome(schemas, app.log));
    done();
  });

  // Bodies are JSON (or, where a route says so, NDJSON): text/plain is 415, not parsed.
  app.removeContentTypeParser('text/plain');
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body !== undefined && request.body !== null && typeof request.body === 'object') {
      try {
        assertSaneJson(request.body);
      } catch (err) {
        return done(err as Error);
      }
    }
    done();
  });

  const ownsDatabase = !options.database;
  const database =
    options.database ??
    (await openDatabase(
      options.config,
      (err) => app.log.warn({ code: (err as { code?: string }).code, message: err.message }, 'database connection lost'),
      // Each process's share of the connections, so that all workers together stay within budget.
      workerPlan(options.config).poolSize,
    ));
  if (options.migrate !== false) await runMigrations(database);
  app.decorate('initialAdminKey', await bootstrapKeys(database.db, options.config.CLAIMLEDGER_ADMIN_KEY, (message) => app.log.warn(message)));
  if (ownsDatabase) app.addHook('onClose', async () => database.close());

  await app.register(errorsPlugin);
  // Only when the client asks (Accept-Encoding) and the answer is over 1 KiB: the OpenAPI
  // document and the docs bundle shrink tenfold. Brotli at quality 4, not its default 11,
  // which costs more CPU per answer than the rest of a request.
  // Request bodies are not decompressed here: POST /v1/bulk reads gzip itself, streaming.
  await app.register(compress, { globalDecompression: false, threshold: 1024, brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } } });
  await app.register(dbPlugin, { database });
  await app.register(openapiPlugin);
  await app.register(securityPlugin, { corsOrigins: options.config.CLAIMLEDGER_CORS_ORIGINS });
  await app.register(authPlugin, { failureLimit: options.config.CLAIMLEDGER_AUTH_FAILURE_LIMIT, redisUrl: options.config.REDIS_URL });
  await app.register(rateLimitPlugin, {
    limit: options.config.CLAIMLEDGER_RATE_LIMIT,
    redisUrl: options.config.REDIS_URL,
    redisTimeoutMs: options.config.CLAIMLEDGER_REDIS_TIMEOUT_MS,
  });
  await app.register(metricsPlugin);
  await app.register(bodyTimeoutsPlugin, {
    bodyMs: options.config.CLAIMLEDGER_BODY_TIMEOUT_MS,
    longBodyMs: options.config.CLAIMLEDGER_BULK_BODY_TIMEOUT_MS,
    idleMs: options.config.CLAIMLEDGER_BODY_IDLE_TIMEOUT_MS,
  });
  await app.register(conditionalPlugin);
  await app.register(idempotencyPlugin);

  const matchInBackground = options.config.CLAIMLEDGER_MATCH_BACKGROUND === 'on';
  await app.register(operationsRoutes, { waitForMatchingModel: matchInBackground });
  await app.register(sourcesRoutes, { prefix: '/v1' });
  await app.register(claimantsRoutes, { prefix: '/v1' });
  await app.register(claimsRoutes, { prefix: '/v1' });
  await app.register(matchRoutes, { prefix: '/v1', background: matchInBackground });
  await app.register(attributionsRoutes, { prefix: '/v1' });
  await app.register(reviewsRoutes, { prefix: '/v1' });
  await app.register(eventsRoutes, { prefix: '/v1' });
  await app.register(keysRoutes, { prefix: '/v1' });
  await app.register(statsRoutes, { prefix: '/v1' });
  await app.register(bulkRoutes, {
    prefix: '/v1',
    imports: { total: options.config.CLAIMLEDGER_BULK_IMPORTS, perKey: options.config.CLAIMLEDGER_BULK_IMPORTS_PER_KEY },
  });
  await app.register(exportRoutes, { prefix: '/v1' });
  await app.register(dashboardRoutes);
  await app.register(extractRoutes, { prefix: '/v1', config: options.config });

  return app;
}
