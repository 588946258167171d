// Readable messages from Ajv's errors, for the validators compiled from schemas/*.schema.json
// (scripts/gen-schema-validators.mjs). Each message names the field as a path under a root the caller
// chooses ("setTopK.topK", "big.sealens: cells[0].outputs[1].data.grid") and says what was expected and
// what was received. Shared by the host, the webviews and the notebook renderer: no Node or DOM APIs.

/** The parts of an Ajv ErrorObject (compiled with verbose: true) that the messages use. */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
  parentSchema?: SchemaNode;
}

/** A (sub)schema as the messages read it. */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  description?: string;
  [k: string]: unknown;
}

/** What a validator function compiled by Ajv looks like. */
export interface CompiledValidator<T = unknown> {
  (data: unknown): data is T;
  errors?: SchemaError[] | null;
}

/** A short description of a received value: `null`, `array(3)`, `string "abc"`, `number 4`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v === 'object' ? 'object' : `${typeof v} ${String(v)}`;
}

/** JSON pointer `/cells/0/outputs` → `root.cells[0].outputs`. */
export function pointerPath(root: string, pointer: string): string {
  if (pointer === '') return root;
  return pointer.split('/').slice(1).reduce((at, raw) => {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(seg) ? `${at}[${seg}]` : `${at}.${seg}`;
  }, root);
}

/** "an integer in [1, 50]", "one of png, json, csv", "an array of strings" … from a schema. */
export function expectedOf(s: SchemaNode | undefined, rootSchema?: SchemaNode): string {
  s = resolveRef(s, rootSchema);
  if (!s) return 'a value';
  if (Array.isArray(s.enum)) return `one of ${s.enum.join(', ')}`;
  if (s.const !== undefined) return JSON.stringify(s.const);
  const range = (lo: number | undefined, hi: number | undefined) =>
    lo !== undefined && hi !== undefined ? ` in [${lo}, ${hi}]` : lo !== undefined ? ` ≥ ${lo}` : hi !== undefined ? ` ≤ ${hi}` : '';
  switch (s.type) {
    case 'integer':
      return `an integer${range(s.minimum, s.maximum)}`;
    case 'number':
      if (s.minimum === 0 && s.maximum === 1) return 'a fraction in [0, 1]';
      if (s.exclusiveMinimum === 0) return 'a positive number';
      return `a finite number${range(s.minimum, s.maximum)}`;
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    case 'array': {
      const item = resolveRef(s.items, rootSchema);
      return typeof item?.type === 'string' && item.type !== 'object' && item.type !== 'array' ? `an array of ${item.type}s` : 'an array';
    }
    default:
      return Array.isArray(s.type) ? `one of the types ${s.type.join(', ')}` : 'a value';
  }
}

function resolveRef(s: SchemaNode | undefined, rootSchema: SchemaNode | undefined): SchemaNode | undefined {
  for (let i = 0; s?.$ref && rootSchema && i < 8; i++) {
    const ref = s.$ref.replace(/^[^#]*#/, '');
    s = ref.split('/').slice(1).reduce<SchemaNode | undefined>((n, k) => (n?.[k] as SchemaNode | undefined), rootSchema);
  }
  return s;
}

/** More lines than this say little more than the first ones. */
const MAX_LINES = 6;

/**
 * One readable line per problem, in Ajv's order, without repeats. Errors that only say "a branch did
 * not match" (oneOf, if) are left out when a more specific one explains them.
 */
export function describeSchemaErrors(errors: readonly SchemaError[] | null | undefined, root: string, rootSchema?: SchemaNode): string[] {
  const list = errors ?? [];
  const specific = list.filter((e) => !['oneOf', 'anyOf', 'if'].includes(e.keyword));
  const lines = [...new Set((specific.length ? specific : list).map((e) => describeOne(e, root, rootSchema)))];
  return lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `… and ${lines.length - MAX_LINES} more`] : lines;
}

function describeOne(e: SchemaError, root: string, rootSchema?: SchemaNode): string {
  const where = pointerPath(root, e.instancePath);
  const p = e.params;
  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      return `${where}.${missing}: expected ${expectedOf(e.parentSchema?.properties?.[missing], rootSchema)}, got undefined`;
    }
    case 'additionalProperties':
      return `${where}: unknown property "${String(p.additionalProperty)}"`;
    case 'maxLength':
      return `${where}: string of ${typeof e.data === 'string' ? e.data.length : '?'} characters exceeds ${String(p.limit)}`;
    case 'minLength':
      return `${where}: expected a string of at least ${String(p.limit)} character${p.limit === 1 ? '' : 's'}, got ${describeValue(e.data)}`;
    case 'maxItems':
      return `${where} has ${Array.isArray(e.data) ? e.data.length : '?'} entries; at most ${String(p.limit)} are supported`;
    case 'minItems':
      return `${where} has ${Array.isArray(e.data) ? e.data.length : '?'} entries; at least ${String(p.limit)} are needed`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      // A number out of its range is shown as the number itself (e.g. "got 1.5").
      return `${where}: expected ${expectedOf(e.parentSchema, rootSchema)}, got ${e.parentSchema?.type === 'number' ? String(e.data) : describeValue(e.data)}`;
    case 'type':
    case 'enum':
    case 'const':
    case 'multipleOf':
      return `${where}: expected ${expectedOf(e.parentSchema, rootSchema)}, got ${describeValue(e.data)}`;
    case 'discriminator':
      return `${where}.${String(p.tag)}: unknown kind ${describeValue(p.tagValue)}`;
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}
