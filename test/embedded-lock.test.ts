import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { DataDirLockedError, lockDataDir } from '../src/db/client.js';
import { killGroup, listeningAddress, startServer, type ServerProcess } from './support/server-process.js';

/*
 * The PGlite data-folder lock. PGlite itself takes no lock, and two processes
 * writing one folder corrupt it, so the service keeps `<dir>.lock` with its pid.
 * These tests need no shared test database: they work on their own temp folders
 * (and, end to end, start the real server on one), so they build no app.
 */

const scratch = mkdtempSync(path.join(tmpdir(), 'claimledger-lock-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

let folders = 0;
const freshDir = () => path.join(scratch, `data-${++folders}`);
const lockFileOf = (dir: string) => `${path.resolve(dir)}.lock`;

/** A pid that certainly belongs to no running process: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(child.stdout);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`could not learn a dead pid: ${child.stdout} ${child.stderr}`);
  return pid;
}

t.test('locking a folder writes <dir>.lock holding our pid, and release removes it', async (t) => {
  const dir = freshDir();
  const release = lockDataDir(dir);
  t.ok(existsSync(lockFileOf(dir)), 'the lock file exists while held');
  t.equal(readFileSync(lockFileOf(dir), 'utf8').trim(), String(process.pid));
  release();
  t.notOk(existsSync(lockFileOf(dir)), 'release removed the lock file');
  t.doesNotThrow(() => release(), 'releasing twice is harmless');
});

t.test('a second lock on a held folder throws DataDirLockedError naming the holder pid and the folder', async (t) => {
  const dir = freshDir();
  const release = lockDataDir(dir);
  t.teardown(release);
  try {
    lockDataDir(dir);
    t.fail('a second lock on the same folder was granted');
  } catch (err) {
    t.type(err, DataDirLockedError);
    const message = (err as Error).message;
    t.match(message, new RegExp(`\\b${process.pid}\\b`), 'names the pid holding the lock');
    t.match(message, path.resolve(dir), 'names the folder');
    t.match(message, /in use/);
  }
  t.equal(readFileSync(lockFileOf(dir), 'utf8').trim(), String(process.pid), 'the failed attempt left the lock as it was');
});

t.test('after release the folder can be locked again', async (t) => {
  const dir = freshDir();
  lockDataDir(dir)();
  const again = lockDataDir(dir);
  t.ok(existsSync(lockFileOf(dir)));
  again();
  t.notOk(existsSync(lockFileOf(dir)));
});

t.test('a lock held by a live process that is not us is refused', async (t) => {
  const dir = freshDir();
  // Our parent (the tap runner) is alive for the whole test.
  writeFileSync(lockFileOf(dir), String(process.ppid));
  t.throws(() => lockDataDir(dir), { constructor: DataDirLockedError, message: new RegExp(`\\b${process.ppid}\\b`) });
  t.equal(readFileSync(lockFileOf(dir), 'utf8').trim(), String(process.ppid), 'the live holder keeps its lock');
  rmSync(lockFileOf(dir));
});

t.test('a stale lock left by a process that has exited is taken over', async (t) => {
  const dir = freshDir();
  const dead = deadPid();
  writeFileSync(lockFileOf(dir), String(dead));
  const release = lockDataDir(dir);
  t.equal(readFileSync(lockFileOf(dir), 'utf8').trim(), String(process.pid), 'the lock now holds our pid');
  release();
  t.notOk(existsSync(lockFileOf(dir)));
});

t.test('a stale lock naming a pid that cannot exist (999999) is taken over', async (t) => {
  const dir = freshDir();
  writeFileSync(lockFileOf(dir), '999999\n');
  const release = lockDataDir(dir);
  t.equal(readFileSync(lockFileOf(dir), 'utf8').trim(), String(process.pid));
  release();
});

t.test('an empty or garbled lock file (a crash while writing it) counts as stale', async (t) => {
  for (const content of ['', 'not a pid', '-5', '0']) {
    const dir = freshDir();
    writeFileSync(lockFileOf(dir), content);
    const release = lockDataDir(dir);
    t.equal(readFileSync(lockFileOf(dir), 'utf8').trim(), String(process.pid), `lock file containing ${JSON.stringify(content)}`);
    release();
  }
});

t.test('release leaves alone a lock file that another process has since taken', async (t) => {
  const dir = freshDir();
  const release = lockDataDir(dir);
  writeFileSync(lockFileOf(dir), String(process.ppid));
  release();
  t.ok(existsSync(lockFileOf(dir)), 'the other holder keeps its lock');
  t.equal(readFileSync(lockFileOf(dir), 'utf8').trim(), String(process.ppid));
  rmSync(lockFileOf(dir));
});

// --- end to end: the real server, twice on one folder ---------------------------------------

const ADMIN_KEY = 'embedded-lock-test-admin-key';
const auth = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

const startServerOn = (dataDir: string) => startServer({ dataDir, adminKey: ADMIN_KEY });

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);

t.test('a second server on the same data folder exits non-zero saying the folder is in use; after the first is killed, a new one starts', { timeout: 175_000 }, async (t) => {
  const dataDir = path.join(scratch, 'server-data');
  const servers: ServerProcess[] = [];
  t.teardown(async () => {
    for (const s of servers) killGroup(s);
    await Promise.all(servers.map((s) => within(s.exited, 5_000)));
  });

  const first = startServerOn(dataDir);
  servers.push(first);
  const address = await listeningAddress(first, 90_000);
  const health = await fetch(`${address}/healthz`);
  t.equal(health.status, 200, 'the first server answers /healthz');
  t.equal(readFileSync(lockFileOf(dataDir), 'utf8').trim(), String(first.child.pid), 'the lock names the first server');
  const created = await fetch(`${address}/v1/claims`, { method: 'POST', headers: auth, body: JSON.stringify({ text: 'Written before the crash' }) });
  t.equal(created.status, 201, 'the first server stores a claim');
  const claim = (await created.json()) as { id: string };

  const second = startServerOn(dataDir);
  servers.push(second);
  // ~20 s on an idle machine is plenty; allow for a busy one (tsx compiles the app before it looks at the lock).
  const code = await within(second.exited, 30_000);
  t.not(code, 'timeout', 'the second server exits promptly');
  t.not(code, 0, 'the second server exits non-zero');
  t.not(code, null);
  t.match(second.output(), /in use/, 'the message says the folder is in use');
  t.match(second.output(), String(first.child.pid), 'the message names the pid holding it');
  t.notMatch(second.output(), /Server listening/, 'the second server never listened');

  const stillUp = await fetch(`${address}/healthz`);
  t.equal(stillUp.status, 200, 'the first server is unharmed');

  // SIGKILL: no cleanup runs, so the lock file stays behind with a dead pid.
  killGroup(first, 'SIGKILL');
  t.not(await within(first.exited, 10_000), 'timeout', 'the first server died');
  t.ok(existsSync(lockFileOf(dataDir)), 'SIGKILL left a stale lock behind');

  const third = startServerOn(dataDir);
  servers.push(third);
  const thirdAddress = await listeningAddress(third, 60_000);
  const res = await fetch(`${thirdAddress}/healthz`);
  t.equal(res.status, 200, 'a new server takes over the stale lock and answers /healthz');
  t.same(await res.json(), { status: 'ok' });
  const ready = await fetch(`${thirdAddress}/readyz`);
  t.equal(ready.status, 200, 'and its embedded database (written by the killed server) is readable');
  const kept = await fetch(`${thirdAddress}/v1/claims/${claim.id}`, { headers: auth });
  t.equal(kept.status, 200, 'the claim committed before the SIGKILL is still there');
  t.equal(readFileSync(lockFileOf(dataDir), 'utf8').trim(), String(third.child.pid));

  // A graceful stop releases the lock.
  killGroup(third, 'SIGTERM');
  const thirdCode = await within(third.exited, 20_000);
  t.equal(thirdCode, 0, 'SIGTERM stops the server cleanly');
  t.notOk(existsSync(lockFileOf(dataDir)), 'a graceful stop removes the lock file');
});
