import net from 'node:net';

/** HTTP over a bare socket, for what fetch will not send: stalled or trickled bodies, malformed request lines. */

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from opening the socket until the server closed it. */
  closedAfter: number;
}

/** Opens a socket, sends `head` (and `firstBytes`), and resolves with what the server answers once it closes the connection. */
export function rawRequest(port: number, head: string, firstBytes = '', trickle?: { byte: string; everyMs: number }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (d) => (received += d));
    socket.on('error', () => {}); // a reset after the answer is fine: the answer is what is checked
    socket.on('close', () => {
      clearInterval(timer);
      const [top, ...rest] = received.split('\r\n\r\n');
      const [statusLine, ...headerLines] = (top ?? '').split('\r\n');
      const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n'), closedAfter: performance.now() - started });
    });
    socket.setTimeout(60_000, () => {
      socket.destroy();
      reject(new Error('the server never closed the connection'));
    });
    socket.write(head + firstBytes);
    if (trickle) timer = setInterval(() => socket.writable && socket.write(trickle.byte), trickle.everyMs);
  });
}

/** The problem+json object of a raw answer (its body may be chunked). */
export function problemOf(answer: RawAnswer) {
  const json = answer.body.slice(answer.body.indexOf('{'), answer.body.lastIndexOf('}') + 1);
  return JSON.parse(json) as { code: string; status: number; errors?: { path: string; message: string }[] };
}
