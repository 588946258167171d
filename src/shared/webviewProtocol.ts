// The typed contract between the extension host and the SEA Lens webviews (explain, compare). The messages,
// both directions, are defined once in schemas/webview-messages.schema.json; the types and the validators
// here are generated from it (scripts/gen-schema-types.mjs → src/shared/generated/webview-messages*.ts).
// Requests that need an answer carry a requestId; binary data travels as ArrayBuffer (never JSON number
// arrays). Both sides validate every message they receive, because a webview is untrusted input to the host
// and a stale host message can reach a reloaded webview. What JSON Schema cannot say is checked in code
// below: a PNG export's bytes, the TokenMaps inside a payload (upgradeTokenMap), two maps of one geometry.
//
// This file is shared by the Node host and the browser bundles: it must not import Node or DOM APIs.

import { sameGeometry, TokenMapError, upgradeTokenMap, type TokenMap } from './tokenMap';
import type { CompareResult } from './engineProtocol';
import { LIMITS } from './mediaLimits';
import type * as Gen from './generated/webview-messages';
import { validateFromWebview, validatePersistedViewState, validateTokenMapHeader, validateToWebview } from './generated/webview-messages.validate';
import schema from '../../schemas/webview-messages.schema.json';
import { describeSchemaErrors, describeValue, type CompiledValidator, type SchemaNode } from './schemaErrors';

export const MAX_TOP_K = LIMITS.topK.max;
export type ExportFormat = Gen.ExportFormat;
export const EXPORT_FORMATS: readonly ExportFormat[] = schema.definitions.ExportFormat.enum as ExportFormat[];
export type ViewKind = Gen.PersistedViewState['view'];

/** What a view needs to draw one result; sent after the webview said `ready`. The TokenMap is the full one. */
export type ExplainPayload = Omit<Gen.ExplainPayload, 'tokenMap'> & { tokenMap: TokenMap };
export type ComparePayload = Omit<Gen.ComparePayload, 'result'> & { result: CompareResult };

// ---- host → webview -------------------------------------------------------------------------------------
type GenToWebview = Gen.ToWebview;
export type ToWebview =
  | Exclude<GenToWebview, { kind: 'explain' | 'compare' | 'viewCommand' }>
  | { kind: 'explain'; payload: ExplainPayload }
  | { kind: 'compare'; payload: ComparePayload }
  /** A view action chosen outside the page (the editor title bar): the page acts as if its own control was used. */
  | { kind: 'viewCommand'; command: 'toggleHeatmap' }
  | { kind: 'viewCommand'; command: 'export'; format: ExportFormat };

/** The view actions the host can ask a page for (editor title bar commands). */
export const VIEW_COMMANDS: readonly string[] = schema.definitions.ToWebview.oneOf.flatMap((b) => {
  const command = (b.properties as { command?: { enum?: string[] } }).command;
  return command?.enum ?? [];
});

// ---- webview → host -------------------------------------------------------------------------------------
export type FromWebview = Gen.FromWebview;

/** State a webview keeps with setState so that a panel survives a window reload. */
export type PersistedViewState = Gen.PersistedViewState;

/** Thrown by the validators; the message says which field is wrong and what was received. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Runs a generated validator; on failure throws one ProtocolError listing every problem, paths under `root`. */
function check(validate: CompiledValidator, v: unknown, root: string, side: 'webview' | 'host'): void {
  if (validate(v)) return;
  const errors = validate.errors ?? [];
  // An unknown kind says nothing about the other fields: that is the whole message.
  const tag = errors.find((e) => e.keyword === 'discriminator');
  if (tag) throw new ProtocolError(`message.kind: unknown ${side} message kind ${describeValue((v as Obj).kind)}`);
  throw new ProtocolError(describeSchemaErrors(errors, root, schema as SchemaNode).join('; '));
}

/** Where a message's fields are named from: its kind ("setTopK.topK"), or "message" when it has none. */
function rootName(v: unknown): string {
  return isObj(v) && typeof v.kind === 'string' && v.kind.length <= 40 ? v.kind : 'message';
}

/** ArrayBuffer check that works across realms (webview iframe, worker) where instanceof fails. */
export function isArrayBuffer(v: unknown): v is ArrayBuffer {
  return Object.prototype.toString.call(v) === '[object ArrayBuffer]';
}

/** Accepts an ArrayBuffer or a typed-array view (the host may receive either) and returns bytes. */
export function toBytes(v: unknown): Uint8Array | undefined {
  if (isArrayBuffer(v)) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return undefined;
}

/** A TokenMap from the other side (version 1 or 2) as a checked version-2 map; see upgradeTokenMap. */
export function validateTokenMap(v: unknown, where = 'tokenMap'): TokenMap {
  check(validateTokenMapHeader, v, where, 'host');
  try {
    return upgradeTokenMap(v, where);
  } catch (e) {
    if (e instanceof TokenMapError) throw new ProtocolError(e.message);
    throw e;
  }
}

/** The checks of a compare result that the schema cannot state (run after it passed the schema). */
function checkCompare(v: unknown, where: string): CompareResult {
  const r = v as Obj;
  const a = validateTokenMap(r.a, `${where}.a`);
  const b = validateTokenMap(r.b, `${where}.b`);
  if (!sameGeometry(a, b)) {
    throw new ProtocolError(`${where}: the two maps place their tokens differently (${a.patches.length} vs ${b.patches.length} tokens); compare needs two adapters of one model`);
  }
  if ((r.changed as unknown[]).length !== a.patches.length) throw new ProtocolError(`${where}.changed: expected ${a.patches.length} booleans`);
  return { ...(v as CompareResult), a, b };
}

/** Validates a message the webview received from the host. */
export function parseToWebview(v: unknown): ToWebview {
  check(validateToWebview, v, rootName(v), 'host');
  const m = v as ToWebview;
  if (m.kind === 'explain') validateTokenMap(m.payload.tokenMap, 'explain.payload.tokenMap');
  if (m.kind === 'compare') checkCompare(m.payload.result, 'compare.payload.result');
  return m;
}

/** The fields each webview message kind may carry (anything else a page sends is dropped). */
const FROM_WEBVIEW_FIELDS: Record<string, string[]> = Object.fromEntries(
  schema.definitions.FromWebview.oneOf.map((b) => [(b.properties.kind as { const: string }).const, Object.keys(b.properties)]),
);

/** Validates a message the host received from a webview. Unknown or malformed messages throw. */
export function parseFromWebview(v: unknown): FromWebview {
  check(validateFromWebview, v, rootName(v), 'webview');
  const m = v as Obj;
  const out = Object.fromEntries(FROM_WEBVIEW_FIELDS[m.kind as string].filter((k) => m[k] !== undefined).map((k) => [k, m[k]])) as FromWebview;
  if (out.kind !== 'export') return out;
  if (out.format !== 'png') {
    if (m.data !== undefined) throw new ProtocolError(`export.data: only PNG exports carry data (format ${out.format})`);
    return out;
  }
  const bytes = toBytes(m.data);
  if (!bytes) throw new ProtocolError(`export.data: a PNG export needs an ArrayBuffer, got ${describeValue(m.data)}`);
  if (bytes.byteLength < 8 || bytes[0] !== 0x89 || bytes[1] !== 0x50 || bytes[2] !== 0x4e || bytes[3] !== 0x47) {
    throw new ProtocolError(`export.data: ${bytes.byteLength} bytes that do not start with the PNG signature`);
  }
  // A copy of exactly these bytes: a view may share a larger buffer with other data.
  return { ...out, data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
}

const PERSISTED_FIELDS = Object.keys(schema.definitions.PersistedViewState.properties);

/**
 * Validates state handed to a WebviewPanelSerializer; returns undefined when it cannot be used. Optional
 * fields that do not match the schema are dropped (a stale topK must not lose the panel).
 */
export function parsePersistedState(v: unknown): PersistedViewState | undefined {
  if (!isObj(v)) return undefined;
  const bad = new Set<string>();
  if (!validatePersistedViewState(v)) {
    for (const e of validatePersistedViewState.errors ?? []) {
      const field = e.instancePath.split('/')[1];
      if (!field || field === 'view' || field === 'image') return undefined;
      bad.add(field);
    }
  }
  return Object.fromEntries(PERSISTED_FIELDS.filter((k) => v[k] !== undefined && !bad.has(k)).map((k) => [k, v[k]])) as unknown as PersistedViewState;
}
