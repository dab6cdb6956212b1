import { PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body may take `longBodyMs` to arrive instead of `bodyMs` (bulk uploads). */
    longBody?: boolean;
  }
}

export interface BodyTimeouts {
  /** Longest time for a whole request body to arrive. */
  bodyMs: number;
  /** The same for routes marked `longBody`. */
  longBodyMs: number;
  /** Longest pause between two pieces of a body. */
  idleMs: number;
}

const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * A body that arrives too slowly (or stops) is answered 408 problem+json and the
 * connection closed, so a client trickling bytes cannot hold a socket, a
 * request slot or anything behind them for long. Node's own request timeout is
 * coarse (checked every 30 s) and answers in its own format; this one answers
 * like every other error. The clock starts when the headers are in.
 */
export default fp(
  async function bodyTimeoutsPlugin(app: FastifyInstance, opts: BodyTimeouts) {
    app.addHook('preParsing', async (request, reply, payload) => {
      if (!hasBody(request)) return payload;
      const totalMs = request.routeOptions.config?.longBody ? opts.longBodyMs : opts.bodyMs;
      const guarded = new PassThrough();
      const give = (detail: string) => {
        stop();
        payload.unpipe(guarded);
        guarded.destroy(new ApiError('request_timeout', detail));
      };
      const deadline = setTimeout(() => give(`The body did not arrive within ${totalMs / 1000} s.`), totalMs);
      const idle = setTimeout(() => give(`No part of the body arrived for ${opts.idleMs / 1000} s.`), opts.idleMs);
      const stop = () => {
        clearTimeout(deadline);
        clearTimeout(idle);
      };
      payload.on('data', () => idle.refresh());
      payload.on('end', stop);
      payload.on('error', (err) => {
        stop();
        guarded.destroy(err);
      });
      reply.raw.once('close', stop);
      (payload as Readable).pipe(guarded);
      return guarded;
    });
  },
  { name: 'body-timeouts' },
);
