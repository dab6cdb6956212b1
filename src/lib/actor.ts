import type { FastifyRequest } from 'fastify';

/** Who made a change, as the event log records it. */
export interface Actor {
  keyId: string | null;
  requestId: string | null;
}

export const actorOf = (request: FastifyRequest): Actor => ({
  keyId: (request as { apiKeyId?: string }).apiKeyId ?? null,
  requestId: String(request.id),
});

export const systemActor: Actor = { keyId: null, requestId: null };
