import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify's default Ajv coerces types and strips unknown properties, so
 * `{"text": 12345, "version": 99}` would be a silent success. Bodies get a strict
 * Ajv (no coercion, nothing removed, every error reported); querystrings, params
 * and headers arrive as strings and keep coercion, but unknown query parameters
 * are still refused by `additionalProperties: false` in their schemas.
 */
// RFC 3339 as clients send it, and a real instant: JavaScript's Date.parse would roll
// 2026-02-30 over into March and PostgreSQL refuses year 0 and leap seconds, so the
// fields are checked one by one.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;
export function isInstant(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = !m[9] || (Number(m[10]) <= 23 && Number(m[11]) <= 59);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 && offsetOk;
}

const onCreate = (ajv: { addFormat(name: string, format: (value: string) => boolean): unknown }) => {
  ajv.addFormat('date-time', isInstant);
};

export const schemaController: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildValidator(externalSchemas, ajvServerOptions) {
      const factory = AjvCompiler();
      const base = ajvServerOptions ?? {};
      const custom = (base as { customOptions?: object }).customOptions ?? {};
      const strict = factory(externalSchemas, {
        ...base,
        onCreate,
        customOptions: { ...custom, coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: true },
      } as never);
      const lenient = factory(externalSchemas, {
        ...base,
        onCreate,
        customOptions: { ...custom, coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false },
      } as never);
      return (route) => (route.httpPart === 'body' ? strict(route) : lenient(route));
    },
  },
};
