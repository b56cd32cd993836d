/**
 * Where attacks come from, drawn offline: Natural Earth countries (world-atlas, bundled) projected
 * with d3-geo into an SVG, one circle per location sized by its count (area ∝ count). No tiles, no
 * requests. Names reach the page only as React text (<title>), never as markup.
 */
import { useMemo } from 'react';
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Topology, GeometryCollection } from 'topojson-specification';
import type { FeatureCollection } from 'geojson';
import world from 'world-atlas/countries-110m.json';

export interface GeoPoint {
  lat: number;
  lon: number;
  country?: string | null;
  city?: string | null;
  count: number;
}

const WIDTH = 960;
const HEIGHT = 480;
const topology = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
const countries = feature(topology, topology.objects.countries) as FeatureCollection;
const projection = geoNaturalEarth1().fitSize([WIDTH, HEIGHT], countries);
const path = geoPath(projection);
const COUNTRY_PATHS = countries.features.map((f, i) => ({
  key: String(f.id ?? i),
  d: path(f) ?? '',
  name: String((f.properties as { name?: string } | null)?.name ?? ''),
}));
const MAX_POINTS = 500;

export function WorldMap({ points }: { points: readonly GeoPoint[] }) {
  const circles = useMemo(() => {
    const valid = points
      .filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon) && p.count > 0)
      .slice(0, MAX_POINTS);
    const max = Math.max(1, ...valid.map((p) => p.count));
    return valid
      .map((p) => {
        const xy = projection([p.lon, p.lat]);
        return xy ? { p, x: xy[0], y: xy[1], r: 2.5 + 14 * Math.sqrt(p.count / max) } : undefined;
      })
      .filter((c): c is NonNullable<typeof c> => c !== undefined)
      .sort((a, b) => b.r - a.r);
  }, [points]);

  return (
    <svg
      className="world-map"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label="Attack origins"
      data-testid="world-map"
    >
      <g className="countries">
        {COUNTRY_PATHS.map((c) => (
          <path key={c.key} d={c.d}>
            <title>{c.name}</title>
          </path>
        ))}
      </g>
      <g className="points">
        {circles.map(({ p, x, y, r }, i) => (
          <circle key={i} cx={x} cy={y} r={r} data-testid="map-point">
            <title>{`${[p.city, p.country].filter(Boolean).join(', ') || 'unknown'}: ${p.count.toLocaleString()}`}</title>
          </circle>
        ))}
      </g>
    </svg>
  );
}
