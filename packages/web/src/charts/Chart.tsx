/**
 * An ECharts canvas with only the parts the dashboard uses registered (line and bar charts, grid,
 * tooltip, legend), so the bundle carries no more of ECharts than that. Every tooltip goes through
 * the escaping formatter: ECharts renders tooltips as HTML, and names here come from event data.
 */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import { tooltipFormatter } from '../lib/escape';

echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** Forces the escaping formatter onto the option's tooltip, whatever the caller set. */
export function safeOption(option: EChartsCoreOption): EChartsCoreOption {
  const tooltip = (option as { tooltip?: Record<string, unknown> }).tooltip;
  if (!tooltip) return option;
  return { ...option, tooltip: { ...tooltip, formatter: tooltipFormatter, renderMode: 'html' } };
}

export function Chart({
  option,
  height = 260,
  testId,
}: {
  option: EChartsCoreOption;
  height?: number;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);

  useEffect(() => {
    if (!ref.current) return;
    const c = echarts.init(ref.current, undefined, { renderer: 'canvas' });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(ref.current);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(safeOption(option), { notMerge: true });
  }, [option]);

  return (
    <div ref={ref} className="chart" data-testid={testId} role="img" aria-label="chart" style={{ height }} />
  );
}
