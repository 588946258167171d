// sea-lens inspect: what is inside a model file or folder, before a pack is made or when one fails to load —
// an ONNX graph's inputs and outputs, a safetensors file's tensors, a pack's summary, a Hugging Face
// checkpoint's config and which of its shards an explain needs. A tensor asked for and not found is
// answered with the nearest names (a prefix such as `language_model.` is the usual mistake).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { EXIT, type CliCommand, type CliContext } from '../command';
import { readManifest } from '../../engine/packManifest';
import { nearestNames, readSafetensorsHeader, type SafetensorsHeader } from '../../engine/safetensors';
import { repoFromFolderName } from '../../hub/hubRepoId';
import { resolveSource } from '../../packInit/packSource';
import { CONFIG_FILES, neededShards, parseSafetensorsIndex, SAFETENSORS_INDEX, SINGLE_SAFETENSORS } from '../../hub/explainFiles';

class InspectError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message);
  }
}

interface ValueInfo { name: string; type: string; shape: (number | string)[] }
const dims = (shape: readonly (number | string)[]): string => `[${shape.map((d) => (typeof d === 'string' && d ? d : d === '' || d === -1 ? '?' : d)).join(', ')}]`;
const mb = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);

export async function onnxInfo(file: string): Promise<{ inputs: ValueInfo[]; outputs: ValueInfo[] }> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
  } catch (e) {
    throw new InspectError(`${file}: onnxruntime cannot load it (${(e as Error).message.split('\n')[0]})`);
  }
  const meta = (m: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] =>
    m.map((v) => ({ name: v.name, type: v.isTensor ? v.type : 'non-tensor', shape: v.isTensor ? [...v.shape] : [] }));
  const r = { inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) };
  await session.release();
  return r;
}

function tensorRows(h: SafetensorsHeader): { name: string; dtype: string; shape: number[]; bytes: number }[] {
  return [...h.tensors.values()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin }));
}

function notFound(what: string, name: string, keys: string[]): InspectError {
  return new InspectError(`${what} has no tensor "${name}"; nearest: ${nearestNames(name, keys).join(', ') || '(it has none)'}`);
}

async function inspectSafetensors(file: string, tensor: string | undefined) {
  const h = await readSafetensorsHeader(file);
  if (tensor) {
    const t = h.tensors.get(tensor);
    if (!t) throw notFound(path.basename(file), tensor, [...h.tensors.keys()]);
    return { kind: 'safetensors', file, tensor: { name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin } };
  }
  const tensors = tensorRows(h);
  return { kind: 'safetensors', file, metadata: h.metadata ?? {}, bytes: tensors.reduce((a, t) => a + t.bytes, 0), tensors };
}

async function inspectPack(dir: string) {
  const m = await readManifest(dir);
  const man = m.manifest;
  const emb = man.llm.embeddings;
  const embFile = m.resolve(emb.file, emb.root ?? 'pack');
  const h = await readSafetensorsHeader(embFile);
  const t = h.tensors.get(emb.tensor);
  if (!t) throw notFound(`the pack's embedding file ${embFile} (/llm/embeddings)`, emb.tensor, [...h.tensors.keys()]);
  const encoder = await onnxInfo(m.resolve(man.imageEncoder.onnx));
  return {
    kind: 'pack', dir: m.dir, name: man.name, description: man.description, model: man.model,
    encoder: { onnx: man.imageEncoder.onnx, patchSize: man.imageEncoder.patchSize, output: man.imageEncoder.output, ...encoder },
    adapters: man.adapters.map((a) => ({ name: a.name, description: a.description, files: [a.safetensors, a.onnx].filter(Boolean) })),
    defaultAdapter: man.defaultAdapter ?? man.adapters[0]?.name,
    embeddings: { file: embFile, root: emb.root ?? 'pack', tensor: emb.tensor, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin },
    tokenizer: man.llm.tokenizer, labeling: !!man.labeling, evaluation: man.evaluation !== undefined,
  };
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InspectError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

async function inspectCheckpoint(dir: string, tensor: string | undefined) {
  const cfg = readJson(path.join(dir, 'config.json'));
  const pick = (o: unknown, keys: string[]) => (o && typeof o === 'object' ? Object.fromEntries(keys.filter((k) => k in (o as object)).map((k) => [k, (o as Record<string, unknown>)[k]])) : undefined);
  const files = readdirSync(dir);
  let weightMap: Record<string, string> | undefined;
  let weights;
  if (files.includes(SAFETENSORS_INDEX)) {
    const index = parseSafetensorsIndex(readFileSync(path.join(dir, SAFETENSORS_INDEX), 'utf8'), path.join(dir, SAFETENSORS_INDEX));
    weightMap = index.weight_map;
    const shards = [...new Set(Object.values(weightMap))];
    const needed = neededShards(index).shards;
    weights = { index: SAFETENSORS_INDEX, tensors: Object.keys(weightMap).length, shards: shards.length, present: shards.filter((s) => existsSync(path.join(dir, s))), neededForExplain: needed, missingForExplain: needed.filter((s) => !existsSync(path.join(dir, s))) };
  } else if (files.includes(SINGLE_SAFETENSORS)) {
    const h = await readSafetensorsHeader(path.join(dir, SINGLE_SAFETENSORS));
    weightMap = Object.fromEntries([...h.tensors.keys()].map((k) => [k, SINGLE_SAFETENSORS]));
    weights = { file: SINGLE_SAFETENSORS, tensors: h.tensors.size, neededForExplain: [SINGLE_SAFETENSORS], missingForExplain: [] as string[] };
  } else {
    weights = { none: true, pickle: files.filter((f) => /\.(bin|pt|pth)$/.test(f)), neededForExplain: [], missingForExplain: [] as string[] };
  }
  if (tensor) {
    if (!weightMap) throw new InspectError(`${dir} has no safetensors weights to look "${tensor}" up in`);
    const shard = weightMap[tensor];
    if (!shard) throw notFound(dir, tensor, Object.keys(weightMap));
    const file = path.join(dir, shard);
    if (!existsSync(file)) throw new InspectError(`${tensor} is in ${shard}, which is not in ${dir} (not downloaded?)`);
    return inspectSafetensors(file, tensor);
  }
  return {
    kind: 'checkpoint', dir,
    architectures: cfg.architectures, modelType: cfg.model_type,
    vision: pick(cfg.vision_config, ['model_type', 'image_size', 'patch_size', 'hidden_size', 'num_hidden_layers', 'depth', 'embed_dim']),
    text: pick(cfg.text_config ?? cfg.llm_config ?? cfg, ['model_type', 'vocab_size', 'hidden_size', 'num_hidden_layers']),
    projector: pick(cfg, ['vision_feature_layer', 'vision_feature_select_strategy', 'projector_hidden_act', 'image_token_index', 'image_token_id', 'mm_projector_type', 'select_layer']),
    configFiles: CONFIG_FILES.filter((f) => files.includes(f)),
    weights,
  };
}

export async function inspectPath(target: string, tensor?: string): Promise<Record<string, unknown>> {
  if (!existsSync(target)) throw new InspectError(`${target} does not exist`, EXIT.usage);
  if (statSync(target).isDirectory()) {
    if (existsSync(path.join(target, 'manifest.json'))) {
      if (tensor) throw new InspectError('--tensor applies to a safetensors file or a checkpoint folder, not a pack', EXIT.usage);
      return inspectPack(target);
    }
    if (existsSync(path.join(target, 'config.json'))) return inspectCheckpoint(target, tensor);
    if (repoFromFolderName(path.basename(target))) {
      // A repo folder of the Hugging Face cache: the snapshot its refs/main names.
      try {
        const s = resolveSource(target);
        if (s.kind === 'folder') return inspectCheckpoint(s.dir, tensor);
      } catch (e) {
        throw new InspectError((e as Error).message, EXIT.usage);
      }
    }
    throw new InspectError(`${target} is neither a model pack (manifest.json) nor a Hugging Face checkpoint folder (config.json)`, EXIT.usage);
  }
  if (/\.onnx$/i.test(target)) {
    if (tensor) throw new InspectError('--tensor applies to safetensors files', EXIT.usage);
    return { kind: 'onnx', file: target, ...(await onnxInfo(target)) };
  }
  if (/\.safetensors$/i.test(target)) return inspectSafetensors(target, tensor);
  if (path.basename(target) === SAFETENSORS_INDEX) return inspectCheckpoint(path.dirname(target), tensor);
  throw new InspectError(`${target}: inspect reads .onnx and .safetensors files, model packs and checkpoint folders`, EXIT.usage);
}

function render(r: Record<string, unknown>): string {
  const out: string[] = [];
  const values = (title: string, vs: ValueInfo[]) => {
    out.push(`${title}:`);
    for (const v of vs) out.push(`  ${v.name.padEnd(24)} ${v.type.padEnd(8)} ${dims(v.shape)}`);
  };
  switch (r.kind) {
    case 'onnx':
      out.push(`ONNX ${r.file}`);
      values('inputs', r.inputs as ValueInfo[]);
      values('outputs', r.outputs as ValueInfo[]);
      break;
    case 'safetensors': {
      if (r.tensor) {
        const t = r.tensor as { name: string; dtype: string; shape: number[]; bytes: number };
        out.push(`${t.name}  ${t.dtype} ${dims(t.shape)}  ${mb(t.bytes)}  (${r.file})`);
        break;
      }
      const ts = r.tensors as { name: string; dtype: string; shape: number[] }[];
      out.push(`safetensors ${r.file}: ${ts.length} tensors, ${mb(r.bytes as number)}`);
      const w = Math.min(72, Math.max(...ts.map((t) => t.name.length), 4));
      for (const t of ts) out.push(`  ${t.name.padEnd(w)} ${t.dtype.padEnd(5)} ${dims(t.shape)}`);
      break;
    }
    case 'pack': {
      const enc = r.encoder as { onnx: string; patchSize: number; inputs: ValueInfo[]; outputs: ValueInfo[] };
      const e = r.embeddings as { file: string; root: string; tensor: string; dtype: string; shape: number[]; bytes: number };
      const model = r.model as { family?: string; architecture?: string; checkpoint?: string; repo?: string; revision?: string } | undefined;
      out.push(`pack "${r.name}" ${r.dir}${r.description ? `\n  ${r.description}` : ''}`);
      if (model) out.push(`model: family ${model.family}${model.architecture ? `, ${model.architecture}` : ''}${model.repo ? `, ${model.repo}${model.revision ? `@${model.revision}` : ''}` : ''}${model.checkpoint ? `\n  checkpoint ${model.checkpoint}` : ''}`);
      out.push(`encoder: ${enc.onnx}, patch ${enc.patchSize} px`);
      for (const v of enc.inputs) out.push(`  in  ${v.name} ${v.type} ${dims(v.shape)}`);
      for (const v of enc.outputs) out.push(`  out ${v.name} ${v.type} ${dims(v.shape)}`);
      out.push(`adapters (${(r.adapters as unknown[]).length}; default ${r.defaultAdapter}):`);
      for (const a of r.adapters as { name: string; description?: string; files: string[] }[]) out.push(`  ${a.name}: ${a.files.join(', ')}${a.description ? ` — ${a.description}` : ''}`);
      out.push(`embedding table: ${e.tensor} ${e.dtype} ${dims(e.shape)} (${e.shape[0]} words × ${e.shape[1]}), ${mb(e.bytes)} in ${e.file}${e.root === 'checkpoint' ? ' (read in place from the checkpoint)' : ''}`);
      out.push(`tokenizer: ${r.tokenizer}; labeling ${r.labeling ? 'yes' : 'no'}; evaluation ${r.evaluation ? 'recorded' : 'none'}`);
      break;
    }
    case 'checkpoint': {
      const w = r.weights as Record<string, unknown>;
      const kv = (o: unknown) => (o ? Object.entries(o as object).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ') : '–');
      out.push(`checkpoint ${r.dir}`);
      out.push(`  architecture ${JSON.stringify(r.architectures)} (model_type ${r.modelType})`);
      out.push(`  vision: ${kv(r.vision)}`, `  text: ${kv(r.text)}`, `  projector: ${kv(r.projector)}`);
      out.push(`  configs: ${(r.configFiles as string[]).join(', ') || 'none'}`);
      if (w.none) out.push(`  weights: no safetensors${(w.pickle as string[]).length ? ` (only pickle: ${(w.pickle as string[]).join(', ')}; SEA Lens never loads those)` : ''}`);
      else if (w.index) out.push(`  weights: ${w.tensors} tensors in ${w.shards} shards (${(w.present as string[]).length} here); an explain needs ${(w.neededForExplain as string[]).join(', ')}${(w.missingForExplain as string[]).length ? `; MISSING: ${(w.missingForExplain as string[]).join(', ')}` : ''}`);
      else out.push(`  weights: ${w.file}, ${w.tensors} tensors`);
      break;
    }
  }
  return out.join('\n');
}

export const inspectCommand: CliCommand = {
  name: 'inspect',
  summary: 'show what is in an .onnx or .safetensors file, a model pack or a Hugging Face checkpoint folder',
  help: `Usage: sea-lens inspect <FILE | FOLDER> [--tensor NAME] [--json]

  FILE.onnx          inputs and outputs with element types and shapes (symbolic dimensions by name)
  FILE.safetensors   every tensor: name, dtype, shape; total size
  pack folder        manifest summary: model family and checkpoint, encoder inputs/outputs, adapters,
                     embedding table (words × width, dtype, size)
  checkpoint folder  config.json summary (vision, text, projector settings), the weight shards, and which
                     of them an explain needs (and which of those are missing); a Hugging Face cache folder
                     models--org--name means its refs/main snapshot
  --tensor NAME      one tensor of a safetensors file or checkpoint; when absent, the nearest names
  --json             the same as JSON
Exit codes: 0 ok; 1 unreadable or a tensor not found; 2 not a file or folder inspect reads.`,
  async run(argv: string[], ctx: CliContext) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { tensor: { type: 'string' }, json: { type: 'boolean', default: false } } });
    if (positionals.length !== 1) {
      ctx.stderr(`sea-lens inspect: give exactly one file or folder (got ${positionals.length})\n`);
      return EXIT.usage;
    }
    try {
      const r = await inspectPath(path.resolve(positionals[0]), values.tensor);
      ctx.stdout((values.json ? JSON.stringify(r, null, 2) : render(r)) + '\n');
      return EXIT.ok;
    } catch (e) {
      ctx.stderr(`sea-lens inspect: ${(e as Error).message}\n`);
      return e instanceof InspectError ? e.exitCode : EXIT.failed;
    }
  },
};
