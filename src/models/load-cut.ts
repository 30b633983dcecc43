// loadLayersModel's `outputs` option: a model cut at named layers, as Keras's
// `Model(base.input, [base.get_layer(name).output, ...])`. The cut is made on the topology, before
// any layer is mapped, so that the layers past the cut cost nothing: their weights are neither
// mapped nor uploaded, and a layer Condense cannot run beyond the cut does not stop the load.
import { describe } from '../ops/args.js';
import { failLoad } from './load-error.js';
import type { Topology } from './keras-topology.js';

/** Checks `outputs` (value ids: layer names, with a nested model's `scope/` and `:k` for a k-th application). */
export function checkOutputs(outputs: unknown): string[] {
  if (!Array.isArray(outputs) || outputs.length === 0) failLoad(`outputs must be a non-empty array of layer names, got ${describe(outputs)}`);
  const seen = new Set<string>();
  for (const [i, o] of (outputs as unknown[]).entries()) {
    if (typeof o !== 'string' || o === '') failLoad(`outputs[${i}] must be a layer name (a non-empty string), got ${describe(o)}`);
    if (seen.has(o as string)) failLoad(`outputs names "${o}" twice`);
    seen.add(o as string);
  }
  return outputs as string[];
}

/** The topology with `outputs` as its outputs and only the layer applications they need. */
export function cutTopology(topo: Topology, outputs: readonly string[]): Topology {
  const ids = new Set(topo.nodes.map((n) => n.id));
  for (const o of outputs) {
    if (topo.inputs.some((i) => i.id === o)) failLoad(`outputs names "${o}", which is an input of the model, not a layer's output`);
    if (!ids.has(o)) failLoad(`outputs names "${o}", but the model has no layer of that name; ${suggest(topo, o)}`);
  }
  const needed = new Set(outputs);
  // Nodes are in topological order: walking back, a needed node marks what it reads.
  for (let i = topo.nodes.length - 1; i >= 0; i--) if (needed.has(topo.nodes[i].id)) for (const v of topo.nodes[i].inputs) needed.add(v);
  return { ...topo, nodes: topo.nodes.filter((n) => needed.has(n.id)), outputs: [...outputs] };
}

/** Names close to a wrong one (same letters, another case or a missing scope), else the last layers. */
function suggest(topo: Topology, wrong: string): string {
  const key = wrong.toLowerCase();
  const close = topo.nodes.map((n) => n.id).filter((id) => id.toLowerCase() === key || id.toLowerCase().endsWith(`/${key}`) || id.toLowerCase().includes(key));
  if (close.length) return `did you mean ${close.slice(0, 5).map((id) => `"${id}"`).join(', ')}?`;
  const last = topo.nodes.slice(-5).map((n) => `"${n.id}" (${n.layer.class_name})`);
  return `its last layers are ${last.join(', ')}`;
}
