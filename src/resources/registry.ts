import type { TSchema } from 'typebox';
import { sharedSchemas } from '../lib/schemas.js';
import { attributionSchemas } from './attributions/schemas.js';
import { claimantSchemas } from './claimants/schemas.js';
import { claimSchemas } from './claims/schemas.js';
import { eventSchemas } from './events/schemas.js';
import { apiKeySchemas } from './keys/schemas.js';
import { reviewSchemas } from './reviews/schemas.js';
import { sourceSchemas } from './sources/schemas.js';
import { statsSchemas } from './stats/schemas.js';
import { bulkSchemas } from './bulk/schemas.js';
import { extractSchemas } from './extract/schemas.js';

/** Every named schema, registered once so routes and the OpenAPI document refer to them by `$id`. */
export const allSchemas = (): TSchema[] => [
  ...sharedSchemas,
  ...sourceSchemas(),
  ...claimantSchemas(),
  ...attributionSchemas(),
  ...reviewSchemas(),
  ...claimSchemas(),
  ...eventSchemas(),
  ...apiKeySchemas(),
  ...statsSchemas(),
  ...bulkSchemas(),
  ...extractSchemas(),
];
