/**
 * A private, throw-away PostgreSQL cluster for fault tests: initdb + pg_ctl in a
 * temporary folder on a free port, so a test may stop, crash and restart "the
 * database" without touching the server other tests use.
 *
 * Run as root, the server binaries refuse to start, so every command runs as the
 * `postgres` OS user (runuser) and the folder is handed to that user.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PgToolchain {
  bindir: string;
  /** Prefix that runs a command as the cluster's OS user ([] when we are not root). */
  asUser: string[];
  uid?: number;
  gid?: number;
}

const REQUIRED = ['initdb', 'pg_ctl', 'postgres'];

function hasBinaries(dir: string): boolean {
  return REQUIRED.every((b) => existsSync(path.join(dir, b)));
}

/**
 * Where initdb/pg_ctl/postgres live, or why they cannot be used: $PG_BINDIR when set
 * (and only there), else /usr/lib/postgresql/<newest>/bin or `pg_config --bindir`.
 */
export function findPgToolchain(): PgToolchain | { missing: string } {
  const candidates: string[] = process.env.PG_BINDIR ? [process.env.PG_BINDIR] : usualBindirs();
  const bindir = candidates.find(hasBinaries);
  if (!bindir) return { missing: `no PostgreSQL server toolchain (${REQUIRED.join(', ')}) in ${candidates.join(', ') || 'the usual places'}; set PG_BINDIR` };
  if (process.getuid?.() !== 0) return { bindir, asUser: [] };
  const user = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find(existsSync);
  if (user.status !== 0 || group.status !== 0 || !runuser) {
    return { missing: 'running as root, but there is no `postgres` OS user (or no runuser) to run the server as' };
  }
  return { bindir, asUser: [runuser, '-u', 'postgres', '--'], uid: Number(user.stdout.trim()), gid: Number(group.stdout.trim()) };
}

/** A TCP port nobody listens on right now, from a random start in [from, from + span). */
export async function freePort(from = 54329, span = 2000): Promise<number> {
  const start = from + Math.floor(Math.random() * span);
  for (let i = 0; i < 200; i++) {
    const port = from + ((start - from + i) % span);
    const ok = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error(`no free port in ${from}..${from + span}`);
}

function usualBindirs(): string[] {
  const dirs: string[] = [];
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // no Debian layout
  }
  try {
    dirs.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config on PATH
  }
  return dirs;
}

export type StopMode = 'smart' | 'fast' | 'immediate';

export class PgCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly logFile: string;
  private running = false;
  private destroyed = false;

  private constructor(
    readonly tools: PgToolchain,
    readonly port: number,
  ) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'claimledger-pg-'));
    this.dataDir = path.join(this.dir, 'data');
    this.logFile = path.join(this.dir, 'postgres.log');
    if (tools.uid !== undefined) chownSync(this.dir, tools.uid, tools.gid ?? tools.uid);
  }

  /** initdb (trust auth, superuser `postgres`) on a free port; call start() next. */
  static async create(tools: PgToolchain, port?: number): Promise<PgCluster> {
    const cluster = new PgCluster(tools, port ?? (await freePort()));
    try {
      cluster.runSync('initdb', ['-D', cluster.dataDir, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    } catch (err) {
      cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const [cmd, ...prefix] = [...this.tools.asUser, path.join(this.tools.bindir, tool)];
    return [cmd, [...prefix, ...args]];
  }

  /** Synchronous, for setup and for exit handlers; blocks the event loop. */
  private runSync(tool: string, args: string[], timeoutMs = 60_000): string {
    const [cmd, argv] = this.command(tool, args);
    const res = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutMs, cwd: this.dir });
    if (res.status !== 0) {
      throw new Error(`${tool} ${args.join(' ')} failed (${res.status ?? res.signal}): ${res.stderr || res.stdout}\n${this.logTail()}`);
    }
    return res.stdout;
  }

  /** Asynchronous, so a test's requests keep flowing (and are timed truly) while the server stops or starts. */
  private run(tool: string, args: string[], timeoutMs = 60_000): Promise<string> {
    const [cmd, argv] = this.command(tool, args);
    return new Promise((resolve, reject) => {
      execFile(cmd, argv, { encoding: 'utf8', timeout: timeoutMs, cwd: this.dir }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${tool} ${args.join(' ')} failed: ${stderr || stdout || err.message}\n${this.logTail()}`));
        else resolve(stdout);
      });
    });
  }

  /** The end of the server log, for failure messages. */
  logTail(chars = 2000): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }

  async start(): Promise<void> {
    await this.run('pg_ctl', [
      '-D', this.dataDir,
      '-l', this.logFile,
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=60`,
      '-w', '-t', '60',
      'start',
    ]);
    this.running = true;
  }

  /** `fast` ends sessions cleanly; `immediate` is a crash (recovery runs at the next start). */
  async stop(mode: StopMode = 'fast'): Promise<void> {
    await this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  /** Runs one statement as the superuser on a short-lived connection. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], database = 'postgres'): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url(database), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Stops the server (if running) and removes the folder; safe to call twice, and synchronous so it also works in process.on('exit'). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.running || existsSync(path.join(this.dataDir, 'postmaster.pid'))) {
      try {
        this.runSync('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'], 40_000);
      } catch {
        // already down
      }
      this.running = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
