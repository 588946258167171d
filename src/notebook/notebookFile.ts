// The *.sealens file format, with no VS Code types, so that the extension's serializer and the headless
// runner read and write exactly the same bytes. Diff-friendly: stable key order, 2-space indent, each
// cell its own block. Keys this version does not know are kept (in `extra`) and written back, so a file
// from a newer SEA Lens survives a round trip through an older one.

import { LIMITS } from '../shared/mediaLimits';
import { NOTEBOOK_FORMAT_VERSION, storedOutputSizeProblem, type NotebookFileOutput } from '../shared/notebookFormat';
import type { NotebookFile } from '../shared/generated/notebook';
import { validateNotebookFile } from '../shared/generated/notebook.validate';
import { describeSchemaErrors, pointerPath, type SchemaError, type SchemaNode } from '../shared/schemaErrors';
import schema from '../../schemas/notebook.schema.json';

export type CellKind = 'markdown' | 'code';

export interface NotebookDocOutput extends NotebookFileOutput {
  /** Keys of the output object this version does not know, in file order. */
  extra: Record<string, unknown>;
}

export interface NotebookDocCell {
  kind: CellKind;
  source: string;
  outputs: NotebookDocOutput[];
  extra: Record<string, unknown>;
}

export interface NotebookDoc {
  version: number;
  cells: NotebookDocCell[];
  extra: Record<string, unknown>;
}

/** A file that is not a notebook this version can open; the message says why and what to do. */
export class NotebookFormatError extends Error {
  override name = 'NotebookFormatError';
}

const TOP_KEYS = ['version', 'cells'];
const CELL_KEYS = ['kind', 'source', 'outputs'];
const OUTPUT_KEYS = ['mime', 'data'];

export function emptyNotebook(): NotebookDoc {
  return { version: NOTEBOOK_FORMAT_VERSION, cells: [], extra: {} };
}

/**
 * Parses a notebook file. An empty file is an empty notebook (VS Code creates new files empty); anything
 * else that is not a version-1 notebook throws, so the editor shows the reason and never saves over it.
 */
export function parseNotebook(text: string, fileLabel = 'notebook'): NotebookDoc {
  if (text.trim() === '') return emptyNotebook();
  if (text.length > LIMITS.maxNotebookBytes) {
    throw new NotebookFormatError(
      `${fileLabel} is ${(text.length / 1024 / 1024).toFixed(0)} MiB; SEA Lens opens notebooks up to ${LIMITS.maxNotebookBytes / 1024 / 1024} MiB. ` +
        `Clear some outputs in a text editor, or split the notebook.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(
      `${fileLabel} is not valid JSON (${(err as Error).message}). Fix the file in a text editor ` +
        `(Reopen Editor With… > Text Editor); SEA Lens will not save over it.`,
    );
  }
  if (!validateNotebookFile(raw)) throw new NotebookFormatError(fileProblem(validateNotebookFile.errors ?? [], raw, fileLabel));
  const file = raw as unknown as NotebookFile & Record<string, unknown>;
  const cells = file.cells.map((c, i) => {
    const outputs = (c.outputs ?? []).map((o, j) => {
      // What the schema cannot state (rows × cols, patches = cells), before anything allocates by it.
      const tooBig = storedOutputSizeProblem(o.mime, o.data, `${fileLabel}: cells[${i}].outputs[${j}].data`);
      if (tooBig) throw new NotebookFormatError(outputSizeMessage(tooBig, o.mime));
      return { mime: o.mime, data: o.data, extra: extraKeys(o, OUTPUT_KEYS) };
    });
    return { kind: c.kind, source: c.source, outputs, extra: extraKeys(c as unknown as Record<string, unknown>, CELL_KEYS) };
  });
  return { version: file.version, cells, extra: extraKeys(file, TOP_KEYS) };
}

const outputSizeMessage = (problem: string, mime: string) =>
  `${problem} (${mime}). SEA Lens did not write this output, or the file is damaged: delete the output ` +
  `in a text editor (Reopen Editor With… > Text Editor) and run the cell again; SEA Lens will not save over it.`;

/**
 * The first problem schemas/notebook.schema.json found, as a sentence that names the field (file label +
 * path) and says what to do. The version comes first: a file from a newer SEA Lens is not "damaged".
 */
/** What to do about a damaged file, said after each structural problem. */
const FIX = ' Fix the file in a text editor (Reopen Editor With… > Text Editor); SEA Lens will not save over it.';

const FIELD_ORDER = ['', 'version', 'cells', 'kind', 'source', 'outputs', 'mime', 'data'];

function fileProblem(errors: readonly SchemaError[], raw: unknown, fileLabel: string): string {
  const top = raw as Record<string, unknown>;
  const field = (e: SchemaError) => e.instancePath + (e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '');
  const specific = errors.filter((e) => !['if', 'oneOf', 'anyOf', 'allOf'].includes(e.keyword));
  // The problem a reader meets first: the version, then in file order, a cell's fields in their order.
  const rank = (seg: string) => (/^\d+$/.test(seg) ? Number(seg) : FIELD_ORDER.indexOf(seg) >>> 0);
  const before = (a: SchemaError, b: SchemaError) => {
    const [x, y] = [field(a).split('/').map(rank), field(b).split('/').map(rank)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
  const e = [...(specific.length ? specific : errors)].sort(before)[0];
  const f = field(e);
  const at = (pointer: string) => `${fileLabel}: ${pointerPath('', pointer).replace(/^\./, '')}`;
  const found = typeName(e.keyword === 'required' ? undefined : e.data);
  if (f === '') return `${fileLabel}: top level must be a JSON object with "version" and "cells", found ${typeName(raw)}.${FIX}`;
  if (f === '/version') {
    if (typeof top.version === 'number' && top.version < NOTEBOOK_FORMAT_VERSION) {
      return `${fileLabel}: "version" is ${top.version}; no SEA Lens wrote that version (this one reads version ${NOTEBOOK_FORMAT_VERSION}). Set "version" to ${NOTEBOOK_FORMAT_VERSION} in a text editor if the file is otherwise a SEA Lens notebook.`;
    }
    return typeof top.version === 'number'
      ? `${fileLabel}: "version" is ${top.version}; this SEA Lens reads version ${NOTEBOOK_FORMAT_VERSION}. Update SEA Lens to open it.`
      : `${fileLabel}: "version" must be the number ${NOTEBOOK_FORMAT_VERSION}, found ${typeName(top.version)}.${FIX}`;
  }
  if (f === '/cells') return `${fileLabel}: "cells" must be an array, found ${found}.${FIX}`;
  let m: RegExpExecArray | null;
  if ((m = /^\/cells\/\d+(\/outputs\/\d+)?$/.exec(f))) return `${at(f)} must be an object, found ${found}.${FIX}`;
  if (/^\/cells\/\d+\/kind$/.test(f)) return `${at(f)} must be "markdown" or "code", found ${JSON.stringify(e.data) ?? 'nothing'}.${FIX}`;
  if (/^\/cells\/\d+\/source$/.test(f)) return `${at(f)} must be a string, found ${found}.${FIX}`;
  if (/^\/cells\/\d+\/outputs$/.test(f)) return `${at(f)} must be an array, found ${found}.${FIX}`;
  if (/^\/cells\/\d+\/outputs\/\d+\/mime$/.test(f)) return `${at(f)} must be a non-empty string.${FIX}`;
  if ((m = /^(\/cells\/\d+\/outputs\/\d+)\/data(\/.*)?$/.exec(f))) {
    const output = valueAt(raw, m[1]) as { mime: string; data: unknown };
    if (e.keyword === 'required') return `${at(m[1])} (${output.mime}) has no "data".${FIX}`;
    if (m[2] === undefined && e.keyword === 'type') {
      return `${at(f)} must be a string for ${output.mime} (text, or base64 for binary), found ${found}.${FIX}`;
    }
    const tooBig = storedOutputSizeProblem(output.mime, output.data, at(`${m[1]}/data`));
    if (tooBig) return outputSizeMessage(tooBig, output.mime);
  }
  return `${fileLabel}: ${describeSchemaErrors([e], '', schema as SchemaNode)[0].replace(/^\./, '')}${FIX}`;
}

function valueAt(data: unknown, pointer: string): unknown {
  return pointer.split('/').slice(1).reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), data);
}

/** Writes a notebook: known keys first in a fixed order, unknown keys after them in their original order. */
export function formatNotebook(doc: NotebookDoc): string {
  const file = {
    version: doc.version,
    cells: doc.cells.map((c) => ({
      kind: c.kind,
      source: c.source,
      outputs: c.outputs.map((o) => ({ mime: o.mime, data: o.data, ...without(o.extra, OUTPUT_KEYS) })),
      ...without(c.extra, CELL_KEYS),
    })),
    ...without(doc.extra, TOP_KEYS),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

/** True for MIME types whose data the file stores as JSON rather than as a string. */
export function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || mime.endsWith('+json') || mime === 'application/vnd.code.notebook.error';
}

/** True for MIME types whose data the file stores as text (everything else that is not JSON is base64). */
export function isTextMime(mime: string): boolean {
  return mime.startsWith('text/') || mime === 'image/svg+xml' || mime.startsWith('application/vnd.code.notebook.std');
}

/** Output item bytes → the value the file stores. */
export function encodeOutputData(mime: string, bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  if (isJsonMime(mime)) {
    try {
      return JSON.parse(text);
    } catch {
      return text; // keep malformed JSON as text rather than losing it
    }
  }
  if (isTextMime(mime)) return text;
  return Buffer.from(bytes).toString('base64');
}

/** The value the file stores → output item bytes. */
export function decodeOutputData(mime: string, data: unknown): Uint8Array {
  if (isJsonMime(mime)) return new TextEncoder().encode(typeof data === 'string' ? data : JSON.stringify(data));
  if (isTextMime(mime)) return new TextEncoder().encode(String(data));
  return new Uint8Array(Buffer.from(String(data), 'base64'));
}

function extraKeys(raw: Record<string, unknown>, known: string[]): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!known.includes(k)) extra[k] = v;
  return extra;
}

function without(extra: Record<string, unknown>, known: string[]): Record<string, unknown> {
  // Known keys in `extra` (e.g. from a hand-edited metadata) must never override the real fields.
  return Object.fromEntries(Object.entries(extra).filter(([k]) => !known.includes(k)));
}

function typeName(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
