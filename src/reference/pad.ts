import { padGeometry, type PadAxis, type PadMode, type PadOptions } from '../ops/pad.js';
import { sizeOf } from '../ops/args.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

/**
 * Per output index along one axis, the input index it copies (-1: the constant). Built by walking
 * outward from the kept cells, one padded cell at a time, rather than by the kernel's formulas.
 */
function axisTable(a: PadAxis, mode: PadMode): number[] {
  const kept = Array.from({ length: a.len }, (_, i) => a.lo + i);
  const after = a.out - a.before - a.len;
  const side = (count: number, forward: boolean): number[] => {
    const cells: number[] = [];
    // reflect: a walker bouncing between the first and last kept cells, starting at the edge.
    let pos = forward ? a.len - 1 : 0;
    let dir = forward ? 1 : -1;
    for (let k = 0; k < count; k++) {
      if (mode === 'constant') cells.push(-1);
      else if (mode === 'edge') cells.push(kept[forward ? a.len - 1 : 0]);
      else if (mode === 'wrap') cells.push(forward ? kept[k % a.len] : kept[a.len - 1 - (k % a.len)]);
      else {
        if (a.len > 1) {
          if (pos + dir < 0 || pos + dir >= a.len) dir = -dir;
          pos += dir;
        }
        cells.push(kept[pos]);
      }
    }
    return cells;
  };
  return [...side(a.before, false).reverse(), ...kept, ...side(after, true)];
}

/** ONNX Pad: negative pads crop first, then the padding around what is left, by mode. */
export function pad(x: HostTensor, options: PadOptions): HostTensor {
  const op = 'pad';
  const input = checkHost(x, op, 'x');
  const g = padGeometry(op, input.shape, options);
  const rank = input.shape.length;
  const inStrides = input.shape.map((_, i) => sizeOf(input.shape.slice(i + 1)));
  const tables = g.axes.map((a) => axisTable(a, g.mode));
  const out = new Float32Array(sizeOf(g.outShape));
  const coord = new Array(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let a = 0; a < rank && src >= 0; a++) {
      const s = tables[a][coord[a]];
      src = s < 0 ? -1 : src + s * inStrides[a];
    }
    out[i] = src < 0 ? g.value : input.data[src];
    for (let a = rank - 1; a >= 0; a--) {
      if (++coord[a] < g.outShape[a]) break;
      coord[a] = 0;
    }
  }
  return { data: out, shape: g.outShape };
}
