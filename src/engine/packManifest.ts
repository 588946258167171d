// Reads a model pack's manifest.json: JSON Schema validation (path-qualified messages), then every file
// the manifest names is resolved with realpath and must exist inside the pack folder (a symlink or `..`
// leading out is refused — a pack is untrusted input).
import Ajv, { type ErrorObject } from 'ajv';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import schema from '../../schemas/model-pack.schema.json';
import { packError } from './engineError';

export interface TensorRef { file: string; tensor: string; root?: 'pack' | 'checkpoint' }
export interface ModelSource { family: string; architecture?: string; checkpoint?: string; repo?: string; revision?: string; featureLayer?: number }
export interface AdapterEntry { name: string; description?: string; safetensors?: string; onnx?: string }
export interface PackManifest {
  formatVersion: 1;
  name: string;
  description?: string;
  imageEncoder: {
    onnx: string; input?: string; output: string; hiddenStateIndex?: number; prefixTokens?: number;
    patchSize: number; preprocessor: string; pooledOutput?: string; patchEmbedsOutput?: string;
    /** Family-specific geometry settings, checked by the family named in /model/family. */
    geometry?: Record<string, unknown>;
  };
  /** Present in packs made by `pack init`: the Hugging Face model behind the pack. */
  model?: ModelSource;
  filters?: Partial<Record<'special' | 'bytes' | 'punctuation' | 'subwords' | 'stopwords' | 'alphabetic', boolean>>;
  textEncoder?: { onnx: string; inputIds: string; attentionMask?: string; output: string; tokenizer: string; maxLength?: number };
  labeling?: { wordList?: string; wordEmbeddings?: TensorRef; promptTemplate?: string; sign?: 1 | -1; topN?: number; threshold?: number };
  adapters: AdapterEntry[];
  defaultAdapter?: string;
  llm: { embeddings: TensorRef; tokenizer: string; tokenizerConfig?: string; decoder?: { onnx: string; inputsEmbeds?: string; output?: string } };
  evaluation?: unknown;
}

export interface ResolvedManifest {
  dir: string;
  manifest: PackManifest;
  /** Absolute real path of a manifest-relative path (already checked to exist inside the pack or the checkpoint). */
  resolve(rel: string, root?: TensorRef['root']): string;
  /** The checkpoint folder of a `pack init` pack (real path), when the manifest names one. */
  checkpointDir?: string;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile<PackManifest>(schema);

function describe(e: ErrorObject): string {
  const where = e.instancePath || '/';
  if (e.keyword === 'required') return `${where}: missing required property "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'additionalProperties') return `${where}: unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'not' && /relPath/.test(e.schemaPath)) return `${where}: path must be relative to the pack folder without ".." or a leading "/"`;
  if (e.keyword === 'const') return `${where}: must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

export async function readManifest(packDir: string): Promise<ResolvedManifest> {
  let dir: string;
  try {
    dir = await realpath(packDir);
  } catch {
    throw packError(`model pack folder "${packDir}" does not exist; check --pack or the seaLens.pack setting`);
  }
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw packError(`${packDir}: no manifest.json in this folder — is it a SEA Lens model pack? (see docs/model-pack.md)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw packError(`manifest.json: not valid JSON (${(e as Error).message}); fix the file (docs/model-pack.md describes it)`);
  }
  if (typeof json === 'object' && json && 'formatVersion' in json && (json as { formatVersion: unknown }).formatVersion !== 1) {
    throw packError(`manifest.json: /formatVersion is ${JSON.stringify((json as { formatVersion: unknown }).formatVersion)}; this SEA Lens reads version 1 — update SEA Lens`);
  }
  if (!validate(json)) {
    // anyOf failures repeat each branch's message; keep distinct lines only.
    const lines = [...new Set((validate.errors ?? []).map(describe))];
    throw packError(`manifest.json: ${lines.join('; ')}`);
  }
  const manifest = json as PackManifest;
  const names = new Set<string>();
  manifest.adapters.forEach((a, i) => {
    if (names.has(a.name)) throw packError(`manifest.json: /adapters/${i}/name: adapter name "${a.name}" is used twice; rename one of them`);
    names.add(a.name);
  });
  if (manifest.defaultAdapter && !names.has(manifest.defaultAdapter)) {
    throw packError(`manifest.json: /defaultAdapter: "${manifest.defaultAdapter}" is not one of the adapters (${[...names].join(', ')})`);
  }
  const checkpoint = manifest.model?.checkpoint ? await checkpointRoot(dir, manifest.model.checkpoint) : undefined;
  const resolved = new Map<string, string>();
  for (const [pointer, rel, root] of manifestPaths(manifest)) {
    if (root === 'checkpoint' && !checkpoint) throw packError(`manifest.json: ${pointer}: root "checkpoint" needs /model/checkpoint (the checkpoint folder)`);
    const base = root === 'checkpoint' && checkpoint ? checkpoint.dir : dir;
    const abs = path.resolve(base, rel);
    let real: string;
    let kind: string | undefined;
    try {
      real = await realpath(abs);
      const st = await stat(real);
      // A FIFO would block the read, a folder is not a file: said as what they are, not as "not found".
      if (!st.isFile()) kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe (FIFO)' : 'not a regular file';
    } catch {
      throw packError(`manifest.json: ${pointer}: file "${rel}" not found in ${root === 'checkpoint' ? 'checkpoint' : 'pack'} folder ${base}; put it there or fix the path`);
    }
    if (kind) throw packError(`manifest.json: ${pointer}: "${rel}" is ${kind}, not a file; point ${pointer} at the file itself`);
    const allowed = root === 'checkpoint' && checkpoint ? checkpoint.allowed : dir;
    if (!inside(real, allowed)) {
      throw packError(`manifest.json: ${pointer}: "${rel}" leads outside the ${root === 'checkpoint' ? 'checkpoint' : 'pack'} folder (to ${real}); packs may only use their own files${root === 'checkpoint' ? ' and those of their checkpoint (or its Hugging Face cache repo)' : ''}`);
    }
    resolved.set(`${root ?? 'pack'}\0${rel}`, real);
  }
  return {
    dir,
    manifest,
    checkpointDir: checkpoint?.dir,
    resolve(rel: string, root: TensorRef['root'] = 'pack') {
      const r = resolved.get(`${root}\0${rel}`);
      if (!r) throw new Error(`internal: path "${rel}" (${root}) was not resolved from the manifest`);
      return r;
    },
  };
}

const inside = (real: string, dir: string) => real === dir || real.startsWith(dir + path.sep);

/**
 * The checkpoint folder and the folder its files may resolve into. A Hugging Face cache snapshot
 * (`…/models--org--name/snapshots/<rev>/`) holds symlinks into `…/models--org--name/blobs/`: those are
 * accepted while they stay inside that one repo's cache folder; any other checkpoint keeps the pack's rule.
 */
export async function checkpointRoot(packDir: string, checkpoint: string): Promise<{ dir: string; allowed: string }> {
  let real: string;
  try {
    real = await realpath(path.resolve(packDir, checkpoint));
    if (!(await stat(real)).isDirectory()) throw new Error('not a folder');
  } catch {
    throw packError(`manifest.json: /model/checkpoint: checkpoint folder "${checkpoint}" does not exist (moved or deleted? run \`sea-lens pack init\` again)`);
  }
  const parts = real.split(path.sep);
  const n = parts.length;
  const isSnapshot = n >= 3 && parts[n - 2] === 'snapshots' && /^(models|datasets|spaces)--/.test(parts[n - 3]);
  return { dir: real, allowed: isSnapshot ? parts.slice(0, n - 2).join(path.sep) : real };
}

function* manifestPaths(m: PackManifest): Generator<[string, string, TensorRef['root']]> {
  yield ['/imageEncoder/onnx', m.imageEncoder.onnx, 'pack'];
  yield ['/imageEncoder/preprocessor', m.imageEncoder.preprocessor, 'pack'];
  if (m.textEncoder) {
    yield ['/textEncoder/onnx', m.textEncoder.onnx, 'pack'];
    yield ['/textEncoder/tokenizer', m.textEncoder.tokenizer, 'pack'];
  }
  if (m.labeling?.wordList) yield ['/labeling/wordList', m.labeling.wordList, 'pack'];
  if (m.labeling?.wordEmbeddings) yield ['/labeling/wordEmbeddings/file', m.labeling.wordEmbeddings.file, m.labeling.wordEmbeddings.root ?? 'pack'];
  for (const [i, a] of m.adapters.entries()) {
    if (a.safetensors) yield [`/adapters/${i}/safetensors`, a.safetensors, 'pack'];
    if (a.onnx) yield [`/adapters/${i}/onnx`, a.onnx, 'pack'];
  }
  yield ['/llm/embeddings/file', m.llm.embeddings.file, m.llm.embeddings.root ?? 'pack'];
  yield ['/llm/tokenizer', m.llm.tokenizer, 'pack'];
  if (m.llm.tokenizerConfig) yield ['/llm/tokenizerConfig', m.llm.tokenizerConfig, 'pack'];
  if (m.llm.decoder) yield ['/llm/decoder/onnx', m.llm.decoder.onnx, 'pack'];
  for (const [name, ref] of Object.entries(geometryTensors(m))) yield [`/imageEncoder/geometry/tensors/${name}/file`, ref.file, ref.root ?? 'pack'];
}

/** Learned vectors a family's geometry names (/imageEncoder/geometry/tensors: name → tensor reference). */
export function geometryTensors(m: PackManifest): Record<string, TensorRef> {
  const t = m.imageEncoder.geometry?.tensors;
  if (t === undefined) return {};
  const ok = (r: unknown): r is TensorRef => typeof r === 'object' && r !== null && typeof (r as TensorRef).file === 'string' && typeof (r as TensorRef).tensor === 'string'
    && !/^(\/|\\|[A-Za-z]:)|(^|[/\\])\.\.([/\\]|$)/.test((r as TensorRef).file);
  if (typeof t !== 'object' || t === null || !Object.values(t).every(ok)) throw packError('manifest.json: /imageEncoder/geometry/tensors must map names to {"file", "tensor", "root"?} with relative paths');
  return t as Record<string, TensorRef>;
}
