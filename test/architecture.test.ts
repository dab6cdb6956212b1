import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';

// The import graph of src/: arrows point one way (routes → queries → db, and
// both → domain and lib), so a change in one layer cannot loop back into it.

const src = path.resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

/** file (relative to src/) → its imports: files (relative to src/) and packages. */
const graph = new Map<string, { files: string[]; packages: string[] }>();
for (const file of sourceFiles(src)) {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
  graph.set(path.relative(src, file), {
    files: specifiers.filter((s) => s.startsWith('.')).map((s) => path.relative(src, path.resolve(path.dirname(file), s)).replace(/\.js$/, '.ts')),
    packages: specifiers.filter((s) => !s.startsWith('.')),
  });
}
const layer = (file: string) => file.split(path.sep)[0];

t.ok(graph.size > 50, `read ${graph.size} files`);

t.test('domain/ and lib/ import neither Fastify, the database, nor the layers above them', async (t) => {
  const wrong: string[] = [];
  for (const [file, { files, packages }] of graph) {
    if (!['domain', 'lib'].includes(layer(file))) continue;
    for (const to of files) if (!['domain', 'lib'].includes(layer(to))) wrong.push(`${file} → ${to}`);
    for (const p of packages) if (/^(fastify|@fastify\/|fastify-plugin|pg$|@electric-sql\/pglite|drizzle-orm)/.test(p)) wrong.push(`${file} → ${p}`);
  }
  t.same(wrong, []);
});

t.test('resources never import plugins; plugins never import routes; db imports neither', async (t) => {
  const wrong: string[] = [];
  for (const [file, { files }] of graph) {
    for (const to of files) {
      if (layer(file) === 'resources' && layer(to) === 'plugins') wrong.push(`${file} → ${to}`);
      if (layer(file) === 'plugins' && /^resources\/.*routes\.ts$/.test(to)) wrong.push(`${file} → ${to}`);
      if (layer(file) === 'db' && ['resources', 'plugins'].includes(layer(to))) wrong.push(`${file} → ${to}`);
    }
  }
  t.same(wrong, []);
});

const isRoutes = (file: string) => /routes[^/\\]*\.ts$/.test(path.basename(file));

t.test('queries never import routes, and only routes, route helpers and app wiring import Fastify', async (t) => {
  const routeHelpers = [path.join('resources', 'http.ts'), path.join('resources', 'validation.ts')];
  const wrong: string[] = [];
  for (const [file, { files, packages }] of graph) {
    if (/queries\.ts$/.test(file)) for (const to of files) if (/routes\.ts$/.test(to)) wrong.push(`${file} → ${to}`);
    if (layer(file) === 'resources' && !isRoutes(file) && !routeHelpers.includes(file)) {
      for (const p of packages) if (/^(fastify|@fastify\/)/.test(p)) wrong.push(`${file} → ${p}`);
    }
  }
  t.same(wrong, []);
});

/**
 * The import statements of a file, each with whether it brings in types only
 * (`import type …`, erased when compiled); dynamic `import('…')` counts as a value.
 */
function importsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const text = readFileSync(path.join(src, file), 'utf8');
  return [
    ...[...text.matchAll(/^(?:import|export)(\s+type\b)?[^'"]*?from\s+'([^']+)'/gm)].map((m) => ({ specifier: m[2], typeOnly: m[1] !== undefined })),
    ...[...text.matchAll(/^import\s+'([^']+)'/gm)].map((m) => ({ specifier: m[1], typeOnly: false })),
    ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => ({ specifier: m[1], typeOnly: false })),
  ];
}

t.test('routes speak HTTP and leave the database to queries', async (t) => {
  // A route may open the one transaction its request writes in (db/write.ts) and
  // name database types; tables, SQL, drivers and connections are the queries' business.
  const wrong: string[] = [];
  for (const file of [...graph.keys()].filter(isRoutes)) {
    for (const { specifier, typeOnly } of importsOf(file)) {
      if (/^(drizzle-orm|pg|pg-.*|@electric-sql\/pglite)(\/|$)/.test(specifier)) wrong.push(`${file} → ${specifier}`);
      if (!specifier.startsWith('.') || typeOnly) continue;
      const to = path.relative(src, path.resolve(path.dirname(path.join(src, file)), specifier)).replace(/\.js$/, '.ts');
      if (layer(to) === 'db' && to !== path.join('db', 'write.ts')) wrong.push(`${file} → ${to}`);
    }
    const text = readFileSync(path.join(src, file), 'utf8');
    // Of db/write.ts, only the transaction itself: its set insert is the queries'.
    for (const m of text.matchAll(/^import\s*\{([^}]*)\}\s*from\s*'[^']*\/db\/write\.js'/gm)) {
      const values = m[1].split(',').map((name) => name.trim()).filter((name) => name && !name.startsWith('type '));
      for (const name of values) if (name !== 'withWrite') wrong.push(`${file} → db/write.ts ${name}`);
    }
    for (const m of text.matchAll(/\b(?:db|tx)\s*\.\s*(?:(?:select\w*|insert|update|delete|execute|transaction)\s*\(|query\s*\.)/g)) {
      wrong.push(`${file} runs \`${m[0]}\``);
    }
  }
  t.same(wrong, []);
});

t.test('no import cycles', async (t) => {
  // Tarjan's strongly connected components: any component of two or more files is a cycle.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!.files) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  t.same(cycles, []);
});

t.test('bulk import holds no write of its own: it hands each set to the functions the single endpoints call', async (t) => {
  const bulk = [...graph.keys()].filter((f) => f.startsWith(`resources${path.sep}bulk${path.sep}`));
  for (const file of bulk) {
    const text = readFileSync(path.join(src, file), 'utf8');
    t.notMatch(text, /\binsert\s+into\b|\.insert\(|json_to_recordset/i, `${file} inserts nothing itself`);
  }
});
