/**
 * The situation at a glance for a time range: counters, the live timeline (refreshed every 15 s),
 * attack classes, top countries, top source addresses, top rules and the map of origins. Each block
 * loads on its own, so one slow or failing statistic does not blank the page.
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { EChartsCoreOption } from 'echarts/core';
import { Chart } from '../charts/Chart';
import { WorldMap, type GeoPoint } from '../charts/WorldMap';
import { ErrorBox, Empty } from '../components/ui';
import { fmtNum, RANGES } from '../lib/format';
import { useApi, type Fetched } from '../lib/hooks';
import { navigate } from '../lib/router';
import { chartPalette } from '../lib/theme';
import { useThemeContext } from '../lib/theme-context';
import type { StatsSummary } from '../lib/types';

const REFRESH_MS = 15_000;

export function OverviewPage() {
  const [range, setRange] = useState('24h');
  const { theme } = useThemeContext();
  const pal = chartPalette(theme);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), REFRESH_MS);
    return () => window.clearInterval(t);
  }, []);
  // A new window every refresh: the changed query makes every block fetch again.
  const lookback = RANGES.find((r) => r.id === range)?.ms ?? 0;
  const q = useMemo(() => ({ from: lookback > 0 ? now - lookback : 0 }), [lookback, now]);

  const summary = useApi<StatsSummary>('/stats/summary', q);
  const timeline = useApi<{
    bucket_ms: number;
    points: Array<{ t_ms: number; events: number; blocked: number; alerts: number }>;
  }>('/stats/timeline', q);
  const classes = useApi<{ classes: Array<{ class: string; count: number }> }>('/stats/classes', q);
  const countries = useApi<{ countries: Array<{ country: string; count: number }> }>('/stats/countries', {
    ...q,
    limit: 5,
  });
  const sources = useApi<{
    sources: Array<{ ip: string; count: number; blocked: number; country: string | null }>;
  }>('/stats/sources', { ...q, limit: 10 });
  const rules = useApi<{ rules: Array<{ rule: string; class: string; count: number }> }>('/stats/rules', {
    ...q,
    limit: 10,
  });
  const points = useApi<{ points: GeoPoint[] }>('/geo/points', { ...q, limit: 500 });

  const s = summary.data;
  const axis = {
    axisLine: { lineStyle: { color: pal.grid } },
    axisLabel: { color: pal.muted },
    splitLine: { lineStyle: { color: pal.grid } },
  };

  const timelineOption = useMemo<EChartsCoreOption>(() => {
    const pts = timeline.data?.points ?? [];
    const series = (name: string, key: 'events' | 'blocked' | 'alerts', color: string | undefined) => ({
      name,
      type: 'line',
      showSymbol: false,
      smooth: false,
      areaStyle: key === 'events' ? { opacity: 0.12 } : undefined,
      lineStyle: { width: 2 },
      color,
      data: pts.map((p) => [p.t_ms, p[key]]),
    });
    return {
      animation: false,
      grid: { left: 48, right: 16, top: 32, bottom: 28 },
      legend: { top: 0, textStyle: { color: pal.text } },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'time', ...axis },
      yAxis: { type: 'value', minInterval: 1, ...axis },
      series: [
        series('events', 'events', pal.series[0]),
        series('alerts', 'alerts', pal.series[2]),
        series('blocked', 'blocked', pal.series[1]),
      ],
    };
  }, [timeline.data, theme]);

  const classOption = useMemo<EChartsCoreOption>(() => {
    const list = [...(classes.data?.classes ?? [])].sort((a, b) => a.count - b.count).slice(-12);
    return {
      animation: false,
      grid: { left: 110, right: 24, top: 8, bottom: 24 },
      tooltip: { trigger: 'item' },
      xAxis: { type: 'value', minInterval: 1, ...axis },
      yAxis: { type: 'category', data: list.map((c) => c.class), ...axis },
      series: [
        {
          name: 'events',
          type: 'bar',
          color: pal.series[4],
          data: list.map((c) => c.count),
          barMaxWidth: 18,
        },
      ],
    };
  }, [classes.data, theme]);

  return (
    <div className="page" data-testid="overview-page">
      <div className="page-head">
        <h1>Overview</h1>
        <select
          aria-label="Time range"
          value={range}
          data-testid="overview-range"
          onChange={(e) => setRange(e.target.value)}
        >
          {RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <ErrorBox error={summary.error} />
      <div className="cards" data-testid="overview-cards">
        <Card label="Events" value={s?.events} testId="card-events" />
        <Card label="Blocked" value={s?.blocked} testId="card-blocked" tone="block" />
        <Card label="Critical" value={s?.alerts.critical} testId="card-critical" tone="critical" />
        <Card label="High" value={s?.alerts.high} testId="card-high" tone="high" />
        <Card label="Medium" value={s?.alerts.medium} testId="card-medium" tone="medium" />
        <Card label="Low" value={s?.alerts.low} testId="card-low" tone="low" />
        <Card
          label="Open incidents"
          value={s?.open_incidents}
          testId="card-incidents"
          onClick={() => navigate('/incidents')}
        />
      </div>
      <div className="grid">
        <Panel title="Timeline" wide fetched={timeline}>
          <Chart option={timelineOption} height={260} testId="timeline-chart" />
        </Panel>
        <Panel title="Attack origins" wide fetched={points}>
          <WorldMap points={points.data?.points ?? []} />
        </Panel>
        <Panel title="Attack classes" fetched={classes}>
          {classes.data?.classes.length ? (
            <Chart option={classOption} height={260} testId="classes-chart" />
          ) : (
            <Empty>No attacks in this range.</Empty>
          )}
        </Panel>
        <Panel title="Top countries" fetched={countries}>
          <RankList
            testId="top-countries"
            rows={(countries.data?.countries ?? []).map((c) => ({
              key: c.country,
              label: c.country || 'unknown',
              count: c.count,
            }))}
          />
        </Panel>
        <Panel title="Top source addresses" fetched={sources}>
          <RankList
            testId="top-sources"
            rows={(sources.data?.sources ?? []).map((x) => ({
              key: x.ip,
              label: x.ip,
              extra: [x.country, x.blocked ? `${fmtNum(x.blocked)} blocked` : ''].filter(Boolean).join(' · '),
              count: x.count,
              onClick: () => navigate(`/alerts?ip=${encodeURIComponent(x.ip)}`),
            }))}
          />
        </Panel>
        <Panel title="Top rules" fetched={rules}>
          <RankList
            testId="top-rules"
            rows={(rules.data?.rules ?? []).map((r) => ({
              key: r.rule,
              label: r.rule,
              extra: r.class,
              count: r.count,
              onClick: () => navigate(`/alerts?rule=${encodeURIComponent(r.rule)}`),
            }))}
          />
        </Panel>
      </div>
    </div>
  );
}

function Card({
  label,
  value,
  tone,
  testId,
  onClick,
}: {
  label: string;
  value: number | undefined;
  tone?: string;
  testId: string;
  onClick?: () => void;
}) {
  return (
    <div className={`card stat ${tone ? `tone-${tone}` : ''}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">
        {onClick ? (
          <button type="button" className="link" onClick={onClick}>
            {fmtNum(value)}
          </button>
        ) : (
          fmtNum(value)
        )}
      </div>
    </div>
  );
}

function Panel({
  title,
  wide,
  fetched,
  children,
}: {
  title: string;
  wide?: boolean;
  fetched: Fetched<unknown>;
  children: ReactNode;
}) {
  return (
    <section className={wide ? 'card panel wide' : 'card panel'}>
      <h2>{title}</h2>
      {fetched.error ? (
        <ErrorBox error={fetched.error} />
      ) : fetched.data === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        children
      )}
    </section>
  );
}

function RankList({
  rows,
  testId,
}: {
  rows: Array<{ key: string; label: string; extra?: string | null; count: number; onClick?: () => void }>;
  testId: string;
}) {
  if (rows.length === 0) return <Empty>Nothing in this range.</Empty>;
  const max = Math.max(1, ...rows.map((r) => r.count));
  return (
    <ol className="rank" data-testid={testId}>
      {rows.map((r) => (
        <li key={r.key}>
          <div className="rank-text">
            {r.onClick ? (
              <button type="button" className="link" onClick={r.onClick}>
                {r.label}
              </button>
            ) : (
              <span>{r.label}</span>
            )}
            {r.extra ? <span className="muted"> {r.extra}</span> : null}
          </div>
          <meter min={0} max={max} value={r.count} aria-label={`${r.label} count`} />
          <span className="rank-count">{fmtNum(r.count)}</span>
        </li>
      ))}
    </ol>
  );
}
