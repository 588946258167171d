// Reads a model pack's manifest.json: JSON Schema validation (path-qualified messages), then every file
// the manifest names is resolved with realpath and must exist inside the pack folder (a symlink or `..`
// leading out is refused — a pack is untrusted input).
import Ajv, { type ErrorObject } from 'ajv';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import schema from '../../schemas/model-pack.schema.json';
import { packError } from './engineError';

export interface TensorRef { file: string; tensor: string }
export interface AdapterEntry { name: string; description?: string; safetensors?: string; onnx?: string }
export interface PackManifest {
  formatVersion: 1;
  name: string;
  description?: string;
  imageEncoder: {
    onnx: string; input?: string; output: string; hiddenStateIndex?: number; prefixTokens?: number;
    patchSize: number; preprocessor: string; pooledOutput?: string; patchEmbedsOutput?: string;
  };
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
  /** Absolute real path of a manifest-relative path (already checked to exist inside the pack). */
  resolve(rel: string): string;
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
    throw packError(`model pack folder "${packDir}" does not exist`);
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
    throw packError(`manifest.json: not valid JSON (${(e as Error).message})`);
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
    if (names.has(a.name)) throw packError(`manifest.json: /adapters/${i}/name: adapter name "${a.name}" is used twice`);
    names.add(a.name);
  });
  if (manifest.defaultAdapter && !names.has(manifest.defaultAdapter)) {
    throw packError(`manifest.json: /defaultAdapter: "${manifest.defaultAdapter}" is not one of the adapters (${[...names].join(', ')})`);
  }
  const resolved = new Map<string, string>();
  for (const [pointer, rel] of manifestPaths(manifest)) {
    const abs = path.resolve(dir, rel);
    let real: string;
    try {
      real = await realpath(abs);
      if (!(await stat(real)).isFile()) throw new Error('not a file');
    } catch {
      throw packError(`manifest.json: ${pointer}: file "${rel}" not found in pack folder ${dir}`);
    }
    if (real !== dir && !real.startsWith(dir + path.sep)) {
      throw packError(`manifest.json: ${pointer}: "${rel}" leads outside the pack folder (to ${real}); packs may only use their own files`);
    }
    resolved.set(rel, real);
  }
  return {
    dir,
    manifest,
    resolve(rel: string) {
      const r = resolved.get(rel);
      if (!r) throw new Error(`internal: path "${rel}" was not resolved from the manifest`);
      return r;
    },
  };
}

function* manifestPaths(m: PackManifest): Generator<[string, string]> {
  yield ['/imageEncoder/onnx', m.imageEncoder.onnx];
  yield ['/imageEncoder/preprocessor', m.imageEncoder.preprocessor];
  if (m.textEncoder) {
    yield ['/textEncoder/onnx', m.textEncoder.onnx];
    yield ['/textEncoder/tokenizer', m.textEncoder.tokenizer];
  }
  if (m.labeling?.wordList) yield ['/labeling/wordList', m.labeling.wordList];
  if (m.labeling?.wordEmbeddings) yield ['/labeling/wordEmbeddings/file', m.labeling.wordEmbeddings.file];
  for (const [i, a] of m.adapters.entries()) {
    if (a.safetensors) yield [`/adapters/${i}/safetensors`, a.safetensors];
    if (a.onnx) yield [`/adapters/${i}/onnx`, a.onnx];
  }
  yield ['/llm/embeddings/file', m.llm.embeddings.file];
  yield ['/llm/tokenizer', m.llm.tokenizer];
  if (m.llm.tokenizerConfig) yield ['/llm/tokenizerConfig', m.llm.tokenizerConfig];
  if (m.llm.decoder) yield ['/llm/decoder/onnx', m.llm.decoder.onnx];
}
