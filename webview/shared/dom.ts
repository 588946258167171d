// Tiny DOM helpers: elements built from text only (tokenizer words are untrusted; no innerHTML anywhere).

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K];
export function el(tag: string, className?: string, text?: string): HTMLElement;
export function el(tag: string, className?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function field(label: string, control: HTMLElement): HTMLElement {
  const wrap = el('div', 'sl-field');
  const l = el('label', undefined, label);
  if (control.id) l.htmlFor = control.id;
  wrap.append(l, control);
  return wrap;
}

/** Fills a <vscode-single-select> with one option per value and selects `selected`. */
export function fillSelect(select: HTMLElement & { value: string }, values: string[], selected: string): void {
  select.replaceChildren(...values.map((v) => {
    const o = el('vscode-option', undefined, v);
    o.setAttribute('value', v);
    if (v === selected) o.setAttribute('selected', '');
    return o;
  }));
  select.value = selected;
}

export function button(id: string, label: string, secondary = true): HTMLElement {
  const b = el('vscode-button', undefined, label);
  b.id = id;
  if (secondary) b.setAttribute('secondary', '');
  return b;
}
