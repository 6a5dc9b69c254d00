// A service's state file: one JSON document `{ "version": N, ...fields }`, checked against
// its schema on load (a file of another version, or one that does not match, is refused with
// a message naming the file rather than half-read) and written atomically.
import Ajv, { type ValidateFunction } from 'ajv';
import { readJson, readJsonSync, writeFileAtomic, writeFileAtomicSync } from './atomic';

export interface StateFileOptions {
  version: number;
  /** JSON schema of the document's fields besides `version`: `properties` and `required`. */
  schema: { properties: Record<string, object>; required: string[] };
}

export class JsonStateFile<T extends object> {
  private readonly validate: ValidateFunction;

  constructor(
    readonly path: string,
    private readonly o: StateFileOptions,
  ) {
    this.validate = new Ajv({ allErrors: true }).compile({
      type: 'object',
      required: ['version', ...o.schema.required],
      properties: { version: { type: 'integer' }, ...o.schema.properties },
    });
  }

  /** The saved fields, or undefined when there is no file yet. Throws on a corrupt or foreign file. */
  load(): T | undefined {
    let data: unknown;
    try {
      data = readJsonSync(this.path);
    } catch (err) {
      throw this.notJson(err);
    }
    return this.check(data);
  }

  async loadAsync(): Promise<T | undefined> {
    let data: unknown;
    try {
      data = await readJson(this.path);
    } catch (err) {
      throw this.notJson(err);
    }
    return this.check(data);
  }

  save(fields: T): void {
    writeFileAtomicSync(this.path, this.text(fields));
  }

  saveAsync(fields: T): Promise<void> {
    return writeFileAtomic(this.path, this.text(fields));
  }

  private text(fields: T): string {
    return JSON.stringify({ version: this.o.version, ...fields }, null, 2);
  }

  private notJson(err: unknown): unknown {
    return err instanceof SyntaxError ? new Error(`state file ${this.path} is not valid JSON: ${err.message}`) : err;
  }

  private check(data: unknown): T | undefined {
    if (data === undefined) return undefined;
    const version = (data as { version?: unknown } | null)?.version;
    if (typeof data === 'object' && data !== null && version !== undefined && version !== this.o.version) {
      throw new Error(`state file ${this.path}: unknown state version ${String(version)} (this build reads ${this.o.version})`);
    }
    if (!this.validate(data)) {
      const why = (this.validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
      throw new Error(`state file ${this.path} is invalid: ${why}`);
    }
    const { version: _, ...fields } = data as Record<string, unknown>;
    return fields as T;
  }
}
