// The *.sealens notebook: file format names and the payloads of its outputs. Shared by the serializer
// (extension host), the headless runner (CLI), and the notebook renderer (browser), so that a payload
// written by one side is read by the others with one definition. Documented in docs/notebook.md.

import type { TokenMap, PatchScalarMap } from './tokenMap';
import type { CompareResult, LabelsResult, MetricsResult, NeighborHit } from './engineProtocol';

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
  result: MetricsResult;
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
