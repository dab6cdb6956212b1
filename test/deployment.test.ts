import { readFileSync } from 'node:fs';
import t from 'tap';

/**
 * The deployment files as an operator reads them. (`docker-compose config -q` in .ci/run
 * checks that the compose file is valid; these check what it promises.)
 */
const compose = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8');
const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');

t.test('docker-compose ships no known admin key: unset, the first start generates one', async (t) => {
  const line = /CLAIMLEDGER_ADMIN_KEY:\s*(.*)/.exec(compose)?.[1];
  t.equal(line, '${CLAIMLEDGER_ADMIN_KEY:-}', 'passed through from the environment with an empty default');
  t.notMatch(compose, /change-me/);
});

t.test('docker-compose publishes the API on the loopback interface unless told otherwise', async (t) => {
  t.match(compose, /- "\$\{CLAIMLEDGER_PUBLISH:-127\.0\.0\.1\}:3000:3000"/);
  t.notMatch(compose, /- "3000:3000"/);
});

t.test('docker-compose shares the rate limit between worker processes through Redis', async (t) => {
  t.match(compose, /REDIS_URL: redis:\/\/redis:6379/);
  t.match(compose, /\n {2}redis:\n/);
  t.notMatch(compose, /CLAIMLEDGER_WORKERS: *"?1"?\n/, 'not by running one worker');
});

t.test('the Docker image runs Node.js 22 LTS in both stages', async (t) => {
  const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  t.same(bases, ['node:22-bookworm-slim', 'node:22-bookworm-slim']);
});
