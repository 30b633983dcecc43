// The ONNX view's input table: every declared dimension (fixed, or symbolic with its name), what
// the page guessed and why, and a picker for each free dimension. Height and width step by the
// multiple the graph suggests; when both are free a preset list offers common sizes.
import { el } from '../shared/draw.js';
import { defaultSize, type DimInfo, type InputGuess } from './onnx-input.js';

const MAX_SIDE = 4096;
/** Sizes offered when height and width are both free, rounded to the model's multiple. */
const PRESETS: [number, number][] = [[160, 160], [320, 320], [480, 640], [640, 480], [640, 640], [960, 960]];

export class InputPickers {
  private guess: InputGuess | null = null;

  constructor(private readonly inputs: HTMLElement, private readonly guesses: HTMLElement, private readonly onChange: () => void) {}

  /** Shows `g`'s input and guesses, with pickers at their defaults for `picture`. */
  show(g: InputGuess, picture: { width: number; height: number }): void {
    this.guess = g;
    const size = defaultSize(g, picture);
    const table = el('table', { id: 'onnx-dims' });
    table.append(el('thead'), el('tbody'));
    table.tHead!.append(el('tr'));
    table.tHead!.rows[0].append(...['axis', 'means', 'declared', 'fed'].map((t) => el('th', {}, t)));
    for (const d of g.dims) {
      const tr = el('tr', { 'data-axis': String(d.axis), 'data-role': d.role });
      const declared = d.size !== null ? `${d.size} (fixed)` : d.role === 'batch' ? `${d.symbol} (symbolic batch)` : `${d.symbol} (symbolic)`;
      tr.append(el('td', { class: 'num' }, String(d.axis)), el('td', {}, d.role), el('td', {}, declared), this.fedCell(d, g, size));
      table.tBodies[0].append(tr);
    }
    const heading = el('p', {}, 'Input ');
    heading.append(el('code', {}, g.name), ` [${g.declared.map((d) => (d === null ? 'N' : d)).join(', ')}]`);
    const hw = g.dims.filter((d) => (d.role === 'height' || d.role === 'width') && d.size === null);
    if (hw.length === 2) heading.append(' · size ', this.presetPicker(g, size));
    this.inputs.replaceChildren(heading, table);
    const reasons = [g.layoutWhy, g.multipleWhy, `input range ${g.rangeWhy}`, `channel order ${g.orderWhy}`].filter(Boolean);
    this.guesses.replaceChildren(...reasons.map((r) => el('li', {}, r)));
  }

  private fedCell(d: DimInfo, g: InputGuess, size: { height: number; width: number }): HTMLElement {
    const td = el('td');
    if (d.size !== null) td.textContent = String(d.size);
    else if (d.role === 'batch') td.textContent = '1';
    else {
      const value = d.role === 'height' ? size.height : d.role === 'width' ? size.width : 3;
      const step = d.role === 'channels' ? 1 : g.multiple;
      const input = el('input', { id: `onnx-dim-${d.axis}`, type: 'number', min: String(step), max: String(d.role === 'channels' ? 4 : MAX_SIDE), step: String(step), value: String(value), 'aria-label': `${d.role} (${d.symbol})` });
      input.addEventListener('change', () => {
        this.syncPreset();
        this.onChange();
      });
      td.append(input);
    }
    return td;
  }

  private presetPicker(g: InputGuess, size: { height: number; width: number }): HTMLSelectElement {
    const select = el('select', { id: 'onnx-size-preset', 'aria-label': 'height × width' });
    const round = (v: number) => Math.max(g.multiple, Math.round(v / g.multiple) * g.multiple);
    const sizes = new Set([`${size.height}x${size.width}`, ...PRESETS.map(([h, w]) => `${round(h)}x${round(w)}`)]);
    for (const s of sizes) select.append(el('option', { value: s }, s.replace('x', ' × ')));
    select.append(el('option', { value: 'custom' }, 'custom (type below)'));
    select.value = `${size.height}x${size.width}`;
    select.addEventListener('change', () => {
      if (select.value === 'custom') return;
      const [h, w] = select.value.split('x');
      this.dimInput('height')!.value = h;
      this.dimInput('width')!.value = w;
      this.onChange();
    });
    return select;
  }

  private syncPreset(): void {
    const select = document.getElementById('onnx-size-preset') as HTMLSelectElement | null;
    if (!select) return;
    const v = `${this.dimInput('height')?.value}x${this.dimInput('width')?.value}`;
    select.value = Array.from(select.options).some((o) => o.value === v) ? v : 'custom';
  }

  private dimInput(role: 'height' | 'width' | 'channels'): HTMLInputElement | null {
    const d = this.guess?.dims.find((x) => x.role === role);
    return d ? (document.getElementById(`onnx-dim-${d.axis}`) as HTMLInputElement | null) : null;
  }

  /** The picked size of a dimension: fixed, or read from its picker and checked. */
  picked(role: 'height' | 'width' | 'channels'): number {
    const d = this.guess!.dims.find((x) => x.role === role)!;
    if (d.size !== null) return d.size;
    const v = Number(this.dimInput(role)!.value);
    const max = role === 'channels' ? 4 : MAX_SIDE;
    if (!Number.isInteger(v) || v < 1 || v > max || (role === 'channels' && v === 2)) {
      throw new Error(`${role} (${d.symbol}) must be ${role === 'channels' ? '1, 3 or 4' : `a whole number from 1 to ${max}`}, got '${this.dimInput(role)!.value}'`);
    }
    return v;
  }
}
