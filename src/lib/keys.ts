import { createHash, randomBytes } from 'node:crypto';

/**
 * API key secrets: a recognisable prefix (so a leaked key is easy to spot in
 * code, logs or a secret scanner) and 256 bits of randomness. Only a SHA-256
 * hash is stored; a fast hash is right here because the secret has full entropy
 * (no dictionary to guess from), and it keeps authentication off the hot path.
 */
export const KEY_PREFIX = 'clk_';

export function generateSecret(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** What may be shown of a key after creation: its start and its last four characters. */
export const displayParts = (secret: string) => ({ prefix: secret.slice(0, KEY_PREFIX.length + 6), last4: secret.slice(-4) });

export type Scope = 'read' | 'write' | 'admin';

/** admin ⊇ write ⊇ read: a key that may change data may also read it. */
export function grants(scopes: readonly string[], needed: Scope): boolean {
  if (scopes.includes('admin')) return true;
  if (needed === 'read') return scopes.includes('read') || scopes.includes('write');
  return scopes.includes(needed);
}

/** `Authorization: Bearer <secret>` → the secret, or undefined for any other form. */
export function bearerSecret(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]{1,512})[ \t]*$/i.exec(header);
  return m ? m[1] : undefined;
}

/** What a process prints when it had to create the first admin key: the only copy of the secret. */
export const initialKeyNotice = (secret: string) =>
  `\nNo API key existed, so an admin key was created. It is shown only now; keep it safe:\n\n  ${secret}\n\n` +
  `Use it as "Authorization: Bearer <key>" (or the Authorize button in /docs) and create narrower keys with POST /v1/keys.\n\n`;
