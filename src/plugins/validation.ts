import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify's default Ajv coerces types and strips unknown properties, so
 * `{"text": 12345, "version": 99}` would be a silent success. Bodies get a strict
 * Ajv (no coercion, nothing removed, every error reported); querystrings, params
 * and headers arrive as strings and keep coercion, but unknown query parameters
 * are still refused by `additionalProperties: false` in their schemas.
 */
export const schemaController: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildValidator(externalSchemas, ajvServerOptions) {
      const factory = AjvCompiler();
      const base = ajvServerOptions ?? {};
      const custom = (base as { customOptions?: object }).customOptions ?? {};
      const strict = factory(externalSchemas, {
        ...base,
        customOptions: { ...custom, coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: true },
      } as never);
      const lenient = factory(externalSchemas, {
        ...base,
        customOptions: { ...custom, coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false },
      } as never);
      return (route) => (route.httpPart === 'body' ? strict(route) : lenient(route));
    },
  },
};
