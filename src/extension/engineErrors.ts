// Turns an engine failure into what the user reads: the engine's own message (it names the file and
// the numbers) plus the fix, chosen by the JSON-RPC error code.

import * as vscode from 'vscode';
import { EngineErrorCode } from '../shared/engineProtocol';
import { SettingsError } from './settings';

export interface UserError {
  message: string;
  fix: string;
  cancelled: boolean;
  /** Offer this command as the notification's button. */
  action?: { title: string; command: string };
}

export function describeError(e: unknown): UserError {
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof vscode.CancellationError || code === EngineErrorCode.Cancelled) {
    return { message: vscode.l10n.t('Cancelled.'), fix: '', cancelled: true };
  }
  if (e instanceof SettingsError) {
    return { message: e.message, fix: e.fix, cancelled: false, action: e.setting ? { title: vscode.l10n.t('Open Settings'), command: `settings:${e.setting}` } : undefined };
  }
  switch (code) {
    case EngineErrorCode.PackInvalid:
      return {
        message: vscode.l10n.t('The model pack cannot be used: {0}', message),
        fix: vscode.l10n.t('Fix the pack (see docs/model-pack.md) or choose another with "SEA Lens: Select Model Pack…".'),
        cancelled: false,
        action: { title: vscode.l10n.t('Select Model Pack…'), command: 'seaLens.selectPack' },
      };
    case EngineErrorCode.ImageInvalid:
      return { message: vscode.l10n.t('The image cannot be read: {0}', message), fix: vscode.l10n.t('Use a PNG, JPEG, WebP, GIF, BMP or TIFF file that other viewers can open.'), cancelled: false };
    case EngineErrorCode.BadInput:
      return { message, fix: vscode.l10n.t('Check the SEA Lens settings (seaLens.*).'), cancelled: false, action: { title: vscode.l10n.t('Open Settings'), command: 'settings:seaLens' } };
    default:
      return {
        message: vscode.l10n.t('The SEA Lens engine failed: {0}', message),
        fix: vscode.l10n.t('The log has details ("SEA Lens: Show Log"); the next request restarts the engine if it stopped.'),
        cancelled: false,
        action: { title: vscode.l10n.t('Show Log'), command: 'seaLens.showLog' },
      };
  }
}

/** A notification with the fix and, where there is one, a button that performs it. */
export async function notifyError(err: UserError): Promise<void> {
  if (err.cancelled) return;
  const text = err.fix ? `SEA Lens: ${err.message} ${err.fix}` : `SEA Lens: ${err.message}`;
  const pick = err.action ? await vscode.window.showErrorMessage(text, err.action.title) : await vscode.window.showErrorMessage(text);
  if (!pick || !err.action) return;
  if (err.action.command.startsWith('settings:')) {
    await vscode.commands.executeCommand('workbench.action.openSettings', err.action.command.slice('settings:'.length));
  } else {
    await vscode.commands.executeCommand(err.action.command);
  }
}
