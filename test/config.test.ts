import t from 'tap';
import { workerPlan } from '../src/cluster.js';
import { ConfigError, loadConfig } from '../src/config.js';

/*
 * loadConfig is a pure function of the environment it is given, so these tests
 * need no database and build no app: each one passes its own `env` object and
 * never reads or changes process.env.
 */

t.test('an empty environment gives the documented defaults', async (t) => {
  const config = loadConfig({});
  t.equal(config.HOST, '127.0.0.1');
  t.equal(config.PORT, 3000);
  t.equal(config.CLAIMLEDGER_DATA_DIR, './data');
  t.equal(config.LOG_LEVEL, 'info');
  t.equal(config.DATABASE_URL, undefined, 'no DATABASE_URL means the embedded database');
  t.equal(config.CLAIMLEDGER_ADMIN_KEY, undefined);
});

t.test('set variables override the defaults and PORT becomes a number', async (t) => {
  const config = loadConfig({
    HOST: '0.0.0.0',
    PORT: '8080',
    CLAIMLEDGER_DATA_DIR: '/var/lib/claimledger',
    LOG_LEVEL: 'debug',
    DATABASE_URL: 'postgres://u@db:5432/claims',
    CLAIMLEDGER_ADMIN_KEY: 'a-long-enough-admin-secret',
  });
  t.equal(config.HOST, '0.0.0.0');
  t.equal(config.PORT, 8080);
  t.equal(typeof config.PORT, 'number');
  t.equal(config.CLAIMLEDGER_DATA_DIR, '/var/lib/claimledger');
  t.equal(config.LOG_LEVEL, 'debug');
  t.equal(config.DATABASE_URL, 'postgres://u@db:5432/claims');
  t.equal(config.CLAIMLEDGER_ADMIN_KEY, 'a-long-enough-admin-secret');
});

t.test('PORT=0 (pick a free port) is accepted', async (t) => {
  t.equal(loadConfig({ PORT: '0' }).PORT, 0);
});

t.test('a PORT that is not a number is a ConfigError naming PORT', async (t) => {
  try {
    loadConfig({ PORT: 'abc' });
    t.fail('PORT=abc was accepted');
  } catch (err) {
    t.type(err, ConfigError);
    t.match((err as Error).message, /PORT/);
  }
});

t.test('a PORT outside 0–65535 is a ConfigError naming PORT', async (t) => {
  for (const port of ['65536', '70000', '-1']) {
    t.throws(() => loadConfig({ PORT: port }), { constructor: ConfigError, message: /PORT/ }, `PORT=${port}`);
  }
});

t.test('a fractional PORT is refused rather than truncated to another port', async (t) => {
  // PORT=3.5 must not silently listen on port 3.
  t.throws(() => loadConfig({ PORT: '3.5' }), { constructor: ConfigError, message: /PORT/ });
});

t.test('a whole number too large to be one (Infinity once converted) is refused, not taken as no limit', async (t) => {
  t.throws(() => loadConfig({ CLAIMLEDGER_RATE_LIMIT: '9'.repeat(400) }), { constructor: ConfigError, message: /CLAIMLEDGER_RATE_LIMIT/ });
});

t.test('an empty DATABASE_URL counts as unset (embedded database)', async (t) => {
  const config = loadConfig({ DATABASE_URL: '' });
  t.equal(config.DATABASE_URL, undefined);
  t.notOk('DATABASE_URL' in config && config.DATABASE_URL !== undefined);
});

t.test('empty variables fall back to their defaults', async (t) => {
  const config = loadConfig({ PORT: '', HOST: '', LOG_LEVEL: '', CLAIMLEDGER_DATA_DIR: '' });
  t.equal(config.PORT, 3000);
  t.equal(config.HOST, '127.0.0.1');
  t.equal(config.LOG_LEVEL, 'info');
  t.equal(config.CLAIMLEDGER_DATA_DIR, './data');
});

t.test('an unknown LOG_LEVEL is a ConfigError naming LOG_LEVEL', async (t) => {
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), { constructor: ConfigError, message: /LOG_LEVEL/ });
});

t.test('a short CLAIMLEDGER_ADMIN_KEY is a ConfigError naming it', async (t) => {
  t.throws(() => loadConfig({ CLAIMLEDGER_ADMIN_KEY: 'short' }), { constructor: ConfigError, message: /CLAIMLEDGER_ADMIN_KEY/ });
});

t.test('every problem is reported at once', async (t) => {
  try {
    loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' });
    t.fail('an invalid configuration was accepted');
  } catch (err) {
    t.type(err, ConfigError);
    t.match((err as Error).message, /PORT/);
    t.match((err as Error).message, /LOG_LEVEL/);
  }
});

t.test('variables the service does not know are ignored', async (t) => {
  const config = loadConfig({ PATH: '/usr/bin', SOMETHING_ELSE: 'x' });
  t.notOk('PATH' in config);
  t.notOk('SOMETHING_ELSE' in config);
});

t.test('the worker plan keeps all processes within one database connection budget and says when the rate limit is not shared', async (t) => {
  const pg = 'postgres://db.example/claims';
  const one = workerPlan(loadConfig({ DATABASE_URL: pg, CLAIMLEDGER_WORKERS: '1' }), 2);
  t.same(one, { count: 1, poolSize: 10, note: undefined });
  t.equal(workerPlan(loadConfig({ DATABASE_URL: pg }), 2).count, 2, 'one worker per core by default');
  t.equal(workerPlan(loadConfig({ DATABASE_URL: pg }), 4).poolSize, 10);
  const many = workerPlan(loadConfig({ DATABASE_URL: pg }), 16);
  t.equal(many.count, 16);
  t.equal(many.poolSize, 2);
  t.ok(many.count * many.poolSize <= 40, '16 workers open at most 40 connections, not 160');
  t.match(many.note, /without REDIS_URL each of the 16 workers counts the rate limit on its own/);
  t.equal(workerPlan(loadConfig({ DATABASE_URL: pg, REDIS_URL: 'redis://127.0.0.1:6379' }), 16).note, undefined, 'Redis shares one budget');
  const embedded = workerPlan(loadConfig({ CLAIMLEDGER_WORKERS: '4' }), 16);
  t.equal(embedded.count, 1);
  t.match(embedded.note, /ignored with the embedded database/);
});
