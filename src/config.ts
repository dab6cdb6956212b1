import { Ajv } from 'ajv';
import { Type, type Static } from 'typebox';

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
  /** Failed authentications a minute per client address before it gets 429. */
  CLAIMLEDGER_AUTH_FAILURE_LIMIT: Type.Integer({ default: 60, minimum: 1 }),
  /** Proxies whose X-Forwarded-For is believed: `true`, a hop count, or comma-separated addresses/CIDRs. */
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1 })),
  /** How long a rate-limit count may wait for Redis before this process counts on its own. */
  CLAIMLEDGER_REDIS_TIMEOUT_MS: Type.Integer({ default: 50, minimum: 1 }),
  /** Comma-separated origins allowed by CORS; unset means CORS stays off. */
  CLAIMLEDGER_CORS_ORIGINS: Type.Optional(Type.String({ minLength: 1 })),
  /** Server-side limit for one SQL statement; the client gives up shortly after. */
  CLAIMLEDGER_STATEMENT_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 100 }),
  /** Longest time for a request body to arrive (bulk imports: CLAIMLEDGER_BULK_BODY_TIMEOUT_MS); slower is 408. */
  CLAIMLEDGER_BODY_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1 }),
  /** Longest pause between two pieces of a request body; longer is 408. */
  CLAIMLEDGER_BODY_IDLE_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 1 }),
  /** Longest time for a bulk import's body to arrive. */
  CLAIMLEDGER_BULK_BODY_TIMEOUT_MS: Type.Integer({ default: 600_000, minimum: 1 }),
  /** Bulk imports running at once in one process, all keys together. */
  CLAIMLEDGER_BULK_IMPORTS: Type.Integer({ default: 4, minimum: 1 }),
  /** Bulk imports one API key may run at once in one process. */
  CLAIMLEDGER_BULK_IMPORTS_PER_KEY: Type.Integer({ default: 2, minimum: 1 }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  /** Processes serving requests (src/cluster.ts); unset: one per core with DATABASE_URL, always 1 with the embedded database. */
  CLAIMLEDGER_WORKERS: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  /** Threads per process that run claim extraction; unset: the cores shared among the processes, at least 1. */
  CLAIMLEDGER_EXTRACT_THREADS: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  /** Extraction requests per process that may wait for a thread; beyond them, 503. */
  CLAIMLEDGER_EXTRACT_QUEUE: Type.Integer({ default: 8, minimum: 0, maximum: 1000 }),
  /** Longest one extraction may run (422 beyond), and longest a request waits for a thread (503 beyond). */
  CLAIMLEDGER_EXTRACT_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 100, maximum: 600_000 }),
  /**
   * Whether a listening server prepares for claim matching: loads the matching models as it
   * starts and encodes the claims' sentence vectors in the background as they are written.
   * `off` for an instance that serves no matches (an import or export worker): it starts
   * faster and leaner; another instance with `on` does the encoding, and a match that does
   * come loads the models then and encodes the candidates still queued (same answers, slower).
   */
  CLAIMLEDGER_MATCH_BACKGROUND: Type.Enum(['on', 'off'], { default: 'on' }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Which schemes each URL setting takes; the message never repeats the URL, which may hold a password. */
const URL_SCHEMES: Record<string, string[]> = { DATABASE_URL: ['postgres:', 'postgresql:'], REDIS_URL: ['redis:', 'rediss:'] };

function urlProblems(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, schemes] of Object.entries(URL_SCHEMES)) {
    if (raw[name] === undefined) continue;
    let url: URL;
    try {
      url = new URL(String(raw[name]));
    } catch {
      problems.push(`${name} is not a URL (expected ${schemes[0]}//user:password@host:port/…)`);
      continue;
    }
    if (!schemes.includes(url.protocol)) {
      problems.push(`${name} must start with ${schemes.map((s) => `${s}//`).join(' or ')}, not ${url.protocol}//`);
    }
  }
  return problems;
}

/**
 * Ajv, which Fastify already loads, turns the environment's strings into numbers and fills in
 * defaults. (TypeBox's own value module would do the same but loads some nine hundred modules,
 * most of a second at every start of the service, its CLI tools and every test process.)
 */
let compiledConfig: ReturnType<Ajv['compile']> | undefined;
function configValidator(): ReturnType<Ajv['compile']> {
  compiledConfig ??= new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strictSchema: false, strictNumbers: true }).compile(ConfigSchema);
  return compiledConfig;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(ConfigSchema.properties);
  // Empty variables count as unset, so `DATABASE_URL= npm start` means "embedded".
  const raw: Record<string, unknown> = {};
  for (const name of known) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  // Digits only: "3.5", "1e3" or "0x50" is a mistake to name, not a number to convert.
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
    if ((schema as { type?: string }).type !== 'integer' || raw[name] === undefined) continue;
    const text = String(raw[name]);
    // Ajv would convert a few hundred digits to Infinity and let it through as "no limit".
    const problem = !/^\d+$/.test(text) ? `must be a whole number, not "${text}"` : !Number.isSafeInteger(Number(text)) ? `is too large (${text.length} digits)` : undefined;
    if (problem) {
      problems.push(`${name} ${problem}`);
      delete raw[name];
    }
  }
  const config = { ...raw }; // Ajv converts and fills in place
  const validate = configValidator();
  if (!validate(config)) {
    for (const e of validate.errors ?? []) {
      const allowed = e.keyword === 'enum' ? ` (${(e.params as { allowedValues: string[] }).allowedValues.join(', ')})` : '';
      problems.push(`${e.instancePath.slice(1) || '(config)'} ${e.message}${allowed}`);
    }
  }
  problems.push(...urlProblems(raw));
  if (problems.length) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return config as Config;
}

/**
 * TRUST_PROXY as Fastify's `trustProxy` takes it: unset or `false` believes no
 * forwarding header (the client address is the socket's), `true` believes every
 * hop, a whole number that many hops, anything else a comma-separated list of
 * proxy addresses or CIDR ranges (`127.0.0.1,10.0.0.0/8`).
 */
export function trustProxyOption(value: string | undefined): boolean | string | ((address: string, hop: number) => boolean) {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value;
}
