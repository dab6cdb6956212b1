import { defineConfig } from 'drizzle-kit';

// Only `generate` is used: migrations are applied by the service itself
// (src/db/migrate.ts), on both PostgreSQL and the embedded database.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
});
