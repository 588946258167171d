// Which files of a model repo an explain needs: the configs, the tokenizer, and only the weight shards that
// hold the vision tower, the projector and the LLM's input embeddings. For a 7B model that is one or two
// shards of four; the language model's layers are never downloaded.

/** Small files needed by the exporter and the tokenizer (downloaded when the repo has them). */
export const CONFIG_FILES: readonly string[] = Object.freeze([
  'config.json',
  'preprocessor_config.json',
  'processor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'tokenizer.model',
  'special_tokens_map.json',
  'added_tokens.json',
  // Byte-level BPE tokenizers published without tokenizer.json (transformers builds it from these two).
  'vocab.json',
  'merges.txt',
  'chat_template.json',
  'chat_template.jinja',
]);

export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
export const SINGLE_SAFETENSORS = 'model.safetensors';

// One dotted component of a weight name that marks the vision side, the projector or the input embeddings,
// across the families in transformers: LLaVA(-Next/-OneVision) vision_tower + multi_modal_projector +
// image_newline; Qwen2/2.5-VL visual (+ merger); InternVL vision_model + mlp1 (+ tok_embeddings in
// InternLM2); Idefics3/SmolVLM connector; Gemma 3 / PaliGemma vision_tower + multi_modal_projector; original
// LLaVA mm_projector; Phi-3-vision img_projection; MiniCPM-V vpm + resampler; GPT-2 style wte.
const COMPONENTS = [
  'vision_tower', 'visual', 'vision_model', 'vision_encoder', 'vision_embed_tokens', 'multi_modal_projector', 'mm_projector',
  'connector', 'merger', 'mlp1', 'image_newline', 'embed_tokens', 'tok_embeddings', 'word_embeddings', 'wte', 'patch_embed',
  'img_projection', 'vpm', 'resampler', 'vision_proj',
];
const NEEDED = new RegExp(`(^|\\.)(${COMPONENTS.join('|')})(\\.|$)`);

/** Does this weight name belong to what an explain needs? */
export const isExplainWeight = (key: string): boolean => NEEDED.test(key);

export interface SafetensorsIndex {
  weight_map: Record<string, string>;
}

/** Parses model.safetensors.index.json; throws with the reason when it is not one. */
export function parseSafetensorsIndex(text: string, label = SAFETENSORS_INDEX): SafetensorsIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${label} is not valid JSON (${(e as Error).message})`);
  }
  const map = (json as { weight_map?: unknown })?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map) || !Object.values(map).every((v) => typeof v === 'string')) {
    throw new Error(`${label} has no "weight_map" object of weight name → shard file`);
  }
  for (const shard of Object.values(map as Record<string, string>)) {
    if (!/^[^/\\]+\.safetensors$/.test(shard) && !/^[\w.-]+(\/[\w.-]+)*\.safetensors$/.test(shard)) throw new Error(`${label} names "${shard}", which is not a .safetensors file in the repo`);
    if (shard.split('/').includes('..')) throw new Error(`${label} names "${shard}", which leads outside the repo`);
  }
  return { weight_map: map as Record<string, string> };
}

/** The shards holding at least one needed weight, in the index's order, with the weights that made them needed. */
export function neededShards(index: SafetensorsIndex): { shards: string[]; keys: string[] } {
  const keys = Object.keys(index.weight_map).filter(isExplainWeight);
  const shards = [...new Set(keys.map((k) => index.weight_map[k]))];
  return { shards, keys };
}

/** The config files of CONFIG_FILES that the repo has (from its file list). */
export const configFilesIn = (siblings: readonly string[]): string[] => CONFIG_FILES.filter((f) => siblings.includes(f));
