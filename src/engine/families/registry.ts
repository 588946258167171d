// Model families by id: the value of /model/family in a pack made by `sea-lens pack init`. Adding a family
// is one folder (its geometry here, its export in python/sealens/hfpack/families/) and one line below.
import { packError } from '../engineError';
import type { ModelFamily } from './family';
import { idefics3 } from './idefics3/geometry';
import { internvl } from './internvl/geometry';
import { llava } from './llava/geometry';
import { llavaNext } from './llava-next/geometry';
import { gemma3, paligemma } from './paligemma/geometry';
import { qwen2Vl } from './qwen2-vl/geometry';

// One line per family (each parses its own config type, hence the cast).
const FAMILIES = [
  llava,
  llavaNext,
  paligemma,
  gemma3,
  idefics3,
  internvl,
  qwen2Vl,
] as unknown as readonly ModelFamily[];

export function familyIds(): string[] {
  return FAMILIES.map((f) => f.id);
}

export function getFamily(id: string): ModelFamily {
  const f = FAMILIES.find((x) => x.id === id);
  if (!f) throw packError(`manifest.json: /model/family: "${id}" is not a family this SEA Lens knows (it knows: ${familyIds().join(', ')}) — update SEA Lens or run \`sea-lens pack init\` again`);
  return f;
}
