import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrationsFolder } from '../../db/migrate.js';
import { rowsOf } from '../../db/client.js';
import { Type } from 'typebox';
import { ApiError } from '../../lib/errors.js';
import { NoQuery, problemResponses, ref } from '../../lib/schemas.js';

const Health = Type.Object({ status: Type.Literal('ok') }, { $id: 'Health' });

/** How many migrations this build ships; /readyz wants them all applied. */
const shippedMigrations = (
  JSON.parse(readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
).entries.length;

const operationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
        summary: 'Can the service reach its database, with every migration applied?',
        security: [],
        querystring: NoQuery,
        response: { 200: ref(Health), ...problemResponses(400) },
      },
    },
    async () => {
      let applied: number;
      try {
        const result = await app.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
        applied = rowsOf<{ n: number }>(result)[0].n;
      } catch {
        throw new ApiError('unavailable', 'The database cannot be reached.');
      }
      if (applied < shippedMigrations) {
        throw new ApiError('unavailable', `${shippedMigrations - applied} database migration(s) are not applied yet.`);
      }
      return { status: 'ok' as const };
    },
  );
};

export default operationsRoutes;
