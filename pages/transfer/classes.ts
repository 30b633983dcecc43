// The classes the user names and fills: one card per class with its name, a file picker, the
// camera, drops onto the card, and every picture with its pooled features drawn beside it.
import type { ValueRange } from '../shared/colormap.js';
import { el } from '../shared/draw.js';
import { featureCanvas, percentile, thumbnail } from './pictures.js';

export interface Picture {
  id: number;
  rgba: Uint8ClampedArray;
  /** The base's pooled output; null until computed. */
  features: Float32Array | null;
  /** Kept out of training, to measure the trained model on. */
  heldOut: boolean;
  /** Where it came from: "built-in stripes 3", a file name, "camera". */
  source: string;
  /** Held out and predicted by the trained model: right or wrong. */
  verdict?: boolean;
}

export interface ClassData {
  name: string;
  pictures: Picture[];
}

export interface ClassEvents {
  files(cls: number, files: File[]): void;
  camera(cls: number): void;
  rename(cls: number, name: string): void;
  removeClass(cls: number): void;
  removePicture(cls: number, id: number): void;
  toggleHeldOut(cls: number, id: number): void;
}

export const MIN_CLASSES = 2;
export const cameraAvailable = () => typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;

function card(data: ClassData, index: number, range: ValueRange, events: ClassEvents, canRemove: boolean): HTMLElement {
  const root = el('div', { class: 'class-card drop', 'data-class': String(index) });
  const name = el('input', { type: 'text', class: 'class-name', value: data.name, 'aria-label': `name of class ${index + 1}` });
  name.addEventListener('change', () => events.rename(index, name.value));
  const files = el('input', { type: 'file', accept: 'image/*', multiple: '', class: 'class-files', 'aria-label': `add pictures to class ${index + 1}` });
  files.addEventListener('change', () => {
    if (files.files?.length) events.files(index, Array.from(files.files));
    files.value = '';
  });
  const camera = el('button', { type: 'button', class: 'class-camera' }, 'Camera');
  if (!cameraAvailable()) {
    camera.disabled = true;
    camera.title = 'This browser gives the page no camera (navigator.mediaDevices.getUserMedia is missing, or the page is not on https/localhost).';
  }
  camera.addEventListener('click', () => events.camera(index));
  const controls = el('div', { class: 'controls' });
  const pick = el('label', {}, 'Add pictures ');
  pick.append(files);
  controls.append(name, pick, camera);
  if (canRemove) {
    const remove = el('button', { type: 'button', class: 'class-remove' }, 'Remove class');
    remove.addEventListener('click', () => events.removeClass(index));
    controls.append(remove);
  }
  const train = data.pictures.filter((p) => !p.heldOut).length;
  const count = el('div', { class: 'status class-count' }, `${data.pictures.length} pictures: ${train} for training, ${data.pictures.length - train} held out. Drop pictures on this card to add them.`);
  const grid = el('div', { class: 'pictures' });
  for (const p of data.pictures) {
    const verdict = p.verdict === undefined ? '' : p.verdict ? ' right' : ' wrong';
    const item = el('figure', { class: `picture${p.heldOut ? ' held-out' : ''}${verdict}`, 'data-id': String(p.id) });
    const pair = el('div', { class: 'pair' });
    pair.append(thumbnail(p.rgba, 80));
    if (p.features) pair.append(featureCanvas(p.features, range, 80));
    else pair.append(el('div', { class: 'features pending' }, 'features…'));
    const caption = el('figcaption');
    const held = el('button', { type: 'button', class: 'held-toggle', title: 'Held-out pictures are not trained on; the trained model is measured on them.' }, p.heldOut ? 'held out' : 'training');
    held.addEventListener('click', () => events.toggleHeldOut(index, p.id));
    const x = el('button', { type: 'button', class: 'picture-remove', 'aria-label': `remove ${p.source}` }, '×');
    x.addEventListener('click', () => events.removePicture(index, p.id));
    caption.append(el('span', { class: 'source' }, p.source), held, x);
    item.append(pair, caption);
    grid.append(item);
  }
  root.append(controls, count, grid);
  // Drops onto a card add to that class; the page-wide handler ignores them.
  root.addEventListener('dragover', (e) => {
    e.preventDefault();
    root.classList.add('over');
  });
  root.addEventListener('dragleave', () => root.classList.remove('over'));
  root.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    root.classList.remove('over');
    const dropped = Array.from(e.dataTransfer?.files ?? []);
    if (dropped.length) events.files(index, dropped);
  });
  return root;
}

/** Redraws every class card into `container`. */
export function renderClasses(container: HTMLElement, classes: readonly ClassData[], range: ValueRange, events: ClassEvents): void {
  container.replaceChildren(...classes.map((c, i) => card(c, i, range, events, classes.length > MIN_CLASSES)));
}

/**
 * The shared colour scale: 0 to the 99th percentile of every picture's features. A few features
 * are far larger than the rest; stretching to the very largest would leave most cells dark.
 */
export function featureRange(classes: readonly ClassData[], extra: readonly Float32Array[] = []): ValueRange {
  const all = [...classes.flatMap((c) => c.pictures.map((p) => p.features)), ...extra].filter((f): f is Float32Array => !!f);
  return { min: 0, max: percentile(all, 0.99) || 1 };
}
