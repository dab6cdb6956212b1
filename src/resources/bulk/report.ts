import { BULK_TYPES, MAX_LISTED_ERRORS, type BulkLineErrorBody, type BulkType } from './schemas.js';

export type BulkMode = 'atomic' | 'partial';

export interface LineFailure {
  errors: BulkLineErrorBody[];
  existing_id?: string;
}

/** Status of a line: 0 while pending. */
const CREATED = 1;
const FAILED = 2;

/**
 * What happened to every line of a bulk request, kept in typed arrays: about 30
 * bytes a line (line number, type, status, the 16 bytes of its id) plus its ref,
 * so a body of half a million lines keeps a few megabytes, not a few hundred
 * thousand objects. Failures, which are few, keep their errors.
 */
export class BulkReport {
  lines = 0;
  created = 0;
  failed = 0;
  readonly counts: Record<BulkType, number> = { source: 0, claimant: 0, claim: 0, attribution: 0, review: 0 };
  private lineNumbers = new Int32Array(1024);
  /** 0: not a valid line; else 1 + index in BULK_TYPES. */
  private types = new Uint8Array(1024);
  private status = new Uint8Array(1024);
  private ids = Buffer.alloc(16 * 1024);
  private readonly refs: (string | undefined)[] = [];
  private readonly failures = new Map<number, LineFailure>();
  /** Lines whose claimant_name resolved: the claimant, and whether the line created it. */
  private readonly claimants = new Map<number, { claimant_id: string; status: 'matched' | 'created' }>();

  constructor(readonly mode: BulkMode) {}

  /** Registers a line; returns its index. */
  add(line: number): number {
    if (this.lines === this.lineNumbers.length) this.grow();
    this.lineNumbers[this.lines] = line;
    this.refs.push(undefined);
    return this.lines++;
  }

  private grow() {
    const size = this.lineNumbers.length * 2;
    const lineNumbers = new Int32Array(size);
    lineNumbers.set(this.lineNumbers);
    const types = new Uint8Array(size);
    types.set(this.types);
    const status = new Uint8Array(size);
    status.set(this.status);
    const ids = Buffer.alloc(16 * size);
    this.ids.copy(ids);
    Object.assign(this, { lineNumbers, types, status, ids });
  }

  /** What the line turned out to be once read, and the id its row gets. */
  describe(index: number, type: BulkType | null, ref: string | undefined, id?: string) {
    this.types[index] = type === null ? 0 : BULK_TYPES.indexOf(type) + 1;
    this.refs[index] = ref;
    if (id) this.ids.write(id.replace(/-/g, ''), 16 * index, 16, 'hex');
  }

  lineOf = (index: number) => this.lineNumbers[index];
  typeOf = (index: number): BulkType | null => (this.types[index] === 0 ? null : BULK_TYPES[this.types[index] - 1]);
  isFailed = (index: number) => this.status[index] === FAILED;

  idOf(index: number): string {
    const hex = this.ids.toString('hex', 16 * index, 16 * index + 16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  written(index: number, type: BulkType) {
    this.status[index] = CREATED;
    this.counts[type]++;
    this.created++;
  }

  resolvedClaimant(index: number, resolution: { claimant_id: string; status: 'matched' | 'created' }) {
    this.claimants.set(index, { claimant_id: resolution.claimant_id, status: resolution.status });
  }

  fail(index: number, failure: LineFailure) {
    this.status[index] = FAILED;
    this.failed++;
    this.failures.set(index, failure);
  }

  /** Every error of every failed line, in line order, at most MAX_LISTED_ERRORS. */
  allErrors(): { errors: BulkLineErrorBody[]; truncated: boolean } {
    const errors: BulkLineErrorBody[] = [];
    for (const index of [...this.failures.keys()].sort((a, b) => a - b)) {
      for (const e of this.failures.get(index)!.errors) {
        if (errors.length === MAX_LISTED_ERRORS) return { errors, truncated: true };
        errors.push(e);
      }
    }
    return { errors, truncated: false };
  }

  /** Whether every bad line failed validation (400) rather than against the data (422). */
  onlyInvalidInput(): boolean {
    for (const f of this.failures.values()) {
      if (!f.errors.every((e) => e.code === 'validation_failed' || e.code === 'malformed_json')) return false;
    }
    return true;
  }

  /** The response body (BulkResult) in chunks of about 64 KiB, written as it is sent. */
  *json(): Generator<string> {
    const head = JSON.stringify({ mode: this.mode, lines: this.lines, created: this.created, failed: this.failed, counts: this.counts });
    let chunk = `${head.slice(0, -1)},"results":[`;
    for (let i = 0; i < this.lines; i++) {
      const type = this.typeOf(i);
      let entry = `{"line":${this.lineNumbers[i]},"type":${type === null ? 'null' : `"${type}"`}`;
      if (this.refs[i] !== undefined) entry += `,"ref":${JSON.stringify(this.refs[i])}`;
      const failure = this.failures.get(i);
      if (failure) {
        entry += ',"status":"failed"';
        if (failure.existing_id) entry += `,"existing_id":"${failure.existing_id}"`;
        entry += `,"errors":${JSON.stringify(failure.errors)}}`;
      } else {
        entry += `,"status":"created","id":"${this.idOf(i)}"`;
        const claimant = this.claimants.get(i);
        if (claimant) entry += `,"claimant_id":"${claimant.claimant_id}","claimant_created":${claimant.status === 'created'}`;
        entry += '}';
      }
      chunk += i === 0 ? entry : `,${entry}`;
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}]}`;
  }
}
