// The *.sealens notebook: file format names and the payloads of its outputs. Shared by the serializer
// (extension host), the headless runner (CLI), and the notebook renderer (browser), so that a payload
// written by one side is read by the others with one definition. Documented in docs/notebook.md.
// The file and its outputs' size limits are defined once, in schemas/notebook.schema.json; its types and
// validators are generated (src/shared/generated/notebook*.ts). The payload types below compose the
// engine's result types (TokenMap, CompareResult, …), whose shapes the renderer checks when it draws them.

import { TOKENMAP_MIME, type TokenMap, type PatchScalarMap } from './tokenMap';
import type { CompareResult, LabelsResult, MetricsResult, NeighborHit } from './engineProtocol';
import { LIMITS } from './mediaLimits';
import type * as Gen from './generated/notebook';
import { validateCompareOutput, validateLabelsOutput, validateNeighborsOutput, validateTokenMapOutput, validateWordsNearOutput } from './generated/notebook.validate';
import { describeSchemaErrors, pointerPath, type CompiledValidator, type SchemaError, type SchemaNode } from './schemaErrors';
import schema from '../../schemas/notebook.schema.json';

export const NOTEBOOK_TYPE = 'sealens-notebook';
export const CELL_LANGUAGE = 'sealens-cell';
export const NOTEBOOK_FORMAT_VERSION = 1;
export const RENDERER_ID = 'sealens-notebook-renderer';

/** VS Code's standard error MIME: the workbench renders it as an error with a stack. */
export const ERROR_MIME = 'application/vnd.code.notebook.error';
export const COMPARE_MIME = 'application/vnd.sealens.compare+json';
export const LABELS_MIME = 'application/vnd.sealens.labels+json';
export const WORDS_NEAR_MIME = 'application/vnd.sealens.wordsnear+json';
export const NEIGHBORS_MIME = 'application/vnd.sealens.neighbors+json';
export const METRICS_MIME = 'application/vnd.sealens.metrics+json';

/**
 * Pixels travel with the output: a notebook renderer (VS Code or Jupyter) cannot read files from disk,
 * so every payload that draws on an image carries it as a data URI (downscaled when large).
 */
export interface ImagePixels {
  /** `data:image/png;base64,…` or `data:image/jpeg;base64,…`. Absent when the image could not be read. */
  imageDataUri?: string;
}

/** Payload of TOKENMAP_MIME in a notebook: the engine's TokenMap plus the image's pixels. */
export type NotebookTokenMap = TokenMap & ImagePixels;

export interface ComparePayload extends ImagePixels {
  image: string;
  result: CompareResult;
}

export interface LabelsPayload extends ImagePixels {
  image: string;
  result: LabelsResult;
  /** Where the patch grid lies on the image (from an explain of the same image), for drawing. */
  region?: TokenMap['region'];
  imageSize?: TokenMap['imageSize'];
}

export interface WordsNearPayload extends ImagePixels {
  word: string;
  map: PatchScalarMap;
  /** The image's TokenMap, so that the heatmap is drawn with the words it is compared with. */
  tokenMap: TokenMap;
}

export interface NeighborsPayload {
  word: string;
  folder: string;
  /** Image paths as written relative to the notebook's folder. */
  hits: NeighborHit[];
  /** Image path → thumbnail data URI. */
  thumbnails: Record<string, string>;
}

export interface MetricsPayload {
  folder: string;
  /** The first adapter's metrics (what readers that know one result show). */
  result: MetricsResult;
  /**
   * Every adapter's metrics over the folder, in the cell's order, when a cell asks for several on
   * consecutive lines (result === results[0]); one table with a column per adapter (metricsTable).
   */
  results?: MetricsResult[];
}

/** Payload of ERROR_MIME (what vscode.NotebookCellOutputItem.error writes). */
export interface ErrorPayload {
  name: string;
  message: string;
  stack?: string;
}

/** One output item as the notebook file stores it: JSON MIMEs as JSON, text as a string, else base64. */
export type NotebookFileOutput = Gen.Output;

/** The size rules of each output MIME (schemas/notebook.schema.json, definitions *Output). */
const SIZE_VALIDATORS: Record<string, CompiledValidator> = {
  [TOKENMAP_MIME]: validateTokenMapOutput,
  [COMPARE_MIME]: validateCompareOutput,
  [LABELS_MIME]: validateLabelsOutput,
  [WORDS_NEAR_MIME]: validateWordsNearOutput,
  [NEIGHBORS_MIME]: validateNeighborsOutput,
};

/**
 * Size check of a stored output, before anything is drawn, upgraded or laid out: a notebook file is data
 * anyone can edit, and a 226-byte output that claims a 10000×10000 grid would otherwise make the text
 * fallback, the HTML report or the renderer allocate 10^8 cells. Returns what is wrong (with the field's
 * path under `at`), or undefined when the output is within LIMITS. First the schema's bounds (grid sides,
 * list lengths), then what JSON Schema cannot state (rows × cols, patches = cells). Only sizes: a payload
 * of another shape is left to the validators of each payload.
 */
export function storedOutputSizeProblem(mime: string, data: unknown, at = 'data'): string | undefined {
  const validate = SIZE_VALIDATORS[mime];
  if (!validate || !isRecord(data)) return undefined;
  if (!validate(data)) return sizeErrorMessage(validate.errors ?? [], data, at);
  switch (mime) {
    case TOKENMAP_MIME:
      return tokenMapCellsProblem(data, at);
    case COMPARE_MIME: {
      const r = data.result;
      if (!isRecord(r)) return undefined;
      return tokenMapCellsProblem(r.a, `${at}.result.a`) ?? tokenMapCellsProblem(r.b, `${at}.result.b`);
    }
    case LABELS_MIME: {
      const r = data.result;
      if (!isRecord(r)) return undefined;
      const cells = gridCells(r.grid);
      return cellsProblem(r.grid, `${at}.result.grid`) ?? (cells !== undefined && Array.isArray(r.patches) && r.patches.length > cells ? `${at}.result.patches has ${r.patches.length} entries; at most ${cells} are supported` : undefined);
    }
    case WORDS_NEAR_MIME: {
      const m = data.map;
      const mapProblem = isRecord(m) ? cellsProblem(m.grid, `${at}.map.grid`) ?? listProblem(m.values, `${at}.map.values`, gridCells(m.grid)) : undefined;
      return mapProblem ?? tokenMapCellsProblem(data.tokenMap, `${at}.tokenMap`);
    }
    default:
      return undefined;
  }
}

/** The first schema error as the sentence the notebook messages use (a grid is quoted whole). */
function sizeErrorMessage(errors: readonly SchemaError[], data: unknown, at: string): string {
  const gridError = errors.find((e) => /\/grid(\/(rows|cols))?$/.test(e.instancePath));
  if (gridError) {
    const pointer = gridError.instancePath.replace(/\/(rows|cols)$/, '');
    const side = LIMITS.maxGridSide;
    return `${pointerPath(at, pointer)} must have whole rows and cols from 1 to ${side}, found ${JSON.stringify(valueAt(data, pointer))?.slice(0, 80)}`;
  }
  return describeSchemaErrors(errors, at, schema as SchemaNode)[0];
}

function valueAt(data: unknown, pointer: string): unknown {
  return pointer.split('/').slice(1).reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), data);
}

function tokenMapCellsProblem(tm: unknown, at: string): string | undefined {
  if (!isRecord(tm)) return undefined;
  return cellsProblem(tm.grid, `${at}.grid`)
    ?? listProblem(tm.patches, `${at}.patches`, gridCells(tm.grid))
    ?? (Array.isArray(tm.views) ? tm.views.map((v, i) => (isRecord(v) ? cellsProblem(v.grid, `${at}.views[${i}].grid`) : undefined)).find((p) => p) : undefined);
}

/** rows × cols when `g` is a grid of whole numbers, else undefined. */
function gridCells(g: unknown): number | undefined {
  return isRecord(g) && Number.isInteger(g.rows) && Number.isInteger(g.cols) ? (g.rows as number) * (g.cols as number) : undefined;
}

/** A grid whose sides passed the schema but whose cells exceed LIMITS.maxGridCells. */
function cellsProblem(g: unknown, at: string): string | undefined {
  const n = gridCells(g);
  return n !== undefined && n > LIMITS.maxGridCells && isRecord(g) ? `${at} is ${g.rows}×${g.cols} = ${n} cells; at most ${LIMITS.maxGridCells} are supported` : undefined;
}

function listProblem(list: unknown, at: string, exact: number | undefined): string | undefined {
  if (!Array.isArray(list) || exact === undefined || list.length === exact) return undefined;
  return `${at} has ${list.length} entries but its grid has ${exact} cells`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
