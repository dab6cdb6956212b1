import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { preparedDataDir } from './support/server-process.js';

/** A service that cannot start says why in one line on stderr and exits 1: no stack trace. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'claimledger-startup-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
// Only the busy port reaches the embedded database: it finds one made before (no initdb).
const dataDir = await preparedDataDir(path.join(scratch, 'data'));

function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', CLAIMLEDGER_DATA_DIR: dataDir, CLAIMLEDGER_WORKERS: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function oneLine(t: Test, result: { code: number | null; stderr: string }, pattern: RegExp) {
  t.equal(result.code, 1, 'exits 1');
  const lines = result.stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line: ${result.stderr.slice(0, 400)}`);
  t.match(lines[0], /^claimledger: /);
  t.match(lines[0], pattern);
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

// The four starts run at once: each is a process that compiles and migrates on its own.
const blocker = net.createServer();
await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
const busyPort = (blocker.address() as net.AddressInfo).port;
const started = {
  malformed: start({ DATABASE_URL: 'not a url with secret-password' }),
  notPostgres: start({ DATABASE_URL: 'mysql://root:pw@127.0.0.1:3306/claims' }),
  unreachable: start({ DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:1/claims' }),
  busyPort: start({ PORT: String(busyPort) }).finally(() => blocker.close()),
};

t.test('a malformed DATABASE_URL is one line naming it, without echoing the URL', async (t) => {
  const result = await started.malformed;
  oneLine(t, result, /DATABASE_URL is not a URL/);
  t.notMatch(result.stderr, /secret-password/);
});

t.test('a DATABASE_URL that is not PostgreSQL is one line naming it', async (t) => {
  oneLine(t, await started.notPostgres, /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/, not mysql:\/\//);
});

t.test('an unreachable database is one line saying where, without the password', async (t) => {
  const result = await started.unreachable;
  oneLine(t, result, /cannot reach PostgreSQL at 127\.0\.0\.1:1\/claims \(ECONNREFUSED\)/);
  t.notMatch(result.stderr, /hunter2/);
});

t.test('a busy port is one line naming the address', async (t) => {
  oneLine(t, await started.busyPort, new RegExp(`127\\.0\\.0\\.1:${busyPort} is already in use`));
});
