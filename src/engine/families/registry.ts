// Model families by id: the value of /model/family in a pack made by `sea-lens pack init`. Adding a family
// is one folder (its geometry here, its export in python/sealens/hfpack/families/) and one line below.
import { packError } from '../engineError';
import type { ModelFamily } from './family';
import { llava } from './llava/geometry';

const FAMILIES: readonly ModelFamily<never>[] = [llava as ModelFamily<never>];

export function familyIds(): string[] {
  return FAMILIES.map((f) => f.id);
}

export function getFamily(id: string): ModelFamily {
  const f = FAMILIES.find((x) => x.id === id);
  if (!f) throw packError(`manifest.json: /model/family: "${id}" is not a family this SEA Lens knows (it knows: ${familyIds().join(', ')}) — update SEA Lens or run \`sea-lens pack init\` again`);
  return f as unknown as ModelFamily;
}
