import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { pgliteExtensions, wrapPglite } from '../db/client.js';

/** The OpenAPI document exactly as the service serves it at /openapi.json, pretty-printed. */
export async function renderOpenApi(): Promise<string> {
  // The document depends on the routes only; a fresh in-memory database is enough to build them.
  const database = wrapPglite(await PGlite.create({ extensions: pgliteExtensions }));
  const app = await buildApp({ config: loadConfig({}), database });
  try {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    return `${JSON.stringify(res.json(), null, 2)}\n`;
  } finally {
    await app.close();
    await database.close();
  }
}

export const openapiFile = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(new URL('../../openapi/', import.meta.url), { recursive: true });
  writeFileSync(openapiFile, await renderOpenApi());
  console.log(`wrote ${openapiFile}`);
}
