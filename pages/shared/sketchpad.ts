// A drawing pad: white strokes on black (like the MNIST digits), drawn with a mouse, a finger or a
// pen through Pointer Events. Calls back when a stroke ends.

export interface SketchPadOptions {
  /** Stroke width in canvas pixels. */
  lineWidth?: number;
  /** Called after each stroke (pointer up or cancel). */
  onStroke?: () => void;
}

export class SketchPad {
  private readonly ctx: CanvasRenderingContext2D;
  private drawing = false;
  private last: { x: number; y: number } | null = null;
  private strokes = 0;

  constructor(readonly canvas: HTMLCanvasElement, private readonly options: SketchPadOptions = {}) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('SketchPad: no 2d canvas context');
    this.ctx = ctx;
    // The page must not scroll or zoom while a finger draws.
    canvas.style.touchAction = 'none';
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', () => this.up());
    canvas.addEventListener('pointercancel', () => this.up());
    this.clear();
  }

  /** Strokes since the last clear(). */
  get strokeCount(): number {
    return this.strokes;
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes = 0;
  }

  /** Paints a gray image (values in [0, 1], row-major height x width) over the whole pad. */
  showImage(gray: ArrayLike<number>, height: number, width: number): void {
    const small = document.createElement('canvas');
    small.width = width;
    small.height = height;
    const sctx = small.getContext('2d')!;
    const img = sctx.createImageData(width, height);
    for (let i = 0; i < height * width; i++) {
      const v = Math.round(Math.min(Math.max(gray[i], 0), 1) * 255);
      img.data.set([v, v, v, 255], 4 * i);
    }
    sctx.putImageData(img, 0, 0);
    this.clear();
    this.ctx.imageSmoothingEnabled = false;
    this.ctx.drawImage(small, 0, 0, this.canvas.width, this.canvas.height);
    this.ctx.imageSmoothingEnabled = true;
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.canvas.width, y: ((e.clientY - r.top) / r.height) * this.canvas.height };
  }

  private down(e: PointerEvent): void {
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.drawing = true;
    this.last = this.point(e);
    this.segment(this.last, this.last);
  }

  private move(e: PointerEvent): void {
    if (!this.drawing || !this.last) return;
    // Coalesced events keep fast strokes smooth where the browser offers them.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length > 0 ? events : [e]) {
      const p = this.point(ev);
      this.segment(this.last, p);
      this.last = p;
    }
  }

  private up(): void {
    if (!this.drawing) return;
    this.drawing = false;
    this.last = null;
    this.strokes++;
    this.options.onStroke?.();
  }

  private segment(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const ctx = this.ctx;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.options.lineWidth ?? this.canvas.width / 14;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }
}
