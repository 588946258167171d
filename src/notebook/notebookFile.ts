// The *.sealens file format, with no VS Code types, so that the extension's serializer and the headless
// runner read and write exactly the same bytes. Diff-friendly: stable key order, 2-space indent, each
// cell its own block. Keys this version does not know are kept (in `extra`) and written back, so a file
// from a newer SEA Lens survives a round trip through an older one.

import { LIMITS } from '../shared/mediaLimits';
import { NOTEBOOK_FORMAT_VERSION, storedOutputSizeProblem, type NotebookFileOutput } from '../shared/notebookFormat';

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
  const where = (path: string) => `${fileLabel}: ${path}`;
  if (!isObject(raw)) throw new NotebookFormatError(`${where('top level')} must be a JSON object with "version" and "cells", found ${typeName(raw)}.`);
  if (raw.version !== NOTEBOOK_FORMAT_VERSION) {
    throw new NotebookFormatError(
      typeof raw.version === 'number'
        ? `${where('"version"')} is ${raw.version}; this SEA Lens reads version ${NOTEBOOK_FORMAT_VERSION}. Update SEA Lens to open it.`
        : `${where('"version"')} must be the number ${NOTEBOOK_FORMAT_VERSION}, found ${typeName(raw.version)}.`,
    );
  }
  if (!Array.isArray(raw.cells)) throw new NotebookFormatError(`${where('"cells"')} must be an array, found ${typeName(raw.cells)}.`);
  const cells = raw.cells.map((c, i) => parseCell(c, `${where(`cells[${i}]`)}`));
  return { version: raw.version, cells, extra: extraKeys(raw, TOP_KEYS) };
}

function parseCell(raw: unknown, at: string): NotebookDocCell {
  if (!isObject(raw)) throw new NotebookFormatError(`${at} must be an object, found ${typeName(raw)}.`);
  if (raw.kind !== 'markdown' && raw.kind !== 'code') {
    throw new NotebookFormatError(`${at}.kind must be "markdown" or "code", found ${JSON.stringify(raw.kind) ?? 'nothing'}.`);
  }
  if (typeof raw.source !== 'string') throw new NotebookFormatError(`${at}.source must be a string, found ${typeName(raw.source)}.`);
  const outputsRaw = raw.outputs ?? [];
  if (!Array.isArray(outputsRaw)) throw new NotebookFormatError(`${at}.outputs must be an array, found ${typeName(outputsRaw)}.`);
  const outputs = outputsRaw.map((o, j) => parseOutput(o, `${at}.outputs[${j}]`));
  return { kind: raw.kind, source: raw.source, outputs, extra: extraKeys(raw, CELL_KEYS) };
}

function parseOutput(raw: unknown, at: string): NotebookDocOutput {
  if (!isObject(raw)) throw new NotebookFormatError(`${at} must be an object, found ${typeName(raw)}.`);
  if (typeof raw.mime !== 'string' || raw.mime === '') throw new NotebookFormatError(`${at}.mime must be a non-empty string.`);
  if (!('data' in raw)) throw new NotebookFormatError(`${at} (${raw.mime}) has no "data".`);
  if (!isJsonMime(raw.mime) && typeof raw.data !== 'string') {
    throw new NotebookFormatError(`${at}.data must be a string for ${raw.mime} (text, or base64 for binary), found ${typeName(raw.data)}.`);
  }
  // Sizes before anything allocates by them (text fallbacks, the HTML report, the renderer's layout).
  const tooBig = storedOutputSizeProblem(raw.mime, raw.data, `${at}.data`);
  if (tooBig) {
    throw new NotebookFormatError(
      `${tooBig} (${raw.mime}). SEA Lens did not write this output, or the file is damaged: delete the output ` +
        `in a text editor (Reopen Editor With… > Text Editor) and run the cell again; SEA Lens will not save over it.`,
    );
  }
  return { mime: raw.mime, data: raw.data, extra: extraKeys(raw, OUTPUT_KEYS) };
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
