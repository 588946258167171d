// The typed contract between the engine process and its clients (extension host, notebook controller,
// CLI). Transport: vscode-jsonrpc over the child process's stdio. Method names are string constants
// here so that both sides import one definition; request and response shapes are the interfaces below.

import type { DeviceChoice, TokenMap, PatchScalarMap, Device } from './tokenMap';

export interface VocabularyFilters {
  /** Drop special tokens (BOS, EOS, pad, <unk>, added special tokens). Default true. */
  special?: boolean;
  /** Drop byte-fallback tokens like <0x0A>. Default true. */
  bytes?: boolean;
  /** Drop tokens without a letter or digit. Default true. */
  punctuation?: boolean;
  /** Drop sub-word continuation pieces (tokens that do not start a word). Default true. */
  subwords?: boolean;
  /** Drop common English stop-words. Default true. */
  stopwords?: boolean;
  /** Keep only tokens whose surface form is letters only (the candidate definition, docs/engine.md). Default true. */
  alphabetic?: boolean;
  /** If set, only these words are candidates (multi-token words use the sub-token mean, SEA Eq. 10). */
  wordList?: string[];
}

export interface ExplainParams {
  image: string;
  pack: string;
  adapter?: string;
  topK?: number;
  device?: DeviceChoice;
  filters?: VocabularyFilters;
  /** Requests with the same viewId supersede each other: a newer one cancels the older. */
  viewId?: string;
}

export interface AdapterInfo {
  name: string;
  description?: string;
}

export interface PackInfo {
  name: string;
  dir: string;
  description?: string;
  adapters: AdapterInfo[];
  defaultAdapter: string;
  /** The one patch grid of a grid pack; absent for family packs, whose tokens follow the image's views. */
  grid?: { rows: number; cols: number };
  /** Model family of a pack made by `pack init`. */
  family?: string;
  hasLabeling: boolean;
  hasDecoder: boolean;
  evaluation?: unknown;
}

export interface CompareParams extends Omit<ExplainParams, 'adapter'> {
  adapterA: string;
  adapterB: string;
}

export interface CompareResult {
  a: TokenMap;
  b: TokenMap;
  /** Row-major: true where the top word differs between the two adapters. */
  changed: boolean[];
  /** Fraction of patches whose top word is the same. */
  agreement: number;
}

export interface LabelsParams {
  image: string;
  pack: string;
  device?: DeviceChoice;
  /** Seed for the score-proportional sampling of one label per patch. */
  seed?: number;
}

export interface PatchLabels {
  row: number;
  col: number;
  /** The CLIP top-N words with scores, after the threshold (method §3.1, steps 2–3). */
  candidates: { word: string; score: number }[];
  /** The label sampled with probability proportional to its score (step 4); null if none survived. */
  sampled: string | null;
}

export interface LabelsResult {
  image: string;
  pack: string;
  grid: { rows: number; cols: number };
  sign: number;
  patches: PatchLabels[];
}

export interface WordsNearParams extends ExplainParams {
  word: string;
}

export interface NeighborsParams {
  word: string;
  folder: string;
  pack: string;
  adapter?: string;
  device?: DeviceChoice;
  limit?: number;
}

export interface NeighborHit {
  image: string;
  row: number;
  col: number;
  score: number;
  /** Views of a multi-view pack: which view the token came from, and its box on the image. */
  tile?: number;
  box?: import('./tokenMap').Box;
}

export interface MetricsParams {
  folder: string;
  pack: string;
  adapter?: string;
  device?: DeviceChoice;
}

export interface MetricsResult {
  pack: string;
  adapter: string;
  images: number;
  /** Images with a NAME.truth.json beside them. */
  imagesWithTruth: number;
  /** Top-1 patch-word accuracy against the truth files (null when no truth exists). */
  patchWordAccuracy: number | null;
  top5Accuracy: number | null;
  /** Fraction of patches whose top word is among the SEA labels' candidates (null without labeling). */
  labelAgreement: number | null;
  /** Modality gap D (SEA Eq. 5): mean L2 distance of visual tokens to the nearest word embedding. */
  gapD: number;
  /** TACS (K = 10) where a caption exists (NAME.txt or NAME.caption.txt); null otherwise. */
  tacs: number | null;
}

export interface ProgressNotice {
  /** Id of the request this progress belongs to, when there is one. */
  requestId?: string;
  message: string;
  /** 0..1 when known. */
  fraction?: number;
}

export interface LogNotice {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

export interface DeviceNotice {
  requested: DeviceChoice;
  used: Device;
  /** Why the requested device was not used, in one line (e.g. "WebGPU: no adapter found"). */
  reason?: string;
}

/** Request methods: name → [params, result]. */
export interface EngineRequests {
  'engine/packInfo': [{ pack: string }, PackInfo];
  'engine/explain': [ExplainParams, TokenMap];
  'engine/compare': [CompareParams, CompareResult];
  'engine/labels': [LabelsParams, LabelsResult];
  'engine/wordsNear': [WordsNearParams, PatchScalarMap];
  'engine/neighbors': [NeighborsParams, NeighborHit[]];
  'engine/metrics': [MetricsParams, MetricsResult];
  'engine/shutdown': [Record<string, never>, null];
}

/** Notifications from the engine to its client. */
export interface EngineNotifications {
  'engine/progress': ProgressNotice;
  'engine/log': LogNotice;
  'engine/device': DeviceNotice;
}

export type EngineMethod = keyof EngineRequests;

/** Error codes the engine uses in JSON-RPC errors, so clients can tell the user what to fix. */
export enum EngineErrorCode {
  BadInput = -32010,
  PackInvalid = -32011,
  ImageInvalid = -32012,
  Cancelled = -32800,
  Internal = -32603,
}
