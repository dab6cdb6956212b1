/**
 * Tests that need a system tool `npm install` does not bring (Debian's chromium,
 * PostgreSQL's server binaries, redis-server). `npm test` passes after `npm install`
 * alone, so without the tool such a file is skipped and says why; under CI
 * (`CI=true`, set by .ci/run, which installs the tools) a missing tool is a failure.
 */
import type { Test } from 'tap';

/** Ends this test file when `missing` names an absent tool: skipped with the reason, or failed under CI. */
export function requireTool(t: Test, missing: string | undefined): void {
  if (missing === undefined) return;
  if (process.env.CI === 'true') {
    t.fail(`${missing}; CI installs it, so its tests are required`);
    process.exit(1);
  }
  t.plan(0, `skipped: ${missing}`);
  process.exit(0);
}

/** For one test's `skip` option: the reason it is skipped without the tool, or false to run it; under CI a missing tool throws. */
export function skipWithout(missing: string | undefined): string | false {
  if (missing === undefined) return false;
  if (process.env.CI === 'true') throw new Error(`${missing}; CI installs it, so its tests are required`);
  return missing;
}
