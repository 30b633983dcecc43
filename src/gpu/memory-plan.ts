// The memory plan: which of one submit's intermediates may share a GPU buffer. Knows no op and no
// device: it sees, per encoded command in order, the buffers it binds, and which of them may be
// planned (the dispatcher's rule: tensor buffers created, used and released within this one
// recording, which no queue write or map can touch; see Dispatcher.submit).

/** One planned buffer's life: the first and last command (by index) that binds it. */
export interface Tenant<B> {
  buffer: B;
  size: number;
  usage: number;
  first: number;
  last: number;
}

/** A physical buffer of the plan: its size (the largest tenant's) and its tenants, in no order. */
export interface Slot<B> {
  size: number;
  usage: number;
  tenants: Tenant<B>[];
}

/**
 * Greedy by size (TFLite's arena planner does the same): tenants from the largest down, each to
 * the smallest existing slot of its usage whose tenants' lives all end before it starts or start
 * after it ends, else a new slot. Largest first makes every slot at least as large as anything
 * later put in it; by start time, a small early tenant would take a slot that a large later one
 * then cannot use. Lives that touch (one command reads the last tenant and writes the next) do
 * not share: a dispatch may not bind one buffer as two writable ranges.
 */
export function planMemory<B>(uses: readonly (readonly B[])[], plannable: (buffer: B) => boolean, describe: (buffer: B) => { size: number; usage: number }): Slot<B>[] {
  const tenants = new Map<B, Tenant<B>>();
  uses.forEach((buffers, i) => {
    for (const buffer of buffers) {
      const t = tenants.get(buffer);
      if (t) t.last = i;
      else if (plannable(buffer)) tenants.set(buffer, { buffer, ...describe(buffer), first: i, last: i });
    }
  });
  const order = [...tenants.values()].sort((a, b) => b.size - a.size || a.first - b.first);
  const slots: Slot<B>[] = [];
  for (const t of order) {
    let best: Slot<B> | undefined;
    for (const s of slots) {
      if (s.usage !== t.usage || (best && s.size >= best.size)) continue;
      if (s.tenants.every((o) => o.last < t.first || o.first > t.last)) best = s;
    }
    if (best) best.tenants.push(t);
    else slots.push({ size: t.size, usage: t.usage, tenants: [t] });
  }
  return slots;
}
