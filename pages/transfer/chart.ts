// The live training chart: each batch's loss and accuracy as fit reports them (onBatchEnd), and
// each epoch's held-out figures, on one step axis; loss on the left, accuracy (0..1) on the right.
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Title, Tooltip);

type Point = { x: number; y: number };

export class TrainingChart {
  private chart: Chart<'line', Point[]>;

  constructor(canvas: HTMLCanvasElement) {
    const line = (label: string, color: string, axis: 'loss' | 'acc', dashed = false) => ({
      label,
      data: [] as Point[],
      borderColor: color,
      backgroundColor: color,
      yAxisID: axis,
      pointRadius: dashed ? 3 : 0,
      borderWidth: 2,
      borderDash: dashed ? [5, 4] : [],
      tension: 0.2,
    });
    this.chart = new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          line('loss (batch)', '#b3261e', 'loss'),
          line('accuracy (batch)', '#2f5fd0', 'acc'),
          line('held-out loss (epoch)', '#e08a1e', 'loss', true),
          line('held-out accuracy (epoch)', '#1b7f3b', 'acc', true),
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        // Points arrive every batch; animating each redraw only lags behind them.
        animation: false,
        parsing: false,
        plugins: { title: { display: true, text: 'Training: loss and accuracy' } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'batch step' }, min: 0 },
          loss: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'loss' } },
          acc: { type: 'linear', position: 'right', min: 0, max: 1, title: { display: true, text: 'accuracy' }, grid: { drawOnChartArea: false } },
        },
      },
    });
  }

  reset(): void {
    for (const d of this.chart.data.datasets) d.data = [];
    this.chart.update('none');
  }

  batch(step: number, loss: number, accuracy: number | undefined): void {
    const [l, a] = this.chart.data.datasets;
    l.data.push({ x: step, y: loss });
    if (accuracy !== undefined) a.data.push({ x: step, y: accuracy });
    this.chart.update('none');
  }

  epoch(step: number, loss: number | undefined, accuracy: number | undefined): void {
    const [, , l, a] = this.chart.data.datasets;
    if (loss !== undefined) l.data.push({ x: step, y: loss });
    if (accuracy !== undefined) a.data.push({ x: step, y: accuracy });
    this.chart.update('none');
  }

  /** How many points each line has, for tests. */
  counts(): number[] {
    return this.chart.data.datasets.map((d) => d.data.length);
  }
}
