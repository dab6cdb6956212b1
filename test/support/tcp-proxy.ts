/**
 * A TCP proxy for fault tests, standing between the API and its database.
 *
 * - `forward`: bytes pass both ways, as if the proxy were not there.
 * - `blackhole`: the network path silently dies. Open connections stay open but
 *   nothing more is delivered either way (no FIN, no RST: the kernel still ACKs, so
 *   TCP cannot tell); new connections are accepted and never answered.
 *
 * `cutAfterNextCommit()` loses the answer to one COMMIT: the server commits, the
 * client never hears it (the connection closes as the answer comes back).
 *
 * `restore()` brings the path back: black-holed connections are closed (as a
 * firewall state timeout or a failover would) and new ones forward again.
 * (Closed with destroy(), not resetAndDestroy(): with resetAndDestroy() the test
 * process here, on Node 20, was left spinning at exit in handle cleanup with one
 * of these sockets still open, until tap's timeout killed it.)
 */
import net from 'node:net';

export type ProxyMode = 'forward' | 'blackhole';

/** COMMIT as node-postgres sends it: a simple-protocol Query message, 'Q', its int32 length, the NUL-ended text. */
const COMMIT_MESSAGE = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 4 + 'commit'.length + 1]), Buffer.from('commit\0')]);

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  stalled: boolean;
}

export class TcpProxy {
  mode: ProxyMode = 'forward';
  private readonly pairs = new Set<Pair>();
  private server?: net.Server;
  port = 0;
  /** Connections accepted so far, and how many of those arrived while black-holed. */
  accepted = 0;
  acceptedWhileBlackholed = 0;
  private armedCut?: () => void;

  constructor(
    readonly targetPort: number,
    readonly targetHost = '127.0.0.1',
  ) {}

  async listen(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  private accept(client: net.Socket) {
    this.accepted++;
    const pair: Pair = { client, stalled: false };
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', drop);
    client.on('close', drop);
    if (this.mode === 'blackhole') {
      this.acceptedWhileBlackholed++;
      this.stall(pair);
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => this.cutIfCommit(pair, upstream, chunk));
  }

  /**
   * Arms a cut on the next COMMIT any connection sends: it reaches the server, and
   * the server's answer closes the connection both ways instead of being delivered.
   * So the transaction commits while its client sees only a lost connection.
   * Resolves once the cut is made.
   */
  cutAfterNextCommit(): Promise<void> {
    return new Promise((resolve) => (this.armedCut = resolve));
  }

  private cutIfCommit(pair: Pair, upstream: net.Socket, chunk: Buffer) {
    if (!this.armedCut || pair.stalled || !chunk.includes(COMMIT_MESSAGE)) return;
    const cut = this.armedCut;
    this.armedCut = undefined;
    // The COMMIT was already written upstream (the pipe's listener runs first); its answer is yet to come.
    upstream.unpipe(pair.client);
    upstream.once('data', () => {
      pair.client.destroy();
      upstream.destroy();
      cut();
    });
    upstream.resume();
  }

  /** Stops delivering on this pair; incoming bytes are read and thrown away so the sender's writes still "succeed". */
  private stall(pair: Pair) {
    pair.stalled = true;
    if (pair.upstream) {
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
    }
    const discard = () => {};
    pair.client.on('data', discard);
    pair.client.resume();
    pair.upstream?.on('data', discard);
    pair.upstream?.resume();
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const pair of this.pairs) this.stall(pair);
  }

  restore(): void {
    this.mode = 'forward';
    for (const pair of [...this.pairs]) {
      if (!pair.stalled) continue;
      this.pairs.delete(pair);
      pair.client.destroy();
      pair.upstream?.destroy();
    }
  }

  get openConnections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    this.pairs.clear();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
