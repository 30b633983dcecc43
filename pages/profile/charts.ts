// The page's two charts: time per case per engine (log scale: the CPU can be 1000x off), and the
// share of the bandwidth ceiling each GPU engine reaches.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LogarithmicScale, Title, Tooltip } from 'chart.js';
import type { BenchReport } from '../../bench/run.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, Legend, Title, Tooltip);

const COLORS = { condense: '#2f5fd0', tfjs: '#e08a1e', cpu: '#8a8f99' };

let charts: Chart[] = [];

function bar(canvas: HTMLCanvasElement, title: string, labels: string[], datasets: { label: string; data: (number | null)[]; color: string }[], yTitle: string, log: boolean): Chart {
  return new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets: datasets.map((d) => ({ label: d.label, data: d.data, backgroundColor: d.color })) },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      // Results arrive all at once; animating them only delays screenshots.
      animation: false,
      plugins: { title: { display: true, text: title } },
      scales: { y: { type: log ? 'logarithmic' : 'linear', title: { display: true, text: yTitle }, ...(log ? {} : { beginAtZero: true }) } },
    },
  });
}

export function drawCharts(report: BenchReport, timeCanvas: HTMLCanvasElement, ceilingCanvas: HTMLCanvasElement): void {
  for (const c of charts) c.destroy();
  const labels = report.cases.map((c) => c.id);
  const time = [
    { label: 'Condense', data: report.cases.map((c) => c.condense.time.median), color: COLORS.condense },
    ...(report.timing.tfjs ? [{ label: 'tfjs-webgpu', data: report.cases.map((c) => c.tfjs?.time.median ?? null), color: COLORS.tfjs }] : []),
    ...(report.cases.some((c) => c.cpu) ? [{ label: 'CPU reference', data: report.cases.map((c) => c.cpu?.time.median ?? null), color: COLORS.cpu }] : []),
  ];
  const ceiling = [
    { label: 'Condense', data: report.cases.map((c) => c.condense.ceilingPct), color: COLORS.condense },
    ...(report.timing.tfjs ? [{ label: 'tfjs-webgpu', data: report.cases.map((c) => c.tfjs?.ceilingPct ?? null), color: COLORS.tfjs }] : []),
  ];
  charts = [
    bar(timeCanvas, 'Median time per case (lower is better)', labels, time, 'ms (log scale)', true),
    bar(ceilingCanvas, `Share of the bandwidth ceiling (${report.ceiling.gbps.toPrecision(3)} GB/s)`, labels, ceiling, '% of ceiling', false),
  ];
}
