import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './pg-cluster.js';

/**
 * A private redis-server for fault tests: nothing saved to disk, on a free port,
 * frozen with SIGSTOP and thawed with SIGCONT as a hung Redis would be.
 */
export class RedisProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** The redis-server binary, or why there is none. */
  static available(): boolean {
    return spawnSync('redis-server', ['--version']).status === 0;
  }

  static async start(): Promise<RedisProcess> {
    const port = await freePort(46000, 2000);
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const server = new RedisProcess(child, port);
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {}); // refused until the server listens: retried below
    for (let i = 0; ; i++) {
      try {
        await client.connect();
        await client.ping();
        client.disconnect();
        return server;
      } catch (err) {
        client.disconnect();
        if (i > 50) {
          server.stop();
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  freeze() {
    this.child.kill('SIGSTOP');
  }

  thaw() {
    this.child.kill('SIGCONT');
  }

  stop() {
    this.thaw();
    this.child.kill('SIGKILL');
  }
}
