import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';

/** `npm run migrate`: applies pending migrations to the configured database and exits. */
const config = loadConfig();
const database = await openDatabase(config);
try {
  await runMigrations(database);
  console.log(`migrations applied to ${config.DATABASE_URL ? 'PostgreSQL' : `the embedded database in ${config.CLAIMLEDGER_DATA_DIR}`}`);
} finally {
  await database.close();
}
