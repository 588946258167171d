// Loads a model pack once per (pack, device): manifest → preprocessor → encoder session → adapters →
// embedding table → tokenizer. Dimensions are checked to chain (encoder D = adapter input, adapter output
// = embedding width H) with the numbers named. One VocabularyTable per pack; a filter set is a list of
// candidate rows over it (searchIndex.ts), built on first use and cached. Packs made by `pack init` also
// carry their model family, which turns an image into views and places every token (families/).
import * as ort from 'onnxruntime-node';
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PackInfo, VocabularyFilters } from '../shared/engineProtocol';
import type { Device, DeviceChoice } from '../shared/tokenMap';
import { readMlpWeights } from './adapterWeights';
import { estimateMacs, sessionOptions, withDevice } from './devices';
import { packError } from './engineError';
import { ADAPTER_INPUT, ADAPTER_OUTPUT, adapterModel } from './headGraphs';
import type { FamilyConfig, ModelFamily } from './families/family';
import { getFamily } from './families/registry';
import { geometryTensors, readManifest, type PackManifest } from './packManifest';
import { parsePreprocessorConfig, type PreprocessorConfig } from './preprocess';
import { assertFinite, readSafetensorsHeader, readTensorF32 } from './safetensors';
import { readEmbeddingTable } from './embeddingTable';
import { parsePackFilters, VocabularyTable, type SearchIndex } from './searchIndex';
import { loadTokenizer, sizeMismatchNote, type LoadedTokenizer } from './vocabulary';

export interface LoadedAdapter {
  name: string;
  description?: string;
  session: ort.InferenceSession;
  /** ONNX adapters from the pack take [B, P, D]; graphs built from safetensors take [P, D]. */
  batched: boolean;
  input: string;
  output: string;
}

export interface EncoderInfo {
  session: ort.InferenceSession;
  input: string;
  /** Output to read and, for per-layer outputs, which layer. */
  read: { kind: 'plain'; name: string } | { kind: 'stacked'; name: string; layer: number } | { kind: 'separate'; name: string };
  prefixTokens: number;
  patchSize: number;
  dim: number;
  patchEmbedsOutput?: string;
}

export interface LoadedPack {
  dir: string;
  manifest: PackManifest;
  device: Device;
  deviceReason?: string;
  preprocessor: PreprocessorConfig;
  encoder: EncoderInfo;
  /** The one patch grid of a grid pack (hand-written manifests, the demo pack); family packs have views instead. */
  grid?: { rows: number; cols: number };
  /** Packs made by `pack init`: the model family that places the tokens, with its parsed processor settings. */
  family?: { def: ModelFamily; config: FamilyConfig };
  /** Learned vectors a family's layout inserts (LLaVA-NeXT's image_newline), [H] each. */
  extras: Map<string, Float32Array>;
  adapters: Map<string, LoadedAdapter>;
  defaultAdapter: string;
  /** The LLM input-embedding table [rows, width], float32. */
  embeddings: { data: Float32Array; rows: number; width: number };
  tokenizer: LoadedTokenizer;
  /** Labeling word list of the pack (may be empty). */
  packWords: string[];
  labelWordEmbeddings?: { data: Float32Array; rows: number; width: number };
  searchIndex(filters: VocabularyFilters): Promise<SearchIndex>;
  info(): PackInfo;
  release(): Promise<void>;
}

const lastDim = (shape: readonly (number | string)[] | undefined): number | undefined => {
  const d = shape?.[shape.length - 1];
  return typeof d === 'number' ? d : undefined;
};

function metaOf(list: readonly ort.InferenceSession.ValueMetadata[], name: string): readonly (number | string)[] | undefined {
  const m = list.find((v) => v.name === name);
  return m && m.isTensor ? m.shape : undefined;
}

/**
 * Bytes of an ONNX model's weights, for the thread choice: the file plus the files beside it that may hold
 * its external data (any name is allowed, so every file that is not JSON, text or another .onnx counts).
 * Overcounting only keeps the multithreaded default; a file that cannot be read counts as large.
 */
function onnxWeightBytes(file: string): number {
  try {
    let bytes = statSync(file).size;
    const dir = path.dirname(file);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isFile() && !/\.(json|txt|onnx|md)$/i.test(e.name)) bytes += statSync(path.join(dir, e.name)).size;
    }
    return bytes;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** `macs`: estimated multiply–adds per call, which picks the CPU thread count (devices.ts). */
async function openSession(model: string | Uint8Array, device: Device, label: string, macs?: number): Promise<ort.InferenceSession> {
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, sessionOptions(device, macs))
      : await ort.InferenceSession.create(model, sessionOptions(device, macs));
  } catch (e) {
    if (device !== 'cpu') throw e;
    throw packError(`${label}: onnxruntime cannot load it as an ONNX model (${(e as Error).message.split('\n')[0]}); re-export the model, or point manifest.json at the right file`);
  }
}

function encoderRead(session: ort.InferenceSession, m: PackManifest['imageEncoder']): EncoderInfo['read'] {
  const outs = session.outputNames;
  const idx = m.hiddenStateIndex;
  if (idx === undefined) {
    if (!outs.includes(m.output)) throw packError(`manifest.json: /imageEncoder/output: the encoder has no output "${m.output}" (it has: ${outs.join(', ')})`);
    return { kind: 'plain', name: m.output };
  }
  if (outs.includes(m.output)) {
    const shape = metaOf(session.outputMetadata, m.output);
    if (shape && shape.length !== 4) throw packError(`manifest.json: /imageEncoder/hiddenStateIndex: output "${m.output}" has rank ${shape.length}; stacked hidden states must be [L, B, T, D]`);
    const layers = typeof shape?.[0] === 'number' ? shape[0] : undefined;
    const layer = idx < 0 ? (layers !== undefined ? layers + idx : idx) : idx;
    if (layers !== undefined && (layer < 0 || layer >= layers)) throw packError(`manifest.json: /imageEncoder/hiddenStateIndex: ${idx} is out of range for ${layers} stacked hidden states`);
    return { kind: 'stacked', name: m.output, layer };
  }
  const per = outs.filter((o) => o.startsWith(`${m.output}.`) && /^\d+$/.test(o.slice(m.output.length + 1)));
  if (!per.length) throw packError(`manifest.json: /imageEncoder/output: the encoder has no output "${m.output}" or "${m.output}.0…" (it has: ${outs.join(', ')})`);
  const layer = idx < 0 ? per.length + idx : idx;
  if (layer < 0 || layer >= per.length) throw packError(`manifest.json: /imageEncoder/hiddenStateIndex: ${idx} is out of range for ${per.length} outputs ${m.output}.0…${per.length - 1}`);
  return { kind: 'separate', name: `${m.output}.${layer}` };
}

export async function loadPack(packDir: string, choice: DeviceChoice): Promise<LoadedPack> {
  const { dir, manifest, resolve } = await readManifest(packDir);
  const m = manifest.imageEncoder;
  const ppFile = resolve(m.preprocessor);
  let ppJson: unknown;
  try {
    ppJson = JSON.parse(await readFile(ppFile, 'utf8'));
  } catch (e) {
    throw packError(`${m.preprocessor}: not valid JSON (${(e as Error).message}); re-save it from the model's image processor (save_pretrained)`);
  }
  const familyDef = manifest.model ? getFamily(manifest.model.family) : undefined;
  if (familyDef && (typeof ppJson !== 'object' || ppJson === null)) throw packError(`${m.preprocessor}: not a JSON object`);
  const family = familyDef ? { def: familyDef, config: familyDef.parse(ppJson as Record<string, unknown>, m.geometry ?? {}, m.preprocessor, m.patchSize) } : undefined;
  const preprocessor = parsePreprocessorConfig(family ? { ...(ppJson as object), do_resize: false, do_center_crop: false } : ppJson, m.preprocessor);
  let grid: { rows: number; cols: number } | undefined;
  if (!family) {
    const cropH = preprocessor.crop?.height ?? (preprocessor.resize?.kind === 'exact' ? preprocessor.resize.height : undefined);
    const cropW = preprocessor.crop?.width ?? (preprocessor.resize?.kind === 'exact' ? preprocessor.resize.width : undefined);
    if (!cropH || !cropW) throw packError(`${m.preprocessor}: the input size is not fixed (set crop_size, or size {height, width}); the patch grid needs a fixed size`);
    if (cropH % m.patchSize || cropW % m.patchSize) throw packError(`${m.preprocessor}: input ${cropW}×${cropH} is not a multiple of patchSize ${m.patchSize}; fix crop_size / size in it or /imageEncoder/patchSize in manifest.json`);
    grid = { rows: cropH / m.patchSize, cols: cropW / m.patchSize };
  }

  // The encoder decides the device: `auto` tries GPU providers with it and falls back to the CPU.
  const encPath = resolve(m.onnx);
  // Family packs: the token count depends on the image; size the thread choice for a typical 576-token view.
  const P = grid ? grid.rows * grid.cols : 576;
  const encMacs = estimateMacs(onnxWeightBytes(encPath) / 4, P + (m.prefixTokens ?? 1));
  const { device, value: encSession, reason } = await withDevice(choice, (d) => openSession(encPath, d, m.onnx, encMacs), encMacs);
  const sessions: ort.InferenceSession[] = [encSession];
  try {
    const read = encoderRead(encSession, m);
    const input = m.input ?? encSession.inputNames[0];
    if (!encSession.inputNames.includes(input)) throw packError(`manifest.json: /imageEncoder/input: the encoder has no input "${input}" (it has: ${encSession.inputNames.join(', ')})`);
    const outShape = metaOf(encSession.outputMetadata, read.kind === 'separate' ? read.name : read.name);
    const dim = lastDim(outShape);
    if (dim === undefined) throw packError(`${m.onnx}: output "${read.name}" has no fixed last dimension; SEA Lens needs the token width D`);
    const tokens = outShape?.[outShape.length - 2];
    const prefixTokens = m.prefixTokens ?? 1;
    if (grid && typeof tokens === 'number' && tokens - prefixTokens !== grid.rows * grid.cols) {
      throw packError(`${m.onnx}: output "${read.name}" has ${tokens} tokens; with prefixTokens ${prefixTokens} that leaves ${tokens - prefixTokens}, but a ${grid.cols}×${grid.rows} patch grid (patch ${m.patchSize} px) needs ${grid.rows * grid.cols}`);
    }
    const encoder: EncoderInfo = { session: encSession, input, read, prefixTokens, patchSize: m.patchSize, dim, patchEmbedsOutput: m.patchEmbedsOutput };

    const embRef = manifest.llm.embeddings;
    const embHeader = await readSafetensorsHeader(resolve(embRef.file, embRef.root));
    // Half-precision tables stay half until a row is needed (embeddingTable.ts: a third of the cold explain).
    const embeddings = await readEmbeddingTable(embHeader, embRef.tensor, embRef.file);

    const adapters = new Map<string, LoadedAdapter>();
    for (const [i, a] of manifest.adapters.entries()) {
      adapters.set(a.name, await loadAdapter(a, i, resolve, device, dim, embeddings.width, sessions, P));
    }
    const tokenizer = await loadTokenizer(resolve(manifest.llm.tokenizer), manifest.llm.tokenizerConfig ? resolve(manifest.llm.tokenizerConfig) : undefined);
    // Real packs pad the table beyond the vocabulary (Qwen: 151,936 rows, 151,669 tokens); the reverse means a mismatch.
    const outside = tokenizer.pieces.findIndex((p, id) => id >= embeddings.rows && p && !tokenizer.special.has(id));
    if (outside >= 0) throw packError(`${manifest.llm.tokenizer}: token id ${outside} ("${tokenizer.pieces[outside]}") is beyond the ${embeddings.rows} rows of the embedding table; tokenizer and embeddings are from different models`);

    const lab = manifest.labeling;
    const packWords = lab?.wordList ? (await readFile(resolve(lab.wordList), 'utf8')).split(/\r?\n/).map((w) => w.trim()).filter(Boolean) : [];
    let labelWordEmbeddings: LoadedPack['labelWordEmbeddings'];
    if (lab?.wordEmbeddings) {
      const t = await readTensorF32(await readSafetensorsHeader(resolve(lab.wordEmbeddings.file)), lab.wordEmbeddings.tensor);
      if (t.shape.length !== 2 || t.shape[0] !== packWords.length) {
        throw packError(`${lab.wordEmbeddings.file}: "${lab.wordEmbeddings.tensor}" is [${t.shape}] but the word list has ${packWords.length} words`);
      }
      // NaN word embeddings would give every patch an empty label list and an "ok".
      assertFinite(t.data, `${lab.wordEmbeddings.file}: "${lab.wordEmbeddings.tensor}"`, t.shape);
      labelWordEmbeddings = { data: t.data, rows: t.shape[0], width: t.shape[1] };
    }
    const extras = new Map<string, Float32Array>();
    for (const [name, ref] of Object.entries(geometryTensors(manifest))) {
      const t = await readTensorF32(await readSafetensorsHeader(resolve(ref.file, ref.root)), ref.tensor);
      if (t.data.length !== embeddings.width) throw packError(`${ref.file}: "${ref.tensor}" (/imageEncoder/geometry/tensors/${name}) has ${t.data.length} values; a vector in the LLM's space needs ${embeddings.width}`);
      assertFinite(t.data, `${ref.file}: "${ref.tensor}"`, t.shape);
      extras.set(name, t.data);
    }

    // One table per pack; a filter set is only a candidate list over it (searchIndex.ts). `filters` is read
    // untyped until schemas/model-pack.schema.json has it.
    const packFilters = parsePackFilters(manifest.filters);
    let vocabulary: VocabularyTable | undefined;
    const defaultAdapter = manifest.defaultAdapter ?? manifest.adapters[0].name;
    const pack: LoadedPack = {
      dir, manifest, device, deviceReason: reason, preprocessor, encoder, grid, family, extras, adapters, defaultAdapter, embeddings, tokenizer, packWords, labelWordEmbeddings,
      searchIndex(filters) {
        vocabulary ??= new VocabularyTable(embeddings, tokenizer, packWords, device, P, packFilters, [sizeMismatchNote(tokenizer, embeddings.rows, manifest.llm.tokenizer)]);
        return vocabulary.index(filters);
      },
      info() {
        return {
          name: manifest.name, dir, description: manifest.description,
          adapters: manifest.adapters.map((a) => ({ name: a.name, description: a.description })),
          defaultAdapter, ...(grid ? { grid } : {}), ...(family ? { family: family.def.id } : {}), hasLabeling: !!lab, hasDecoder: !!manifest.llm.decoder, evaluation: manifest.evaluation,
        };
      },
      async release() {
        await vocabulary?.release();
        for (const s of sessions) await s.release().catch(() => undefined);
      },
    };
    return pack;
  } catch (e) {
    for (const s of sessions) await s.release().catch(() => undefined);
    throw e;
  }
}

async function loadAdapter(
  a: PackManifest['adapters'][number], i: number, resolve: (p: string) => string, device: Device,
  encoderDim: number, width: number, sessions: ort.InferenceSession[], tokens: number,
): Promise<LoadedAdapter> {
  const label = `adapter "${a.name}"`;
  if (a.safetensors) {
    const w = await readMlpWeights(resolve(a.safetensors), label);
    if (w.inDim !== encoderDim || w.outDim !== width) {
      throw packError(`${label} (${path.basename(a.safetensors)}): dimensions do not chain — it maps ${w.inDim}→${w.hidden}→${w.outDim}, but the encoder gives D = ${encoderDim} and the embedding table has width H = ${width} (/adapters/${i}); use an adapter trained for this encoder and LLM`);
    }
    const session = await openSession(adapterModel(w), device, label, estimateMacs(w.inDim * w.hidden + w.hidden * w.outDim, tokens));
    sessions.push(session);
    return { name: a.name, description: a.description, session, batched: false, input: ADAPTER_INPUT, output: ADAPTER_OUTPUT };
  }
  const onnxPath = resolve(a.onnx as string);
  const session = await openSession(onnxPath, device, `${label} (${a.onnx})`, estimateMacs(onnxWeightBytes(onnxPath) / 4, tokens));
  sessions.push(session);
  const inD = lastDim(metaOf(session.inputMetadata, session.inputNames[0]));
  const outD = lastDim(metaOf(session.outputMetadata, session.outputNames[0]));
  if ((inD !== undefined && inD !== encoderDim) || (outD !== undefined && outD !== width)) {
    throw packError(`${label} (${a.onnx}): dimensions do not chain — it maps ${inD ?? '?'}→${outD ?? '?'}, but the encoder gives D = ${encoderDim} and the embedding table has width H = ${width} (/adapters/${i}); use an adapter trained for this encoder and LLM`);
  }
  const rank = metaOf(session.inputMetadata, session.inputNames[0])?.length ?? 3;
  return { name: a.name, description: a.description, session, batched: rank === 3, input: session.inputNames[0], output: session.outputNames[0] };
}
