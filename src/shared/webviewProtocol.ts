// The typed contract between the extension host and the SEA Lens webviews (explain, compare). One
// discriminated union per direction; requests that need an answer carry a requestId; binary data travels
// as ArrayBuffer (never JSON number arrays). Both sides run the validators below on every message they
// receive, because a webview is untrusted input to the host and a stale host message can reach a
// reloaded webview.
//
// This file is shared by the Node host and the browser bundles: it must not import Node or DOM APIs.

import { sameGeometry, TokenMapError, upgradeTokenMap, type TokenMap } from './tokenMap';
import type { CompareResult } from './engineProtocol';
import { LIMITS } from './mediaLimits';

export const MAX_TOP_K = LIMITS.topK.max;
export type ExportFormat = 'png' | 'json' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['png', 'json', 'csv'];
export type ViewKind = 'explain' | 'compare';

/** What a view needs to draw one result; sent after the webview said `ready`. */
export interface ExplainPayload {
  tokenMap: TokenMap;
  /** asWebviewUri of the image (or of a PNG preview for formats Chromium cannot show). */
  imageUrl: string;
  adapters: string[];
  adapter: string;
  topK: number;
}

export interface ComparePayload {
  result: CompareResult;
  imageUrl: string;
  adapters: string[];
  adapterA: string;
  adapterB: string;
  topK: number;
}

// ---- host → webview -------------------------------------------------------------------------------------
export type ToWebview =
  | { kind: 'loading'; message: string }
  | { kind: 'explain'; payload: ExplainPayload }
  | { kind: 'compare'; payload: ComparePayload }
  | { kind: 'error'; message: string; fix?: string }
  | { kind: 'exportDone'; requestId: number; ok: boolean; message?: string }
  /** A view action chosen outside the page (the editor title bar): the page acts as if its own control was used. */
  | { kind: 'viewCommand'; command: 'toggleHeatmap' }
  | { kind: 'viewCommand'; command: 'export'; format: ExportFormat };

/** The view actions the host can ask a page for (editor title bar commands). */
export const VIEW_COMMANDS: readonly string[] = ['toggleHeatmap', 'export'];

// ---- webview → host -------------------------------------------------------------------------------------
export type FromWebview =
  | { kind: 'ready' }
  | { kind: 'retry' }
  | { kind: 'setAdapter'; adapter: string }
  | { kind: 'setCompareAdapters'; adapterA: string; adapterB: string }
  | { kind: 'setTopK'; topK: number }
  /** PNG carries the rendered bytes; JSON and CSV are written by the host from the result it holds. */
  | { kind: 'export'; requestId: number; format: ExportFormat; data?: ArrayBuffer }
  | { kind: 'webviewError'; message: string };

/** Thrown by the validators; the message says which field is wrong and what was received. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

type Obj = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v === 'object' ? 'object' : `${typeof v} ${String(v)}`;
}

function obj(v: unknown, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError(`${where}: expected an object, got ${describe(v)}`);
  return v as Obj;
}

function str(o: Obj, key: string, where: string, maxLength = 4096): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ProtocolError(`${where}.${key}: expected a string, got ${describe(v)}`);
  if (v.length > maxLength) throw new ProtocolError(`${where}.${key}: string of ${v.length} characters exceeds ${maxLength}`);
  return v;
}

function optStr(o: Obj, key: string, where: string): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, where);
}

function int(o: Obj, key: string, where: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ProtocolError(`${where}.${key}: expected an integer in [${min}, ${max}], got ${describe(v)}`);
  }
  return v;
}

function finite(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProtocolError(`${where}: expected a finite number, got ${describe(v)}`);
  return v;
}

function strArray(o: Obj, key: string, where: string): string[] {
  const v = o[key];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new ProtocolError(`${where}.${key}: expected an array of strings`);
  return v as string[];
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
  const tm = obj(v, where);
  str(tm, 'image', where);
  str(tm, 'pack', where);
  str(tm, 'adapter', where);
  str(tm, 'device', where);
  if (tm.notes !== undefined) strArray(tm, 'notes', where);
  try {
    return upgradeTokenMap(v, where);
  } catch (e) {
    if (e instanceof TokenMapError) throw new ProtocolError(e.message);
    throw e;
  }
}

function validateCompare(v: unknown, where: string): CompareResult {
  const r = obj(v, where);
  const a = validateTokenMap(r.a, `${where}.a`);
  const b = validateTokenMap(r.b, `${where}.b`);
  if (!sameGeometry(a, b)) {
    throw new ProtocolError(`${where}: the two maps place their tokens differently (${a.patches.length} vs ${b.patches.length} tokens); compare needs two adapters of one model`);
  }
  if (!Array.isArray(r.changed) || r.changed.length !== a.patches.length || r.changed.some((c) => typeof c !== 'boolean')) {
    throw new ProtocolError(`${where}.changed: expected ${a.patches.length} booleans`);
  }
  const ag = finite(r.agreement, `${where}.agreement`);
  if (ag < 0 || ag > 1) throw new ProtocolError(`${where}.agreement: expected a fraction in [0, 1], got ${ag}`);
  return { ...(v as CompareResult), a, b };
}

/** Validates a message the webview received from the host. */
export function parseToWebview(v: unknown): ToWebview {
  const m = obj(v, 'message');
  const kind = m.kind;
  switch (kind) {
    case 'loading':
      str(m, 'message', 'loading');
      break;
    case 'error':
      str(m, 'message', 'error');
      optStr(m, 'fix', 'error');
      break;
    case 'exportDone':
      int(m, 'requestId', 'exportDone', 0, Number.MAX_SAFE_INTEGER);
      if (typeof m.ok !== 'boolean') throw new ProtocolError(`exportDone.ok: expected a boolean, got ${describe(m.ok)}`);
      optStr(m, 'message', 'exportDone');
      break;
    case 'viewCommand': {
      if (typeof m.command !== 'string' || !VIEW_COMMANDS.includes(m.command)) {
        throw new ProtocolError(`viewCommand.command: expected one of ${VIEW_COMMANDS.join(', ')}, got ${describe(m.command)}`);
      }
      if (m.command === 'export' && (typeof m.format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(m.format))) {
        throw new ProtocolError(`viewCommand.format: expected one of ${EXPORT_FORMATS.join(', ')}, got ${describe(m.format)}`);
      }
      break;
    }
    case 'explain': {
      const p = obj(m.payload, 'explain.payload');
      validateTokenMap(p.tokenMap, 'explain.payload.tokenMap');
      str(p, 'imageUrl', 'explain.payload', 1 << 16);
      strArray(p, 'adapters', 'explain.payload');
      str(p, 'adapter', 'explain.payload');
      int(p, 'topK', 'explain.payload', 1, MAX_TOP_K);
      break;
    }
    case 'compare': {
      const p = obj(m.payload, 'compare.payload');
      validateCompare(p.result, 'compare.payload.result');
      str(p, 'imageUrl', 'compare.payload', 1 << 16);
      strArray(p, 'adapters', 'compare.payload');
      str(p, 'adapterA', 'compare.payload');
      str(p, 'adapterB', 'compare.payload');
      int(p, 'topK', 'compare.payload', 1, MAX_TOP_K);
      break;
    }
    default:
      throw new ProtocolError(`message.kind: unknown host message kind ${describe(kind)}`);
  }
  return m as ToWebview;
}

/** Validates a message the host received from a webview. Unknown or malformed messages throw. */
export function parseFromWebview(v: unknown): FromWebview {
  const m = obj(v, 'message');
  const kind = m.kind;
  switch (kind) {
    case 'ready':
    case 'retry':
      return { kind };
    case 'setAdapter':
      return { kind, adapter: str(m, 'adapter', kind, 256) };
    case 'setCompareAdapters':
      return { kind, adapterA: str(m, 'adapterA', kind, 256), adapterB: str(m, 'adapterB', kind, 256) };
    case 'setTopK':
      return { kind, topK: int(m, 'topK', kind, 1, MAX_TOP_K) };
    case 'webviewError':
      return { kind, message: str(m, 'message', kind, 8192) };
    case 'export': {
      const requestId = int(m, 'requestId', kind, 0, Number.MAX_SAFE_INTEGER);
      const format = m.format;
      if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
        throw new ProtocolError(`export.format: expected one of ${EXPORT_FORMATS.join(', ')}, got ${describe(format)}`);
      }
      if (format === 'png') {
        const bytes = toBytes(m.data);
        if (!bytes) throw new ProtocolError(`export.data: a PNG export needs an ArrayBuffer, got ${describe(m.data)}`);
        if (bytes.byteLength < 8 || bytes[0] !== 0x89 || bytes[1] !== 0x50 || bytes[2] !== 0x4e || bytes[3] !== 0x47) {
          throw new ProtocolError(`export.data: ${bytes.byteLength} bytes that do not start with the PNG signature`);
        }
        const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        return { kind, requestId, format, data };
      }
      if (m.data !== undefined) throw new ProtocolError(`export.data: only PNG exports carry data (format ${format})`);
      return { kind, requestId, format: format as ExportFormat };
    }
    default:
      throw new ProtocolError(`message.kind: unknown webview message kind ${describe(kind)}`);
  }
}

/** State a webview keeps with setState so that a panel survives a window reload. */
export interface PersistedViewState {
  view: ViewKind;
  /** The image's URI (string form). */
  image: string;
  adapter?: string;
  adapterB?: string;
  topK?: number;
  heatmap?: boolean;
}

/** Validates state handed to a WebviewPanelSerializer; returns undefined when it cannot be used. */
export function parsePersistedState(v: unknown): PersistedViewState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Obj;
  if ((s.view !== 'explain' && s.view !== 'compare') || typeof s.image !== 'string' || s.image.length === 0) return undefined;
  const out: PersistedViewState = { view: s.view, image: s.image };
  if (typeof s.adapter === 'string') out.adapter = s.adapter;
  if (typeof s.adapterB === 'string') out.adapterB = s.adapterB;
  if (typeof s.topK === 'number' && Number.isInteger(s.topK) && s.topK >= 1 && s.topK <= MAX_TOP_K) out.topK = s.topK;
  if (typeof s.heatmap === 'boolean') out.heatmap = s.heatmap;
  return out;
}
