import { Type, type Static } from 'typebox';
import Value from 'typebox/value';

/**
 * Every setting the service reads, in one schema. Values come from the
 * environment once, at start; the rest of the code receives a typed object.
 */
export const ConfigSchema = Type.Object({
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  CLAIMLEDGER_DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  CLAIMLEDGER_ADMIN_KEY: Type.Optional(Type.String({ minLength: 16 })),
  REDIS_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** Requests per minute per API key (per client address without a key). */
  CLAIMLEDGER_RATE_LIMIT: Type.Integer({ default: 1200, minimum: 1 }),
  /** Comma-separated origins allowed by CORS; unset means CORS stays off. */
  CLAIMLEDGER_CORS_ORIGINS: Type.Optional(Type.String({ minLength: 1 })),
  /** Server-side limit for one SQL statement; the client gives up shortly after. */
  CLAIMLEDGER_STATEMENT_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 100 }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  /** Processes serving requests (src/cluster.ts); unset: one per core with DATABASE_URL, always 1 with the embedded database. */
  CLAIMLEDGER_WORKERS: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  /** Threads per process that run claim extraction; unset: the cores shared among the processes, at least 1. */
  CLAIMLEDGER_EXTRACT_THREADS: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  /** Extraction requests per process that may wait for a thread; beyond them, 503. */
  CLAIMLEDGER_EXTRACT_QUEUE: Type.Integer({ default: 8, minimum: 0, maximum: 1000 }),
  /** Longest one extraction may run (422 beyond), and longest a request waits for a thread (503 beyond). */
  CLAIMLEDGER_EXTRACT_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 100, maximum: 600_000 }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(ConfigSchema.properties);
  // Empty variables count as unset, so `DATABASE_URL= npm start` means "embedded".
  const raw: Record<string, unknown> = {};
  for (const name of known) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  // Value.Convert would truncate "3.5" to 3: integer settings must be written as integers.
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
    if ((schema as { type?: string }).type === 'integer' && raw[name] !== undefined && !/^\d+$/.test(String(raw[name]))) {
      problems.push(`${name} must be a whole number, not "${String(raw[name])}"`);
      delete raw[name];
    }
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw));
  if (!Value.Check(ConfigSchema, withDefaults)) {
    for (const e of Value.Errors(ConfigSchema, withDefaults)) problems.push(`${e.instancePath.slice(1) || '(config)'} ${e.message}`);
  }
  if (problems.length) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return withDefaults as Config;
}
