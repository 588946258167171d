// The HTML shell of every SEA Lens webview: Content-Security-Policy default-src 'none', one nonce per
// page from crypto, the bundled script from dist/webview via asWebviewUri, and the initial state in a
// data- attribute (escaped) instead of an inline script.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function nonce(): string {
  return randomBytes(18).toString('base64');
}

export function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function contentSecurityPolicy(cspSource: string, n: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} blob: data:`,
    // fetch() of the image (PNG export reads it back without tainting the canvas)
    `connect-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${n}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: 'explain' | 'compare', title: string, state: object): string {
  const n = nonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${bundle}.js`));
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(vscode.env.language || 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, n)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeAttribute(title)}</title>
</head>
<body>
<div id="sealens-app" data-state="${escapeAttribute(JSON.stringify(state))}"></div>
<script type="module" nonce="${n}" src="${script}"></script>
</body>
</html>`;
}
