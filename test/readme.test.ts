import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { TEST_ADMIN_KEY, buildTestApp } from './helper.js';
import { requireTool } from './support/requirements.js';

/**
 * The README's curl examples, pasted one after another into a shell as a reader would:
 * every one must answer without a problem (no missing Authorization header, no id left
 * for the reader to fill in).
 */
const run = promisify(execFile);
const curl = await run('curl', ['--version']).then(
  () => undefined,
  () => 'curl is missing (apt-get install -y curl)',
);
requireTool(t, curl);

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Using the API'), readme.indexOf('## With a PostgreSQL server'));
const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);

const api = await buildTestApp(t);
await api.app.listen({ host: '127.0.0.1', port: 0 });
const port = (api.app.server.address() as { port: number }).port;

t.test('every curl example in the README works when pasted', async (t) => {
  await api.reset();
  t.ok(blocks.length >= 4, `${blocks.length} shell blocks`);
  t.ok(blocks.every((b) => !/<[a-z ]*id>/.test(b)), 'no <id> placeholders');
  const marker = '\n--- end of block ---\n';
  const script = blocks
    .map((b) => b.replaceAll('localhost:3000', `127.0.0.1:${port}`).replace(/^export KEY=.*$/m, `export KEY=${TEST_ADMIN_KEY}`))
    .join(`printf '${marker.replaceAll('\n', '\\n')}'\n`);
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  const outputs = stdout.split(marker);
  t.equal(outputs.length, blocks.length);
  outputs.forEach((out, i) => {
    t.ok(out.trim().length > 0, `block ${i + 1} answered`);
    t.notMatch(out, /urn:claimledger:problem/, `block ${i + 1} got no problem+json: ${out.slice(0, 300)}`);
  });
  t.match(outputs[1], /^[0-9a-f-]{36}\s*$/, 'the source was created and its id kept');
  t.match(outputs[2], /^[0-9a-f-]{36}\s*$/, 'the claim was created and its id kept');
  t.match(outputs[4], /"@type":"ClaimReview"/, 'the ClaimReview of the review just made');
});
