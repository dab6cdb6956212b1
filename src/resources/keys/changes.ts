import { EventEmitter, once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { rowsOf, type Database, type DbOrTx } from '../../db/client.js';

/**
 * Key changes carried to every API process on the database: the workers of one
 * instance and every other instance. Each process caches keys, so a revocation
 * is in force only once every process has dropped the key.
 *
 * They travel as PostgreSQL notifications, which are transactional: a process
 * hears of a revocation exactly when it commits, never of one rolled back. Each
 * listening process answers a revocation on a second channel once it has dropped
 * the key; the revoker waits for the answer of every listener that existed when
 * it committed (`confirmRevocation`), so when `DELETE /v1/keys/{id}` answers, no
 * process admits the key any more. Listeners are recognised by their
 * application_name in pg_stat_activity.
 *
 * A process whose listening connection is down may miss a change, so it must not
 * trust its cache until the connection is back (`live`), and must empty the
 * cache then. The embedded database (PGlite) runs in one process and delivers
 * notifications to every listener of that process while the commit returns, so
 * it needs no confirmation.
 */

const CHANGES = 'claimledger_key_changes';
const CONFIRMATIONS = 'claimledger_key_confirmations';
const LISTENER_NAME = 'claimledger key listener';

/** How long a revoker waits for every process to confirm. */
export const CONFIRM_TIMEOUT_MS = 2_000;
const HEARTBEAT_MS = 10_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
const CONFIRMATIONS_KEPT_MS = 30_000;

export type KeyChange = { op: 'revoked'; key_id: string; token: string } | { op: 'created' };

/** A committed revocation and the listeners that must confirm it. */
export interface Revocation {
  keyId: string;
  token: string;
  /** Backend pids of the listening connections that existed at commit. */
  listeners: number[];
}

async function announce(tx: DbOrTx, change: KeyChange) {
  await tx.execute(sql`select pg_notify(${CHANGES}, ${JSON.stringify(change)})`);
}

/** In the transaction that revokes the key: the notification goes out when it commits. */
export async function announceRevocation(tx: DbOrTx, keyId: string): Promise<Revocation> {
  const token = randomUUID();
  await announce(tx, { op: 'revoked', key_id: keyId, token });
  const rows = await tx.execute(sql`select pid from pg_stat_activity where application_name = ${LISTENER_NAME} and datname = current_database()`);
  return { keyId, token, listeners: rowsOf<{ pid: number }>(rows).map((r) => Number(r.pid)) };
}

/** In the transaction that creates a key: processes forget the keys they found unknown (a new key may be one of them). */
export const announceCreation = (tx: DbOrTx) => announce(tx, { op: 'created' });

export interface KeyChangeHandlers {
  /** A key changed; called before the change is confirmed to its revoker. */
  changed(change: KeyChange): void;
  /** The connection is (back) up: changes made meanwhile were missed. */
  resumed(): void;
  /** The connection is down: changes may be missed until `resumed`. */
  lost(err?: Error): void;
}

export interface KeyChangeListener {
  /** True while every change reaches this process; otherwise its cache must not be trusted. */
  readonly live: boolean;
  /** Waits until every process listening at commit has dropped the key (or CONFIRM_TIMEOUT_MS); returns how many did not confirm. */
  confirmRevocation(revocation: Revocation, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

const parse = (payload: string | undefined): KeyChange | undefined => {
  try {
    const change = JSON.parse(payload ?? '') as KeyChange;
    return change.op === 'revoked' || change.op === 'created' ? change : undefined;
  } catch {
    return undefined;
  }
};

/** Starts listening; resolves once listening (or once the first attempt failed: it keeps retrying). */
export async function listenForKeyChanges(database: Database, handlers: KeyChangeHandlers): Promise<KeyChangeListener> {
  if (database.pglite) {
    const unlisten = await database.pglite.listen(CHANGES, (payload) => {
      const change = parse(payload);
      if (change) handlers.changed(change);
    });
    return { live: true, confirmRevocation: async () => 0, close: () => unlisten().catch(() => undefined) };
  }
  const listener = new PostgresKeyListener(database, handlers);
  await listener.connect();
  return listener;
}

class PostgresKeyListener implements KeyChangeListener {
  live = false;
  private client: pg.Client | undefined;
  private closed = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  /** Confirmations received, by revocation token: the backend pids that sent them. */
  private readonly confirmations = new Map<string, { pids: Set<number>; at: number }>();
  private readonly confirmed = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly database: Database,
    private readonly handlers: KeyChangeHandlers,
  ) {
    // A silently dead connection (a black-holed network) otherwise looks live.
    this.heartbeat = setInterval(() => {
      const client = this.client;
      if (client && this.live) client.query('select 1').catch((err: Error) => this.drop(client, err));
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.database.pool!.options.connectionString,
      application_name: `${LISTENER_NAME} (connecting)`,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      query_timeout: 5_000,
    });
    client.on('error', (err) => this.drop(client, err));
    client.on('end', () => this.drop(client));
    client.on('notification', (message) => this.receive(client, message));
    this.client = client;
    try {
      await client.connect();
      // Named only once it listens: a revoker waits for the listeners it sees.
      await client.query(`LISTEN ${CHANGES}; LISTEN ${CONFIRMATIONS}; SET application_name = '${LISTENER_NAME}'`);
    } catch (err) {
      this.drop(client, err as Error);
      return;
    }
    if (this.client !== client || this.closed) return;
    this.retryMs = RECONNECT_MIN_MS;
    this.handlers.resumed();
    this.live = true;
  }

  private drop(client: pg.Client, err?: Error) {
    if (this.client !== client) return;
    this.client = undefined;
    const wasLive = this.live;
    this.live = false;
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (this.closed) return;
    if (wasLive) this.handlers.lost(err);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  private receive(client: pg.Client, message: pg.Notification) {
    if (message.channel === CONFIRMATIONS) {
      if (!message.payload) return;
      const now = Date.now();
      for (const [token, c] of this.confirmations) if (now - c.at > CONFIRMATIONS_KEPT_MS) this.confirmations.delete(token);
      const entry = this.confirmations.get(message.payload) ?? { pids: new Set<number>(), at: now };
      entry.pids.add(message.processId);
      this.confirmations.set(message.payload, entry);
      this.confirmed.emit('confirmation');
      return;
    }
    const change = parse(message.payload);
    if (!change) return;
    this.handlers.changed(change);
    if (change.op === 'revoked') {
      client.query('select pg_notify($1, $2)', [CONFIRMATIONS, change.token]).catch((err: Error) => this.drop(client, err));
    }
  }

  async confirmRevocation(revocation: Revocation, timeoutMs = CONFIRM_TIMEOUT_MS): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const waiting = new Set(revocation.listeners);
    let nextLivenessCheck = Date.now() + 200;
    for (;;) {
      for (const pid of this.confirmations.get(revocation.token)?.pids ?? []) waiting.delete(pid);
      if (waiting.size === 0) return 0;
      const now = Date.now();
      if (now >= deadline) return waiting.size;
      if (now >= nextLivenessCheck) {
        // A listener that went away (its process died or reconnected) will never confirm;
        // its process empties its cache before it listens again.
        nextLivenessCheck = now + 200;
        const pids = [...waiting];
        const rows = await this.database.db
          .execute(sql`select pid from pg_stat_activity where pid in (${sql.join(pids.map((p) => sql`${p}`), sql`, `)})`)
          .catch(() => undefined);
        if (rows) {
          const present = new Set(rowsOf<{ pid: number }>(rows).map((r) => Number(r.pid)));
          for (const pid of pids) if (!present.has(pid)) waiting.delete(pid);
        }
        continue;
      }
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), Math.min(deadline, nextLivenessCheck) - now);
      await once(this.confirmed, 'confirmation', { signal: ac.signal }).catch(() => undefined);
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.live = false;
    await client?.end().catch(() => undefined);
  }
}
