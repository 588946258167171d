// The *.sealens notebook: file format names and the payloads of its outputs. Shared by the serializer
// (extension host), the headless runner (CLI), and the notebook renderer (browser), so that a payload
// written by one side is read by the others with one definition. Documented in docs/notebook.md.

import { TOKENMAP_MIME, type TokenMap, type PatchScalarMap } from './tokenMap';
import type { CompareResult, LabelsResult, MetricsResult, NeighborHit } from './engineProtocol';
import { LIMITS } from './mediaLimits';

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
export interface NotebookFileOutput {
  mime: string;
  data: unknown;
}

/**
 * Size check of a stored output, before anything is drawn, upgraded or laid out: a notebook file is data
 * anyone can edit, and a 226-byte output that claims a 10000×10000 grid would otherwise make the text
 * fallback, the HTML report or the renderer allocate 10^8 cells. Returns what is wrong (with the field's
 * path under `at`), or undefined when the output is within LIMITS. Shapes are checked by the validators
 * of each payload; this looks only at sizes, so it never rejects a payload merely for being of another kind.
 */
export function storedOutputSizeProblem(mime: string, data: unknown, at = 'data'): string | undefined {
  if (!isRecord(data)) return undefined;
  switch (mime) {
    case TOKENMAP_MIME:
      return tokenMapSizeProblem(data, at);
    case COMPARE_MIME: {
      const r = data.result;
      if (!isRecord(r)) return undefined;
      return tokenMapSizeProblem(r.a, `${at}.result.a`) ?? tokenMapSizeProblem(r.b, `${at}.result.b`) ?? listProblem(r.changed, `${at}.result.changed`, LIMITS.maxTokens);
    }
    case LABELS_MIME: {
      const r = data.result;
      if (!isRecord(r)) return undefined;
      const cells = gridCells(r.grid);
      return gridProblem(r.grid, `${at}.result.grid`) ?? listProblem(r.patches, `${at}.result.patches`, typeof cells === 'number' ? cells : LIMITS.maxTokens);
    }
    case WORDS_NEAR_MIME: {
      const m = data.map;
      const mapProblem = isRecord(m) ? gridProblem(m.grid, `${at}.map.grid`) ?? listProblem(m.values, `${at}.map.values`, LIMITS.maxTokens, gridCells(m.grid)) : undefined;
      return mapProblem ?? tokenMapSizeProblem(data.tokenMap, `${at}.tokenMap`);
    }
    case NEIGHBORS_MIME:
      return listProblem(data.hits, `${at}.hits`, LIMITS.maxTokens);
    default:
      return undefined;
  }
}

function tokenMapSizeProblem(tm: unknown, at: string): string | undefined {
  if (!isRecord(tm)) return undefined;
  const cells = gridCells(tm.grid);
  return gridProblem(tm.grid, `${at}.grid`)
    ?? listProblem(tm.patches, `${at}.patches`, LIMITS.maxTokens, cells)
    ?? listProblem(tm.views, `${at}.views`, LIMITS.maxTokens)
    ?? (Array.isArray(tm.views) ? tm.views.map((v, i) => (isRecord(v) ? gridProblem(v.grid, `${at}.views[${i}].grid`) : undefined)).find((p) => p) : undefined);
}

/** rows × cols when `g` is a grid of whole numbers, else undefined. */
function gridCells(g: unknown): number | undefined {
  return isRecord(g) && Number.isInteger(g.rows) && Number.isInteger(g.cols) ? (g.rows as number) * (g.cols as number) : undefined;
}

function gridProblem(g: unknown, at: string): string | undefined {
  if (g === undefined || g === null) return undefined;
  const { maxGridSide: side, maxGridCells: cells } = LIMITS;
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= side;
  if (!isRecord(g) || !ok(g.rows) || !ok(g.cols)) {
    return `${at} must have whole rows and cols from 1 to ${side}, found ${JSON.stringify(g)?.slice(0, 80)}`;
  }
  const n = (g.rows as number) * (g.cols as number);
  return n > cells ? `${at} is ${g.rows}×${g.cols} = ${n} cells; at most ${cells} are supported` : undefined;
}

function listProblem(list: unknown, at: string, max: number, exact?: number): string | undefined {
  if (!Array.isArray(list)) return undefined;
  if (list.length > max) return `${at} has ${list.length} entries; at most ${max} are supported`;
  if (exact !== undefined && list.length !== exact) return `${at} has ${list.length} entries but its grid has ${exact} cells`;
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
