import type { TSchema } from 'typebox';
import type { AjvError } from '../../lib/ajv-errors.js';
import { schemaController } from '../validation.js';
import { allSchemas } from '../registry.js';

/**
 * Validators from the app's own schema controller (resources/validation.ts), for
 * checks a route cannot declare: each NDJSON line of a bulk body, or the filters
 * of one export type. `body` gets the strict Ajv of request bodies (no coercion,
 * unknown fields refused), `querystring` the one of query strings.
 */

export type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

let build: ((route: { schema: TSchema; method: string; url: string; httpPart: string }) => unknown) | undefined;

export function compileValidator(schema: TSchema, httpPart: string, url: string): Validate {
  if (!build) {
    const external = Object.fromEntries(allSchemas().map((s) => [(s as { $id: string }).$id, s]));
    build = schemaController!.compilersFactory!.buildValidator!(external, { customOptions: {}, plugins: [] } as never) as never;
  }
  return build!({ schema, method: httpPart === 'body' ? 'POST' : 'GET', url, httpPart }) as Validate;
}
