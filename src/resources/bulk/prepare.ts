import type { TSchema } from 'typebox';
import { fieldErrorsFromAjv } from '../../lib/ajv-errors.js';
import { newId } from '../../lib/ids.js';
import { findJsonProblem } from '../../lib/json-checks.js';
import type { AttributionCreateBody } from '../attributions/schemas.js';
import type { ClaimantCreateBody } from '../claimants/schemas.js';
import type { ClaimCreateBody } from '../claims/schemas.js';
import type { ReviewCreateBody } from '../reviews/schemas.js';
import type { SourceCreateBody } from '../sources/schemas.js';
import { compileValidator, type Validate } from '../validation.js';
import type { RawLine } from './ndjson.js';
import type { BulkReport } from './report.js';
import { BULK_TYPES, type BulkLineErrorBody, type BulkType } from './schemas.js';

/**
 * Turns one NDJSON line into a validated create body: JSON, the envelope
 * `{type, ref?, id?, data}`, `*_ref` names resolved to ids, and `data` checked by
 * the very schema (and the same strict Ajv settings: no coercion, unknown fields
 * refused) as the single endpoint's body.
 */

let compiled: Record<'line' | BulkType, Validate> | undefined;

function validators(): Record<'line' | BulkType, Validate> {
  const strict = (id: string) => compileValidator({ $ref: id } as TSchema, 'body', '/v1/bulk');
  compiled ??= {
    line: strict('BulkLine'),
    source: strict('SourceCreate'),
    claimant: strict('ClaimantCreate'),
    claim: strict('ClaimCreate'),
    attribution: strict('AttributionCreate'),
    review: strict('ReviewCreate'),
  };
  return compiled;
}

export type Prepared =
  | (Common & { type: 'source'; body: SourceCreateBody })
  | (Common & { type: 'claimant'; body: ClaimantCreateBody })
  | (Common & { type: 'claim'; body: ClaimCreateBody })
  | (Common & { type: 'attribution'; body: AttributionCreateBody })
  | (Common & { type: 'review'; claimId: string; body: ReviewCreateBody });

interface Common {
  /** Position among the request's non-blank lines. */
  index: number;
  line: number;
  ref?: string;
  id: string;
  /** Whether the id was given by the client (so it may already be taken). */
  ownId: boolean;
  bytes: number;
  /** `data.claim_id` → `data.claim_ref` where the line named a row by ref, so errors point at what the client wrote. */
  aliases: Map<string, string>;
}

export type PrepareResult =
  | { ok: true; item: Prepared }
  | { ok: false; type: BulkType | null; ref?: string; errors: BulkLineErrorBody[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL = '00000000-0000-0000-0000-000000000000';

/** Per-request state: the refs and ids named so far, and which lines failed. */
export class LinePreparer {
  /** ref → index of the line that named it; its type, id and line number are in the report. */
  private readonly refs = new Map<string, number>();
  private readonly ownIds = new Map<string, number>();
  /** Lines that were not written: dependents say so instead of "no such row". */
  readonly failedIds = new Map<string, number>();
  private readonly v = validators();

  constructor(private readonly report: BulkReport) {}

  prepare(raw: RawLine, index: number): PrepareResult {
    const fail = (errors: { path: string; message: string; code?: string }[], type: BulkType | null = null, ref?: string): PrepareResult => ({
      ok: false,
      type,
      ref,
      errors: errors.map((e) => ({ line: raw.number, path: e.path, message: e.message, code: e.code ?? 'validation_failed' })),
    });
    if (raw.unreadable !== undefined) return fail([{ path: '', message: raw.unreadable, code: 'malformed_json' }]);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.text!);
    } catch (err) {
      return fail([{ path: '', message: `is not valid JSON (${(err as Error).message})`, code: 'malformed_json' }]);
    }
    // What the app checks on every JSON body (lone surrogates, absurd nesting), per line.
    const insane = findJsonProblem(parsed, '');
    if (insane) return fail([{ path: insane.path.replace(/^\./, ''), message: insane.message }]);
    if (!this.v.line(parsed)) {
      const obj = parsed as { type?: unknown; ref?: unknown };
      const type = typeof obj?.type === 'string' && (BULK_TYPES as readonly string[]).includes(obj.type) ? (obj.type as BulkType) : null;
      const ref = typeof obj?.ref === 'string' ? obj.ref : undefined;
      const result = fail(fieldErrorsFromAjv(this.v.line.errors, ''), type, ref);
      if (type && ref && !this.refs.has(ref)) this.refs.set(ref, index);
      return result;
    }
    const line = parsed as { type: BulkType; ref?: string; id?: string; data: Record<string, unknown> };
    const errors: { path: string; message: string; code?: string }[] = [];

    let id = line.id;
    const ownId = id !== undefined;
    if (id !== undefined) {
      id = id.toLowerCase();
      const earlier = this.ownIds.get(id);
      if (earlier !== undefined) errors.push({ path: 'id', message: `is already the id of line ${earlier}`, code: 'conflict' });
      else this.ownIds.set(id, raw.number);
    }
    id ??= newId();
    if (line.ref !== undefined && this.refs.has(line.ref)) {
      errors.push({ path: 'ref', message: `is already used by line ${this.report.lineOf(this.refs.get(line.ref)!)}`, code: 'validation_failed' });
    }

    const aliases = new Map<string, string>();
    // Refs are rewritten in place: only lines that can hold them get a copy of their data.
    const data = line.type === 'source' || line.type === 'claimant' || (line.type === 'claim' && !('attributions' in line.data)) ? line.data : structuredClone(line.data);
    const resolve = (holder: Record<string, unknown>, at: string, name: 'claim' | 'source' | 'claimant') => {
      const refKey = `${name}_ref`;
      const idKey = `${name}_id`;
      if (!(refKey in holder)) return;
      const value = holder[refKey];
      delete holder[refKey];
      const where = `${at}.${refKey}`;
      aliases.set(`${at}.${idKey}`, where);
      if (holder[idKey] !== undefined) {
        errors.push({ path: where, message: `cannot be given together with ${idKey}` });
        return;
      }
      holder[idKey] = NIL; // keeps the schema from also reporting the id as missing
      if (typeof value !== 'string' || value === '') {
        errors.push({ path: where, message: 'must be a non-empty string' });
        return;
      }
      const target = this.refs.get(value);
      if (target !== undefined) {
        const [type, at] = [this.report.typeOf(target), this.report.lineOf(target)];
        if (type !== name) errors.push({ path: where, message: `names line ${at}, a ${type}, not a ${name}`, code: 'unprocessable' });
        else if (this.report.isFailed(target)) errors.push({ path: where, message: `names line ${at}, which was not written`, code: 'unprocessable' });
        else holder[idKey] = this.report.idOf(target);
      } else if (UUID.test(value)) {
        holder[idKey] = value.toLowerCase(); // an existing row, by id
      } else {
        errors.push({ path: where, message: `names no earlier line (no line before has ref "${value}") and is not an id`, code: 'unprocessable' });
      }
    };
    const each = (list: unknown, at: string, name: 'source' | 'claimant') => {
      if (!Array.isArray(list)) return;
      list.forEach((entry, i) => {
        if (entry && typeof entry === 'object' && !Array.isArray(entry)) resolve(entry as Record<string, unknown>, `${at}[${i}]`, name);
      });
    };

    let claimId = '';
    let validate: Validate;
    let body: Record<string, unknown> = data;
    switch (line.type) {
      case 'source':
        validate = this.v.source;
        break;
      case 'claimant':
        validate = this.v.claimant;
        break;
      case 'claim':
        if (Array.isArray(data.attributions)) {
          each(data.attributions, 'data.attributions', 'source');
          each(data.attributions, 'data.attributions', 'claimant');
        }
        validate = this.v.claim;
        break;
      case 'attribution':
        resolve(data, 'data', 'claim');
        resolve(data, 'data', 'source');
        resolve(data, 'data', 'claimant');
        validate = this.v.attribution;
        break;
      case 'review': {
        resolve(data, 'data', 'claim');
        each(data.evidence, 'data.evidence', 'source');
        const { claim_id, ...rest } = data;
        body = rest;
        if (claim_id === undefined) errors.push({ path: 'data.claim_id', message: 'is required (or claim_ref)' });
        else if (typeof claim_id !== 'string' || !UUID.test(claim_id)) errors.push({ path: 'data.claim_id', message: 'must match format "uuid"' });
        else claimId = claim_id.toLowerCase();
        validate = this.v.review;
        break;
      }
    }
    if (!validate(body)) {
      for (const e of fieldErrorsFromAjv(validate.errors, 'data')) {
        // A placeholder id stands in for a ref that already has its own error.
        if (!errors.some((known) => known.path === (aliases.get(e.path) ?? e.path))) errors.push({ ...e, path: aliases.get(e.path) ?? e.path });
      }
    }
    if (line.ref !== undefined && !this.refs.has(line.ref)) this.refs.set(line.ref, index);
    if (errors.length) {
      this.failedIds.set(id, raw.number);
      return fail(errors, line.type, line.ref);
    }
    const common: Common = { index, line: raw.number, ref: line.ref, id, ownId, bytes: raw.bytes, aliases };
    const item =
      line.type === 'review'
        ? ({ ...common, type: 'review', claimId, body: body as ReviewCreateBody } as const)
        : ({ ...common, type: line.type, body } as Prepared);
    return { ok: true, item };
  }

  /** A line that passed validation but was not written. */
  markFailed(item: Prepared) {
    this.failedIds.set(item.id, item.line);
  }
}
