/**
 * Why the service could not start, in one line an operator can act on. A stack trace
 * of a refused connection or a busy port says less than its error code does.
 */

interface SystemError {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
  message?: string;
}

/** Where the database is, without the password. */
function databaseAt(databaseUrl: string | undefined): string {
  if (!databaseUrl) return 'the embedded database';
  try {
    const url = new URL(databaseUrl);
    return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** The one line to print for an error thrown while starting, or undefined when it is not one we know. */
export function describeStartupError(err: unknown, settings: { HOST: string; PORT: number; DATABASE_URL?: string }): string | undefined {
  const e = (err ?? {}) as SystemError;
  switch (e.code) {
    case 'EADDRINUSE':
      return `${settings.HOST}:${settings.PORT} is already in use by another process; stop it or set PORT`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${settings.HOST}: no such address on this machine; set HOST`;
    case 'EACCES':
      if (e.syscall === 'listen') return `not allowed to listen on ${settings.HOST}:${settings.PORT}; choose a PORT above 1023`;
      return undefined;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return `cannot reach ${databaseAt(settings.DATABASE_URL)} (${e.code}); is it running, and is DATABASE_URL right?`;
    case '28P01':
    case '28000':
      return `${databaseAt(settings.DATABASE_URL)} refused the credentials in DATABASE_URL (${e.message ?? e.code})`;
    case '3D000':
      return `${databaseAt(settings.DATABASE_URL)} has no such database (${e.message ?? e.code}); create it first`;
    default:
      if (/timeout exceeded when trying to connect|Connection terminated/i.test(e.message ?? '')) {
        return `cannot reach ${databaseAt(settings.DATABASE_URL)} (no answer); is it running, and is DATABASE_URL right?`;
      }
      return undefined;
  }
}
