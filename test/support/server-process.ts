import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { openPglite, pgliteExtensions } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { PGLITE_TEMPLATE, PREPARED_DATA_DIR, pgliteTemplate } from '../targets.js';

/**
 * The real server as a child process, for tests that need what only a process
 * has: listening, its own embedded database folder, the built code. It runs
 * on the embedded database in `dataDir`, with `adminKey`, on a free port.
 */

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `args` run by node: the sources by default (`--import tsx src/server.ts`), or `['dist/server.js']`. */
export function startServer(options: { dataDir: string; adminKey: string; args?: string[]; env?: NodeJS.ProcessEnv }): ServerProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLAIMLEDGER_DATA_DIR: options.dataDir,
    CLAIMLEDGER_ADMIN_KEY: options.adminKey,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // What these servers are started for (the data-folder lock, extraction's threads) is not
    // matching: they neither load its models nor encode claims in the background.
    CLAIMLEDGER_MATCH_BACKGROUND: 'off',
    ...options.env,
  };
  delete env.DATABASE_URL;
  delete env.CLAIMLEDGER_TEST_DATABASE_URL;
  // node directly (not npx), in its own process group, so killing the group stops everything it started.
  const args = options.args ?? ['--import', 'tsx', 'src/server.ts'];
  const child = spawn(process.execPath, args, { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export function killGroup(server: ServerProcess, signal: NodeJS.Signals = 'SIGKILL') {
  try {
    if (server.child.pid && server.child.exitCode === null && server.child.signalCode === null) process.kill(-server.child.pid, signal);
  } catch {
    // already gone
  }
}

/** Waits for pino's "Server listening at http://…" line and returns that address. */
export async function listeningAddress(server: ServerProcess, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output());
    if (m) return m[1] as string;
    if (server.child.exitCode !== null) throw new Error(`the server exited with ${server.child.exitCode}:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not start within ${timeoutMs} ms:\n${server.output()}`);
}

/**
 * Fills `dataDir` with an embedded database that has been created and migrated before, so a
 * server started on it skips PostgreSQL's initdb (five seconds and eight of CPU in WebAssembly)
 * for tests about something else. A first start on an empty folder stays covered where it is
 * the point (test/embedded-lock.test.ts). The prepared folder is made once per suite run (the
 * suite's setup removes the last run's; on PGlite it unpacks the suite's migrated template), by
 * whichever test file needs it first, and renamed into place whole.
 */
export async function preparedDataDir(dataDir: string): Promise<string> {
  const prepared = path.join(projectRoot, PREPARED_DATA_DIR);
  if (!existsSync(prepared)) {
    const building = `${prepared}.${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    if (existsSync(PGLITE_TEMPLATE)) {
      const client = await PGlite.create(building, { loadDataDir: pgliteTemplate(), extensions: pgliteExtensions });
      await client.close();
    } else {
      const database = await openPglite(building);
      await runMigrations(database);
      await database.close();
    }
    try {
      renameSync(building, prepared);
    } catch (err) {
      rmSync(building, { recursive: true, force: true });
      if (!existsSync(prepared)) throw err; // else another test file made it first
    }
  }
  cpSync(prepared, dataDir, { recursive: true });
  return dataDir;
}
