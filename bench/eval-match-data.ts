/**
 * The CLEF CheckThat! 2022 Task 2A (English) data, read where it lies
 * (../shared/data/checkthat-2022-2a, or CHECKTHAT_DIR): never copied into the repository.
 * Source: CLEF CheckThat! Lab 2022 Task 2A (Nakov et al.), as redistributed in
 * Alihoe/CLEFCheckThat2aSimBa under CC BY-SA 3.0 DE.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface VerifiedClaim {
  id: string;
  text: string;
  title: string;
  subtitle: string;
  author: string | null;
  date: string | null;
  url: string | null;
}

export interface Query {
  id: string;
  text: string;
  /** The verified claims this tweet repeats (one, rarely two or three). */
  gold: Set<string>;
}

/**
 * A set of queries with their gold links: `train`, `dev` and `devtest` come with the data; any
 * other name is read from `<name>-queries.tsv` and `<name>-qrels.tsv` beside them (a kept-aside
 * test set dropped into the directory, say).
 */
export type Split = string;

export function dataDir(): string {
  const chosen = process.env.CHECKTHAT_DIR;
  if (chosen) {
    // A directory named on purpose is used or refused, never silently replaced by another.
    if (!existsSync(path.join(chosen, 'vclaims.ndjson'))) throw new Error(`CHECKTHAT_DIR=${chosen} holds no vclaims.ndjson (the verified claims to load)`);
    return chosen;
  }
  const candidates = [
    path.resolve(import.meta.dirname, '../../shared/data/checkthat-2022-2a'),
    path.resolve(import.meta.dirname, '../../../shared/data/checkthat-2022-2a'),
    '/work/shared/data/checkthat-2022-2a',
  ];
  const found = candidates.find((d) => existsSync(path.join(d, 'vclaims.ndjson')));
  if (!found) throw new Error(`CheckThat! 2022 2A data not found; set CHECKTHAT_DIR (looked in ${candidates.join(', ')})`);
  return found;
}

const read = (file: string) => readFileSync(path.join(dataDir(), file), 'utf8');
const rows = (file: string, separator: string | RegExp) =>
  read(file)
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((l) => l.split(separator));

export function loadVerifiedClaims(): VerifiedClaim[] {
  return read('vclaims.ndjson')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const v = JSON.parse(l) as Record<string, string | null>;
      return {
        id: v.vclaim_id!,
        text: (v.vclaim ?? '').trim(),
        title: (v.title ?? '').trim(),
        subtitle: (v.subtitle ?? '').trim(),
        author: v.author || null,
        date: v.date || null,
        url: v.page_url || null,
      };
    });
}

/**
 * A field as a spreadsheet or pandas writes it when it holds a quote: wrapped in double quotes,
 * each of its own doubled (`"Biden: ""As recently…"" — Forbes (@Forbes) January 28, 2021"`).
 * About one tweet in six of the data comes so; read as written, its signature would end in a
 * quote and go unread.
 */
function unquote(field: string): string {
  const inner = field.slice(1, -1);
  const quoted = field.length >= 2 && field.startsWith('"') && field.endsWith('"') && !inner.replace(/""/g, '').includes('"');
  return quoted ? inner.replace(/""/g, '"') : field;
}

export function loadQueries(split: Split): Query[] {
  // train and dev share one file of texts; every other split has its own.
  const own = `${split}-queries.tsv`;
  const textsFile = existsSync(path.join(dataDir(), own)) || !['train', 'dev'].includes(split) ? own : 'train-dev-queries.tsv';
  const texts = new Map<string, string>();
  for (const [id, ...rest] of rows(textsFile, '\t')) texts.set(id, unquote(rest.join('\t')));
  const gold = new Map<string, Set<string>>();
  // TREC qrels, by tabs or spaces: `query 0 claim relevance`; a header line or a relevance of 0 names no gold claim.
  for (const [id, , claim, relevance] of rows(`${split}-qrels.tsv`, /\s+/).map((r) => r.filter(Boolean))) {
    if (!(Number(relevance) > 0)) continue;
    gold.set(id, new Set([...(gold.get(id) ?? []), claim]));
  }
  if (gold.size === 0) throw new Error(`${split}-qrels.tsv names no gold claim`);
  return [...gold].map(([id, claims]) => {
    const text = texts.get(id);
    if (text === undefined) throw new Error(`no text for query ${id} in ${textsFile}`);
    return { id, text, gold: claims };
  });
}
