import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS } from './page.js';

/**
 * GET /dashboard: a static page for people who would rather look than read.
 * The page itself needs no key (it holds no data); its script calls the stats
 * endpoints with the key the user pastes. Its own Content-Security-Policy
 * allows nothing but this origin: no inline script, no third-party anything.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const asset = (reply: FastifyReply, type: string, body: string) =>
  reply.type(type).header('content-security-policy', CSP).header('cache-control', 'no-cache').send(body);

const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const options = { schema: { hide: true }, config: { public: true } };
  app.get('/dashboard', options, async (_request, reply) => asset(reply, 'text/html; charset=utf-8', DASHBOARD_HTML));
  app.get('/dashboard/app.js', options, async (_request, reply) => asset(reply, 'text/javascript; charset=utf-8', DASHBOARD_JS));
  app.get('/dashboard/app.css', options, async (_request, reply) => asset(reply, 'text/css; charset=utf-8', DASHBOARD_CSS));
};

export default dashboardRoutes;
