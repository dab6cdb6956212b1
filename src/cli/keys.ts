import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import type { Actor } from '../lib/actor.js';
import { withWrite } from '../db/write.js';
import { listenForKeyChanges } from '../resources/keys/changes.js';
import { createKey, listKeys, revokeKey } from '../resources/keys/queries.js';

/**
 * `claimledger keys` for operators, straight on the configured database:
 *   npm run keys -- create --name desk --scopes read,write [--expires 2027-01-01T00:00:00Z]
 *   npm run keys -- list [--all]
 *   npm run keys -- revoke <id>
 * With the embedded database, stop the server first (one process per data folder).
 */
const USAGE = 'usage: keys create --name NAME --scopes read,write,admin [--expires ISO-8601] | keys list [--all] | keys revoke ID';

export async function runKeysCommand(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, expires: { type: 'string' }, all: { type: 'boolean' } },
  });
  const [command, ...rest] = positionals;
  const actor: Actor = { keyId: null, requestId: `cli:keys ${command ?? ''}`.trim() };
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    await runMigrations(database);
    if (command === 'create') {
      const scopes = (values.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (!values.name || scopes.length === 0 || scopes.some((s) => !['read', 'write', 'admin'].includes(s))) {
        out(USAGE);
        return 2;
      }
      if (values.expires && Number.isNaN(Date.parse(values.expires))) {
        out(`--expires must be an ISO-8601 date-time, not ${values.expires}`);
        return 2;
      }
      const key = await withWrite(database.db, actor, (w) =>
        createKey(w, { name: values.name!, scopes: scopes as ('read' | 'write' | 'admin')[], expires_at: values.expires ?? null }),
      );
      out(`created key ${key.id} (${key.scopes.join(', ')}). The secret is shown only now:\n\n  ${key.secret}\n`);
      return 0;
    }
    if (command === 'list') {
      const page = await listKeys(database.db, { include_revoked: values.all ?? false, limit: 200 });
      for (const k of page.data) {
        const state = k.revoked_at ? 'revoked' : k.expires_at && k.expires_at < new Date() ? 'expired' : 'active';
        out(`${k.id}  ${k.prefix}…${k.last4}  ${k.scopes.join(',').padEnd(16)} ${state.padEnd(8)} ${k.name}`);
      }
      return 0;
    }
    if (command === 'revoke' && rest.length === 1) {
      // Listening before the revocation commits, so that every API process's confirmation reaches us.
      const listener = await listenForKeyChanges(database, { changed() {}, resumed() {}, lost() {} });
      try {
        const revocation = await withWrite(database.db, actor, (w) => revokeKey(w, rest[0]));
        const unconfirmed = revocation ? await listener.confirmRevocation(revocation) : 0;
        out(
          unconfirmed
            ? `revoked ${rest[0]}; ${unconfirmed} API process(es) did not confirm in time and refuse the key within 5 s`
            : `revoked ${rest[0]}: every running API process refuses it now`,
        );
      } finally {
        await listener.close();
      }
      return 0;
    }
    out(USAGE);
    return 2;
  } finally {
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runKeysCommand(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      console.error(`claimledger keys: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
