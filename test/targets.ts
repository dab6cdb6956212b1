/** Where the suite's databases live; shared by test/setup.ts and test/helper.ts. */
export const TEMPLATE_DB = 'claimledger_test_template';
export const PGLITE_TEMPLATE = '.tap/pglite-template.tar.gz';

/** Set to a PostgreSQL URL to run the suite on a server; unset runs it on the embedded PGlite. */
export const testServerUrl = () => process.env.CLAIMLEDGER_TEST_DATABASE_URL || undefined;

/** The same server, database `postgres`, for CREATE/DROP DATABASE. */
export function adminUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  return url.toString();
}
