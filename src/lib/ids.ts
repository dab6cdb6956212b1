import { v7 } from 'uuid';

/** Time-ordered ids (RFC 9562 v7): index-friendly and a natural tie-breaker for keyset pagination. */
export const newId = (): string => v7();
