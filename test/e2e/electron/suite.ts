// Runs inside VS Code desktop's extension host (loaded by @vscode/test-electron): drives the real
// commands and checks what VS Code reports back.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const sample = process.env.SEALENS_SAMPLE;
  assert.ok(sample, 'SEALENS_SAMPLE is not set');
  const ext = vscode.extensions.all.find((e) => e.packageJSON.name === 'sea-lens');
  assert.ok(ext, 'the SEA Lens extension is not loaded');
  const commands = await vscode.commands.getCommands(true);
  for (const c of ['seaLens.explain', 'seaLens.compareAdapters', 'seaLens.selectPack', 'seaLens.selectAdapter', 'seaLens.showLog']) {
    assert.ok(commands.includes(c), `command ${c} is not registered`);
  }
  await vscode.commands.executeCommand('seaLens.explain', vscode.Uri.file(sample));
  const name = sample.split(/[\\/]/).pop()!;
  const end = Date.now() + 30_000;
  let found = false;
  while (!found && Date.now() < end) {
    found = vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label.includes(name) && t.input instanceof vscode.TabInputWebview));
    if (!found) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(found, `no "Visual tokens: ${name}" webview tab opened`);
}
