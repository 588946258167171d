// The commands of the sealens-cell language, as data: the parser checks cells against this table, and
// completion and hover in the editor read their help from it, so the three can never disagree.

import { LIMITS } from '../shared/mediaLimits';

export type ArgKind = 'image' | 'folder' | 'dir' | 'adapter' | 'word' | 'keyword';
export type OptionKind = 'adapter' | 'int';

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  doc: string;
  /** For kind 'keyword': the literal word that must appear (e.g. `in`, `near`). */
  literal?: string;
}

export interface OptionSpec {
  name: string;
  kind: OptionKind;
  doc: string;
  min?: number;
  max?: number;
}

export interface CommandSpec {
  name: CommandName;
  synopsis: string;
  doc: string;
  args: ArgSpec[];
  options: OptionSpec[];
}

export type CommandName = 'explain' | 'compare' | 'labels' | 'neighbors' | 'words' | 'metrics' | 'pack';

const adapterOption: OptionSpec = { name: 'adapter', kind: 'adapter', doc: "Adapter of the pack to use (default: the pack's default adapter)." };

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'explain',
    synopsis: 'explain <image> [adapter=NAME] [topk=K]',
    doc: "Decode every visual token of the image to its nearest LLM words (cosine in the LLM's input-embedding table) and draw them on the image.",
    args: [{ name: 'image', kind: 'image', doc: 'Image file, relative to the notebook folder (or demo:samples/… for a shipped sample).' }],
    options: [adapterOption, { name: 'topk', kind: 'int', doc: `Words kept per patch (${LIMITS.topK.min}–${LIMITS.topK.max}, default ${LIMITS.topK.default}).`, min: LIMITS.topK.min, max: LIMITS.topK.max }],
  },
  {
    name: 'compare',
    synopsis: 'compare <image> <adapterA> <adapterB>',
    doc: 'Decode the image with two adapters side by side and mark the patches whose top word differs.',
    args: [
      { name: 'image', kind: 'image', doc: 'Image file, relative to the notebook folder (or demo:samples/… for a shipped sample).' },
      { name: 'adapterA', kind: 'adapter', doc: 'First adapter (left).' },
      { name: 'adapterB', kind: 'adapter', doc: 'Second adapter (right).' },
    ],
    options: [],
  },
  {
    name: 'labels',
    synopsis: 'labels <image> [seed=N]',
    doc: "SEA's patch labels (method §3.1): the vision-language model's top-10 words per patch after the threshold, and the one label sampled in proportion to its score.",
    args: [{ name: 'image', kind: 'image', doc: 'Image file, relative to the notebook folder (or demo:samples/… for a shipped sample).' }],
    options: [{ name: 'seed', kind: 'int', doc: 'Seed of the score-proportional sampling (default 0).', min: 0, max: 2 ** 31 - 1 }],
  },
  {
    name: 'neighbors',
    synopsis: 'neighbors "<word>" in <folder> [adapter=NAME] [limit=N]',
    doc: 'Find the patches, across every image of a folder, whose visual tokens decode nearest to a word.',
    args: [
      { name: 'word', kind: 'word', doc: 'The word, in double quotes.' },
      { name: 'in', kind: 'keyword', literal: 'in', doc: 'The keyword `in`.' },
      { name: 'folder', kind: 'folder', doc: 'Folder of images, relative to the notebook folder (or demo:samples).' },
    ],
    options: [adapterOption, { name: 'limit', kind: 'int', doc: 'Patches to show (1–200, default 24).', min: 1, max: 200 }],
  },
  {
    name: 'words',
    synopsis: 'words <image> near "<word>" [adapter=NAME]',
    doc: "A heatmap of every visual token's cosine similarity to one word's LLM embedding.",
    args: [
      { name: 'image', kind: 'image', doc: 'Image file, relative to the notebook folder (or demo:samples/… for a shipped sample).' },
      { name: 'near', kind: 'keyword', literal: 'near', doc: 'The keyword `near`.' },
      { name: 'word', kind: 'word', doc: 'The word, in double quotes.' },
    ],
    options: [adapterOption],
  },
  {
    name: 'metrics',
    synopsis: 'metrics <folder> [adapter=NAME]',
    doc: 'Patch-word accuracy where NAME.truth.json exists, agreement with the SEA labels, the modality gap D (Eq. 5) and TACS (K = 10) over a folder of images.',
    args: [{ name: 'folder', kind: 'folder', doc: 'Folder of images, relative to the notebook folder (or demo:samples).' }],
    options: [adapterOption],
  },
  {
    name: 'pack',
    synopsis: 'pack <dir>',
    doc: 'Use another model pack for the following lines of this cell (default: the `seaLens.pack` setting, or the demo pack).',
    args: [{ name: 'dir', kind: 'dir', doc: 'Model pack folder (holding manifest.json), relative to the notebook folder (or demo:demo-pack).' }],
    options: [],
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
