// Optimizers: Keras's SGD (momentum, Nesterov) and Adam, their options checked when made (naming
// the option), their state (velocity; m and v) kept as GPU tensors per trainable weight, and each
// step recorded in place through engine.grad.sgdUpdate / adamUpdate.
import type { Engine } from '../engine.js';
import { checkOptions, describe, fail } from '../ops/args.js';
import type { Tensor } from '../tensor.js';

export interface SgdOptions {
  /** Default 0.01 (Keras). */
  learningRate?: number;
  /** In [0, 1); default 0. */
  momentum?: number;
  /** Default false. */
  nesterov?: boolean;
}

export interface AdamOptions {
  /** Default 0.001 (Keras). */
  learningRate?: number;
  /** In [0, 1); default 0.9. */
  beta1?: number;
  /** In [0, 1); default 0.999. */
  beta2?: number;
  /** Positive; default 1e-7 (Keras). */
  epsilon?: number;
}

function positiveFinite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(op, `${name} must be a positive finite number, got ${describe(v)}`);
  return v;
}

function fraction(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(op, `${name} must be a number in [0, 1), got ${describe(v)}`);
  return v;
}

function checkKeys(op: string, options: object, allowed: readonly string[]): void {
  for (const k of Object.keys(options)) if (!allowed.includes(k)) fail(op, `unknown option "${k}"; the options are ${allowed.join(', ')}`);
}

/** One weight's optimizer slots, made on the first step that updates it. */
type Slots = Tensor[];

export abstract class Optimizer {
  abstract readonly className: 'SGD' | 'Adam';
  /** Steps taken (Adam's bias correction counts from 1). */
  iterations = 0;
  private slots = new Map<number, Slots>();
  private engine: Engine | null = null;
  private rate = 0;

  /** May change between fit calls (a schedule), as in Keras and tfjs; a positive finite number. */
  get learningRate(): number {
    return this.rate;
  }

  set learningRate(value: number) {
    this.rate = positiveFinite(this.className === 'SGD' ? 'sgd' : 'adam', 'learningRate', value);
  }

  /** The options, as Keras's get_config names them. */
  abstract config(): Record<string, number | boolean>;

  protected abstract slotCount(): number;
  protected abstract update(engine: Engine, weight: Tensor, grad: Tensor, slots: Slots): void;

  /**
   * @internal Records one step of every (weight key, weight, gradient); the slots live on the
   * engine as long as the optimizer does (a compile with another optimizer drops them).
   */
  apply(engine: Engine, updates: readonly { key: number; weight: Tensor; grad: Tensor }[]): void {
    if (this.engine !== engine) this.reset();
    this.engine = engine;
    this.iterations++;
    for (const { key, weight, grad } of updates) {
      let s = this.slots.get(key);
      if (!s) {
        s = Array.from({ length: this.slotCount() }, () => engine.keep(engine.tensor(new Float32Array(weight.size), weight.shape)));
        this.slots.set(key, s);
      }
      this.update(engine, weight, grad, s);
    }
  }

  /** @internal Frees the state (a new compile, or the model moved to another engine). */
  reset(): void {
    for (const s of this.slots.values()) for (const t of s) if (!t.disposed) t.dispose();
    this.slots.clear();
    this.iterations = 0;
    this.engine = null;
  }
}

export class SGD extends Optimizer {
  readonly className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(options: SgdOptions = {}) {
    super();
    const op = 'sgd';
    checkOptions(options, op);
    checkKeys(op, options, ['learningRate', 'momentum', 'nesterov']);
    this.learningRate = options.learningRate ?? 0.01;
    this.momentum = fraction(op, 'momentum', options.momentum ?? 0);
    if (options.nesterov !== undefined && typeof options.nesterov !== 'boolean') fail(op, `nesterov must be a boolean, got ${describe(options.nesterov)}`);
    this.nesterov = options.nesterov ?? false;
  }
  config() {
    return { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov };
  }
  protected slotCount(): number {
    return this.momentum > 0 ? 1 : 0;
  }
  protected update(engine: Engine, weight: Tensor, grad: Tensor, [velocity]: Slots): void {
    engine.grad.sgdUpdate(weight, grad, { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov, velocity });
  }
}

export class Adam extends Optimizer {
  readonly className = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  constructor(options: AdamOptions = {}) {
    super();
    const op = 'adam';
    checkOptions(options, op);
    checkKeys(op, options, ['learningRate', 'beta1', 'beta2', 'epsilon']);
    this.learningRate = options.learningRate ?? 0.001;
    this.beta1 = fraction(op, 'beta1', options.beta1 ?? 0.9);
    this.beta2 = fraction(op, 'beta2', options.beta2 ?? 0.999);
    this.epsilon = positiveFinite(op, 'epsilon', options.epsilon ?? 1e-7);
  }
  config() {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
  protected slotCount(): number {
    return 2;
  }
  protected update(engine: Engine, weight: Tensor, grad: Tensor, [m, v]: Slots): void {
    engine.grad.adamUpdate(weight, grad, { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, step: this.iterations, m, v });
  }
}

/** Keras SGD: learningRate 0.01, momentum 0, nesterov false by default. */
export function sgd(options?: SgdOptions): SGD {
  return new SGD(options);
}

/** Keras Adam: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7 by default. */
export function adam(options?: AdamOptions): Adam {
  return new Adam(options);
}

/** compile's optimizer: an Optimizer, or 'sgd' / 'adam' with Keras's defaults. */
export function resolveOptimizer(op: string, v: unknown): Optimizer {
  if (v instanceof Optimizer) return v;
  if (v === 'sgd') return new SGD();
  if (v === 'adam') return new Adam();
  return fail(op, `optimizer must be sgd({...}), adam({...}), 'sgd' or 'adam', got ${describe(v)}`);
}
