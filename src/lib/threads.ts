import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The code a worker thread starts with, to run the module `worker` beside `caller` (pass
 * `import.meta.url`). Compiled, the caller is a .js file and so is the worker beside it. Run
 * from the sources (tsx, tap), both are .ts files, and a thread does not get the parent's
 * TypeScript loader on Node 20 (its `--import` hooks stay on the main thread), so the thread
 * registers tsx's loader itself first. tsx is a development dependency, present wherever the
 * sources run. Start the thread with `new Worker(threadBootstrap(…), { eval: true })`.
 */
export function threadBootstrap(caller: string, worker: string): string {
  const extension = extname(fileURLToPath(caller));
  const target = JSON.stringify(new URL(`./${worker}${extension}`, caller).href);
  if (extension === '.js') return `import(${target})`;
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return `import(${tsx}).then(({ register }) => { register(); return import(${target}); })`;
}
