/**
 * Loads the demo newsroom data set (seed-data.ts) into claimledger.
 *
 *   npm run build && node dist/cli/seed.js     # or: npx tsx src/cli/seed.ts
 *
 * It reads the same settings as the server (DATABASE_URL, CLAIMLEDGER_DATA_DIR,
 * CLAIMLEDGER_ADMIN_KEY…). With the embedded database, stop the server first:
 * only one process can open a data folder.
 *
 * Everything goes through the HTTP API with `app.inject` rather than straight
 * into the tables, so the demo rows get exactly what a client's rows get:
 * validation, url normalisation, quote anchoring, derived fields and change-log
 * events. A seed that bypassed the API could store rows the API would refuse.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { DataDirLockedError } from '../db/client.js';
import { systemActor } from '../lib/actor.js';
import { initialKeyNotice } from '../lib/keys.js';
import { withWrite } from '../db/write.js';
import { createKey, revokeKey } from '../resources/keys/queries.js';
import { claimants, claims, sources, type ClaimantRef, type SeedAttribution, type SourceRef } from './seed-data.js';

/** How many rows this call created (all zero when the data set was already there). */
export interface SeedSummary {
  sources: number;
  claimants: number;
  claims: number;
  attributions: number;
}

export interface SeedOptions {
  /**
   * Sent as `Authorization: Bearer …`. inject() goes through the same hooks as
   * a network request, so once authentication is on the seed needs a write key.
   */
  apiKey?: string;
  /** Where progress lines go; tests pass a no-op. */
  log?: (line: string) => void;
}

export class SeedError extends Error {}

interface Reply {
  status: number;
  body: unknown;
}

interface Created {
  id: string;
}

interface CreatedClaim extends Created {
  attributions?: Array<{ id: string; anchored?: boolean; quote?: string | null }>;
}

async function post(app: FastifyInstance, url: string, payload: object, headers: Record<string, string>): Promise<Reply> {
  const res = await app.inject({ method: 'POST', url, payload, headers });
  let body: unknown = res.body;
  try {
    body = res.json();
  } catch {
    // Not JSON (a proxy page, an empty body): keep the raw text for the error message.
  }
  return { status: res.statusCode, body };
}

function unexpected(what: string, reply: Reply): SeedError {
  const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body, null, 2);
  return new SeedError(`seeding ${what} failed: HTTP ${reply.status}\n${body}`);
}

/** A 201 must carry the new row's id; anything else means the API changed under us. */
function createdId(what: string, reply: Reply): string {
  const id = (reply.body as Partial<Created> | null)?.id;
  if (reply.status !== 201 || typeof id !== 'string') throw unexpected(what, reply);
  return id;
}

/** The id of the source a duplicate-url 409 points at, if that is what this reply is. */
function existingId(reply: Reply): string | undefined {
  if (reply.status !== 409) return undefined;
  const id = (reply.body as { existing_id?: unknown } | null)?.existing_id;
  return typeof id === 'string' ? id : undefined;
}

export async function seed(app: FastifyInstance, options: SeedOptions = {}): Promise<SeedSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const summary: SeedSummary = { sources: 0, claimants: 0, claims: 0, attributions: 0 };

  // Sources first: claims point at them, and the first one's url is unique, so
  // its 409 is a cheap, race-free "this database already has the demo" test.
  // Claimants and claims have no natural unique key, so a second run that went
  // on past this point would duplicate them.
  const sourceIds = new Map<SourceRef, string>();
  for (const [index, source] of sources.entries()) {
    const reply = await post(app, '/v1/sources', source.body, headers);
    const existing = existingId(reply);
    if (existing && index === 0) {
      log(`already seeded: source ${existing} (${source.body.url}) exists; nothing written`);
      return summary;
    }
    if (existing) {
      // Someone added this document by hand: attach the demo claims to it.
      log(`source ${source.body.url} exists as ${existing}; reusing it`);
      sourceIds.set(source.ref, existing);
      continue;
    }
    sourceIds.set(source.ref, createdId(`source ${source.ref}`, reply));
    summary.sources++;
  }

  const claimantIds = new Map<ClaimantRef, string>();
  for (const claimant of claimants) {
    const reply = await post(app, '/v1/claimants', claimant.body, headers);
    claimantIds.set(claimant.ref, createdId(`claimant ${claimant.body.name}`, reply));
    summary.claimants++;
  }

  // Local refs → ids; the data set's types guarantee each ref is one created above.
  const attributionBody = (a: SeedAttribution) => {
    const who =
      a.claimant !== undefined
        ? { claimant_id: claimantIds.get(a.claimant) as string }
        : a.claimant_name !== undefined
          ? { claimant_name: a.claimant_name }
          : { claimant_label: a.claimant_label as string };
    return {
      source_id: sourceIds.get(a.source) as string,
      ...who,
      kind: a.kind,
      stance: a.stance,
      quote: a.quote,
      ...(a.said_at ? { said_at: a.said_at } : {}),
    };
  };

  for (const claim of claims) {
    const { attributions, ...fields } = claim;
    // Claim and attributions in one request: the API creates them atomically,
    // so a quote that does not anchor leaves no orphan claim behind.
    const reply = await post(app, '/v1/claims', { ...fields, attributions: attributions.map(attributionBody) }, headers);
    createdId(`claim "${claim.text}"`, reply);
    const created = (reply.body as CreatedClaim).attributions ?? [];
    if (created.length !== attributions.length) throw unexpected(`claim "${claim.text}" (attribution count)`, reply);
    // Every demo source has text and every quote is in it, so each one must anchor;
    // one that does not points at a bug in anchoring, worth seeing but not fatal.
    for (const a of created) {
      if (a.anchored !== true) log(`warning: attribution ${a.id} of "${claim.text}" did not anchor`);
    }
    summary.claims++;
    summary.attributions += created.length;
  }

  return summary;
}

async function main(): Promise<void> {
  const config = loadConfig();
  // Request logs of ~15 injected calls are noise here; warnings and errors still show.
  const app = await buildApp({ config, logger: { level: 'warn' } });
  if (app.initialAdminKey) process.stdout.write(initialKeyNotice(app.initialAdminKey));
  // A write key for this run only, revoked when it ends: the seed needs no key from the operator.
  const seeder = await withWrite(app.db, systemActor, (w) => createKey(w, { name: 'npm run seed', scopes: ['write'] }));
  try {
    const summary = await seed(app, { apiKey: seeder.secret });
    console.log(
      `created ${summary.sources} sources, ${summary.claimants} claimants, ${summary.claims} claims, ` +
        `${summary.attributions} attributions (${config.DATABASE_URL ? 'PostgreSQL' : `embedded database in ${config.CLAIMLEDGER_DATA_DIR}`})`,
    );
  } finally {
    await withWrite(app.db, systemActor, (w) => revokeKey(w, seeder.id));
    await app.close();
  }
}

/** True when this file is the program node (or tsx) was started with, not an import. */
function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    // realpath: import.meta.url is the resolved path, argv[1] may go through a symlink.
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return import.meta.url === pathToFileURL(entry).href;
  }
}

if (isMain()) {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError || err instanceof DataDirLockedError || err instanceof SeedError) {
      console.error(`claimledger seed: ${err.message}`);
    } else {
      console.error('claimledger seed failed:', err);
    }
    process.exitCode = 1;
  });
}
