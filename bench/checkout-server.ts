import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** Starting the API of a checkout of claimledger (this one or another) for a side-by-side bench. */

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** `node --import tsx src/server.ts` in `dir`, one worker, no per-request logs, rate limit out of the way; resolves once /healthz answers. */
export async function startCheckout(dir: string, env: { DATABASE_URL: string; CLAIMLEDGER_ADMIN_KEY: string }): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: path.resolve(dir),
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', CLAIMLEDGER_WORKERS: '1', CLAIMLEDGER_RATE_LIMIT: '1000000000', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    if (child.exitCode !== null) throw new Error(`${dir}: the API exited with ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) return { port, child };
  }
  child.kill('SIGTERM');
  throw new Error(`${dir}: the API did not start`);
}
