import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import cluster from 'node:cluster';
import { runPrimary, workerPlan } from './cluster.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DataDirLockedError } from './db/client.js';
import { initialKeyNotice } from './lib/keys.js';
import { describeStartupError } from './lib/startup-errors.js';

/** The process: configuration, logging, listening, and a graceful exit. */
async function main(config: Config) {
  // Several workers (src/cluster.ts): this is the primary, which prepares the database and forks them.
  const plan = workerPlan(config);
  if (cluster.isPrimary && plan.count > 1) return runPrimary({ workers: plan.count, note: plan.note, prepare: () => prepareDatabase(config) });
  const app = await buildApp({ config, logger: { level: config.LOG_LEVEL, redact: ['req.headers.authorization'] }, migrate: !cluster.isWorker });
  if (plan.note && !cluster.isWorker) app.log.warn(plan.note); // the primary already said it
  if (app.initialAdminKey) {
    // Printed once, on the terminal rather than in the logs: there is no other copy.
    process.stdout.write(initialKeyNotice(app.initialAdminKey));
  }

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });

  await app.listen({ host: config.HOST, port: config.PORT });
  app.log.info(`docs at http://${config.HOST}:${config.PORT}/docs (${config.DATABASE_URL ? 'PostgreSQL' : `embedded database in ${config.CLAIMLEDGER_DATA_DIR}`})`);
}

/** Migrations and the first admin key, once, before the workers start. */
async function prepareDatabase(config: Config) {
  const app = await buildApp({ config, logger: { level: config.LOG_LEVEL } });
  if (app.initialAdminKey) process.stdout.write(initialKeyNotice(app.initialAdminKey));
  await app.close();
}

/** Known causes are one line; anything else keeps its stack, since nobody has seen it yet. */
function failedToStart(err: unknown, config?: Config): never {
  const known = err instanceof ConfigError || err instanceof DataDirLockedError ? err.message : config && describeStartupError(err, config);
  if (known) console.error(`claimledger: ${known}`);
  else console.error('claimledger failed to start:', err);
  process.exit(1);
}

let config: Config | undefined;
try {
  config = loadConfig();
} catch (err) {
  failedToStart(err);
}
main(config).catch((err) => failedToStart(err, config));
