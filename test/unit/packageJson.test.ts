// The extension's contributions follow VS Code's conventions (docs/STYLE.md, habit 10): every command has
// a category and a localised title; every menu names a command that exists; a command shows in the
// palette either because it works there without context (listed below, with why) or behind a `when`
// whose context keys are VS Code's or set by SEA Lens; the icon, repository links and the welcome view
// are there. Also the pure parts behind those keys: the run context keys and the status bar's tabs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_CONTEXT_KEYS, runContextKeys } from '../../src/extension/training/runContextKeys';
import { EXPLAIN_VIEW_ACTIVE, isLensTab } from '../../src/extension/lensContext';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nls: Record<string, string> = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8'));
const contributes = pkg.contributes;
const commands: { command: string; title: string; category?: string; icon?: string }[] = contributes.commands;
const commandIds = new Set(commands.map((c) => c.command));
const source = (file: string) => readFileSync(join(root, file), 'utf8');

/** Commands the palette shows always: each works without a selection or an open view (and says how). */
const PALETTE_ALWAYS: Record<string, string> = {
  'seaLens.newNotebook': 'opens the starter notebook',
  'seaLens.explain': 'asks for the image with a file picker',
  'seaLens.compareAdapters': 'asks for the image with a file picker',
  'seaLens.selectPack': 'a quick pick of the demo pack or a folder',
  'seaLens.selectAdapter': "a quick pick of the pack's adapters",
  'seaLens.showLog': 'shows the log',
  'seaLens.checkEnvironment': 'reports the Python interpreters',
  'seaLens.trainAdapter': 'the guided set-up (asks to open a folder first when none is)',
  'seaLens.openHfModel': 'asks for a Hugging Face id or a checkpoint folder',
  'seaLens.createDemoDataset': 'asks for a count and a new folder',
};

/** Context keys VS Code itself sets, that our `when` clauses may read. */
const VSCODE_KEYS = new Set([
  'isLinux', 'isMac', 'isWindows', 'isWeb', 'isWorkspaceTrusted', 'workspaceFolderCount', 'workbenchState',
  'view', 'viewItem', 'activeCustomEditorId', 'activeWebviewPanelId', 'activeEditor', 'notebookType',
  'resourceExtname', 'resourceFilename', 'resourceScheme', 'resourceLangId', 'explorerResourceIsFolder', 'editorLangId',
]);
const OUR_KEYS = new Set<string>(Object.values(RUN_CONTEXT_KEYS));

/** The context keys a `when` clause reads (identifiers outside quotes and regular expressions). */
function keysOf(when: string): string[] {
  const stripped = when.replace(/\/(?:\\.|[^/])+\/[a-z]*/g, ' ').replace(/'[^']*'/g, ' ');
  const keys: string[] = [];
  // A key starts a comparison or stands alone; the right-hand side of == / != / =~ is a value.
  for (const part of stripped.split(/&&|\|\|/)) {
    const m = /^\s*!?\s*([A-Za-z][\w.]*)/.exec(part);
    if (m) keys.push(m[1]);
  }
  return keys;
}

/** The `key == value` pairs of a clause. */
function comparisons(when: string): [string, string][] {
  return [...when.matchAll(/([A-Za-z][\w.]*)\s*==\s*([\w.-]+)/g)].map((m) => [m[1], m[2]]);
}

function allMenuEntries(): [string, { command: string; when?: string }][] {
  return Object.entries(contributes.menus as Record<string, { command: string; when?: string }[]>).flatMap(([menu, entries]) => entries.map((e) => [menu, e] as [string, typeof e]));
}

test('every command has the SEA Lens category and a title from package.nls.json', () => {
  for (const c of commands) {
    assert.equal(c.category, 'SEA Lens', `${c.command} has category ${c.category}`);
    const key = /^%(.+)%$/.exec(c.title)?.[1];
    assert.ok(key, `${c.command}: title "${c.title}" is not a %key% of package.nls.json`);
    assert.ok(nls[key], `${c.command}: package.nls.json has no "${key}"`);
  }
});

test('every %key% in package.json is in package.nls.json', () => {
  const keys = [...readFileSync(join(root, 'package.json'), 'utf8').matchAll(/"%([\w.]+)%"/g)].map((m) => m[1]);
  assert.ok(keys.length > 20);
  for (const k of keys) assert.ok(nls[k], `package.nls.json lacks "${k}"`);
});

test('every menu entry names a command the extension contributes', () => {
  for (const [menu, e] of allMenuEntries()) assert.ok(commandIds.has(e.command), `menus.${menu}: unknown command ${e.command}`);
});

test('every command the extension contributes is registered in the source', () => {
  const src = ['src/extension/commands.ts', 'src/extension/viewCommands.ts', 'src/extension/training/registerTraining.ts', 'src/extension/notebook/registerNotebook.ts'].map(source).join('\n');
  for (const id of commandIds) assert.ok(src.includes(`registerCommand('${id}'`), `${id} is contributed but never registered`);
});

test('palette: a command is shown always only where it works without context; the others have a when', () => {
  const palette = new Map<string, string | undefined>((contributes.menus.commandPalette as { command: string; when?: string }[]).map((e) => [e.command, e.when]));
  const always = [...commandIds].filter((id) => !palette.has(id)).sort();
  assert.deepEqual(always, Object.keys(PALETTE_ALWAYS).sort(), 'a new command needs a commandPalette `when`, or an entry in PALETTE_ALWAYS saying why it works from anywhere');
  for (const [id, when] of palette) {
    assert.ok(when && when.trim() && when !== 'true', `${id}: a commandPalette entry needs a real when clause`);
  }
  // The run commands follow the runs the workspace has.
  assert.equal(palette.get('seaLens.cancelTraining'), RUN_CONTEXT_KEYS.hasRunningRuns);
  assert.equal(palette.get('seaLens.compareTrainingRun'), RUN_CONTEXT_KEYS.hasFinishedRuns);
  assert.match(palette.get('seaLens.resumeTraining')!, new RegExp(`^${RUN_CONTEXT_KEYS.hasResumableRuns.replace('.', '\\.')}\\b`));
  for (const id of ['seaLens.openTrainingRun', 'seaLens.rerunTraining', 'seaLens.exportSlurmScript']) assert.match(palette.get(id)!, /^seaLens\.hasRuns\b/);
});

test('every when clause reads only context keys that exist, compared with values that exist', () => {
  const viewIds = new Set(Object.values(contributes.views as Record<string, { id: string }[]>).flat().map((v) => v.id));
  const customEditors = new Set((contributes.customEditors as { viewType: string }[]).map((c) => c.viewType).concat('imagePreview.previewEditor'));
  const webviewTypes = new Set(['src/extension/explainView.ts', 'src/extension/compareView.ts', 'src/extension/training/runCompare.ts']
    .flatMap((f) => [...source(f).matchAll(/VIEW_TYPE = '([\w.]+)'/g)].map((m) => m[1])));
  assert.ok(webviewTypes.has('seaLens.explain'));
  const whens = allMenuEntries().map(([menu, e]) => [menu, e.when] as const)
    .concat((contributes.views.explorer as { when?: string }[]).map((v) => ['views', v.when] as const))
    .concat((contributes.viewsWelcome as { when?: string }[]).map((v) => ['viewsWelcome', v.when] as const))
    .filter((x): x is [string, string] => typeof x[1] === 'string');
  assert.ok(whens.length > 15);
  for (const [where, when] of whens) {
    for (const key of keysOf(when)) {
      assert.ok(VSCODE_KEYS.has(key) || OUR_KEYS.has(key), `${where}: "${when}" reads the unknown context key ${key}`);
    }
    for (const [key, value] of comparisons(when)) {
      if (key === 'view') assert.ok(viewIds.has(value), `${where}: no view ${value}`);
      if (key === 'activeCustomEditorId') assert.ok(customEditors.has(value), `${where}: no custom editor ${value}`);
      if (key === 'activeWebviewPanelId') assert.ok(webviewTypes.has(value), `${where}: no webview panel type ${value}`);
      if (key === 'viewItem') assert.match(value, /^seaLensRun\./, `${where}: tree items have contextValue seaLensRun.<status>`);
    }
  }
  // Our keys are set: the training registration pushes runContextKeys into setContext.
  const training = source('src/extension/training/registerTraining.ts');
  assert.match(training, /Object\.entries\(runContextKeys\(/);
  assert.match(training, /executeCommand\('setContext', key, value\)/);
});

test('the view actions sit in the editor title bar, only for the SEA Lens view they act on', () => {
  const title = (contributes.menus['editor/title'] as { command: string; when: string; group?: string }[]).filter((e) => e.command.startsWith('seaLens.view.'));
  assert.deepEqual(title.map((e) => e.command), ['seaLens.view.switchAdapter', 'seaLens.view.toggleHeatmap', 'seaLens.view.export', 'seaLens.view.chooseImage']);
  const palette = new Map((contributes.menus.commandPalette as { command: string; when: string }[]).map((e) => [e.command, e.when]));
  for (const e of title) {
    // Choose Image… is the compare views' (plain and a training run's Before/After)
    const want = e.command === 'seaLens.view.chooseImage' ? 'activeWebviewPanelId == seaLens.compare || activeWebviewPanelId == seaLens.trainingCompare' : EXPLAIN_VIEW_ACTIVE;
    assert.equal(e.when, want);
    assert.equal(palette.get(e.command), want, `${e.command}: in the palette only where it works`);
    assert.match(e.group ?? '', /^navigation/);
    assert.match(commands.find((c) => c.command === e.command)!.icon ?? '', /^\$\([\w-]+\)$/, `${e.command} needs an icon for the title bar`);
  }
});

test('the Training Runs view welcomes with a Train SEA Adapter… button; links name real commands', () => {
  const welcome = contributes.viewsWelcome as { view: string; contents: string; when?: string }[];
  const trusted = welcome.find((w) => w.view === 'seaLens.trainingRuns' && w.when === 'isWorkspaceTrusted');
  assert.ok(trusted, 'a welcome for the empty runs view');
  const text = nls[/^%(.+)%$/.exec(trusted.contents)![1]];
  assert.match(text, /\n\[Train SEA Adapter…\]\(command:seaLens\.trainAdapter\)\n/, 'the button is a link alone on its line');
  for (const w of welcome) {
    const body = nls[/^%(.+)%$/.exec(w.contents)![1]] ?? w.contents;
    for (const [, id] of body.matchAll(/\(command:([\w.]+)\)/g)) {
      if (id.startsWith('seaLens.')) assert.ok(commandIds.has(id), `viewsWelcome links to unknown ${id}`);
    }
  }
});

test('extension page: a 128×128 PNG icon, repository, bugs and homepage', () => {
  const icon = join(root, pkg.icon);
  assert.ok(existsSync(icon), `${pkg.icon} missing (node scripts/make-icon.mjs draws it)`);
  const png = readFileSync(icon);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  assert.match(pkg.repository.url, /^https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/, 'relative README links resolve against the repository');
  assert.match(pkg.bugs.url, /\/issues$/);
  assert.match(pkg.homepage, /^https:\/\//);
  assert.ok(pkg.activationEvents.includes('onStartupFinished'), 'the status bar follows image editors from start-up');
});

test('run context keys: each says whether its command has something to act on', () => {
  const runs = [{ status: 'finished', dir: '/a' }, { status: 'cancelled', dir: '/b' }, { status: 'running', dir: '/c' }];
  assert.deepEqual(runContextKeys([], new Set()), { 'seaLens.hasRuns': false, 'seaLens.hasRunningRuns': false, 'seaLens.hasResumableRuns': false, 'seaLens.hasFinishedRuns': false });
  assert.deepEqual(runContextKeys(runs, new Set(['/c'])), { 'seaLens.hasRuns': true, 'seaLens.hasRunningRuns': true, 'seaLens.hasResumableRuns': true, 'seaLens.hasFinishedRuns': true });
  // A run that this window is not running (status from a crashed window) cannot be cancelled here.
  assert.equal(runContextKeys(runs, new Set())['seaLens.hasRunningRuns'], false);
  // A cancelled run being resumed right now is not resumable again.
  assert.equal(runContextKeys([{ status: 'cancelled', dir: '/b' }], new Set(['/b']))['seaLens.hasResumableRuns'], false);
});

test('status bar: shown for image editors, SEA Lens views and notebooks, hidden elsewhere', () => {
  assert.ok(isLensTab({ kind: 'custom', viewType: 'imagePreview.previewEditor', path: '/x/a.png' }));
  assert.ok(isLensTab({ kind: 'custom', viewType: 'seaLens.imageExplainer' }));
  assert.ok(isLensTab({ kind: 'webview', viewType: 'mainThreadWebview-seaLens.explain' }));
  assert.ok(isLensTab({ kind: 'webview', viewType: 'seaLens.trainingRun' }));
  assert.ok(isLensTab({ kind: 'notebook', viewType: 'sealens-notebook' }));
  assert.ok(!isLensTab({ kind: 'notebook', viewType: 'jupyter-notebook' }));
  assert.ok(!isLensTab({ kind: 'webview', viewType: 'mainThreadWebview-markdown.preview' }));
  assert.ok(!isLensTab({ kind: 'text', path: '/x/a.ts' }));
  assert.ok(!isLensTab(undefined));
});

test('walkthrough steps complete on, and link to, commands that exist; their media files are there', () => {
  for (const w of (contributes.walkthroughs ?? []) as { steps: { id: string; description: string; media?: { markdown?: string; image?: string }; completionEvents?: string[] }[] }[]) {
    for (const step of w.steps) {
      for (const ev of step.completionEvents ?? []) {
        const id = /^onCommand:(.+)$/.exec(ev)?.[1];
        if (id) assert.ok(commandIds.has(id), `walkthrough step ${step.id}: completes on unknown command ${id}`);
      }
      const body = nls[/^%(.+)%$/.exec(step.description)?.[1] ?? ''] ?? step.description;
      for (const [, id] of body.matchAll(/\(command:([\w.]+)/g)) {
        if (id.startsWith('seaLens.')) assert.ok(commandIds.has(id), `walkthrough step ${step.id}: links to unknown ${id}`);
      }
      const media = step.media?.markdown ?? step.media?.image;
      if (media) assert.ok(existsSync(join(root, media)), `walkthrough step ${step.id}: ${media} missing`);
    }
  }
});
