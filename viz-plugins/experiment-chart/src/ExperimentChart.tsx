/**
 * The experiment chart: a verdict banner readable from across the room, and a
 * table with one row per variant whose column headers say whether a number
 * holds at every look or only at a sample size planned in advance. Every
 * number also sits, unformatted, in a data-value attribute next to a
 * data-test name, so browser tests read what is shown without parsing text.
 */
import React from 'react';
import {
  formatCount,
  formatInterval,
  formatPercent,
  formatProbability,
  formatPValue,
  formatSignedPercent,
} from './format';
import type { ExperimentResult, Forecast, VariantCounts, VariantResult, VerdictKind } from './stats';
import type { ExperimentChartProps } from './transformProps';

const VERDICT_COLOURS: Record<VerdictKind, { background: string; border: string }> = {
  keep_running: { background: 'rgba(250, 173, 20, 0.14)', border: 'rgb(214, 140, 0)' },
  winner: { background: 'rgba(32, 167, 96, 0.14)', border: 'rgb(32, 140, 80)' },
  no_difference: { background: 'rgba(66, 133, 244, 0.14)', border: 'rgb(50, 110, 210)' },
  broken_split: { background: 'rgba(220, 50, 50, 0.16)', border: 'rgb(200, 40, 40)' },
  time_filtered: { background: 'rgba(220, 50, 50, 0.16)', border: 'rgb(200, 40, 40)' },
};

const EVERY_LOOK = 'valid at every look';
const PLANNED = 'only at a planned size';

// Below this width the columns a glance does not need are hidden (display:
// none keeps them in the DOM, so tests still read every number).
const NARROW = 720;

interface Layout {
  narrow: boolean;
  cell: React.CSSProperties;
  header: React.CSSProperties;
  optional: React.CSSProperties;
  barWidth: number;
}

function layoutFor(width: number): Layout {
  const narrow = width < NARROW;
  const cell: React.CSSProperties = {
    padding: narrow ? '4px 4px' : '4px 8px',
    textAlign: 'right',
    whiteSpace: 'nowrap',
    verticalAlign: 'middle',
    borderBottom: '1px solid rgba(128, 128, 128, 0.25)',
  };
  return {
    narrow,
    cell,
    header: { ...cell, whiteSpace: 'normal', verticalAlign: 'bottom', fontWeight: 600 },
    optional: narrow ? { ...cell, display: 'none' } : cell,
    barWidth: narrow ? 56 : 90,
  };
}

const muted: React.CSSProperties = { opacity: 0.7, fontSize: '0.85em' };
// The numbers a glance needs, larger than their intervals and notes.
const main: React.CSSProperties = { fontSize: '1.3em', fontWeight: 600 };
const secondLine: React.CSSProperties = { ...muted, display: 'block' };
const validity: React.CSSProperties = { ...secondLine, fontWeight: 400, fontStyle: 'italic' };

/** data-* attributes of a number and, optionally, its interval. */
function numberData(
  test: string,
  value: number | null,
  interval?: [number, number] | null,
): Record<string, string> {
  const data: Record<string, string> = { 'data-test': test, 'data-value': value === null ? '' : String(value) };
  if (interval) {
    data['data-lower'] = String(interval[0]);
    data['data-upper'] = String(interval[1]);
  }
  return data;
}

/** Tiny forest plot of the uplift: interval, estimate, zero line and the "does not matter" band. */
function IntervalBar({
  interval,
  estimate,
  margin,
  width,
}: {
  interval: [number, number];
  estimate: number | null;
  margin: number;
  width: number;
}) {
  const height = 12;
  const finite = [interval[0], interval[1], estimate ?? 0].filter(Number.isFinite).map(Math.abs);
  const extent = Math.min(1, Math.max(margin, 1e-9, ...finite)) * 1.1;
  const x = (value: number) => ((Math.max(-extent, Math.min(extent, value)) + extent) / (2 * extent)) * width;
  const excludesZero = interval[0] > 0 || interval[1] < 0;
  const colour = excludesZero ? (interval[0] > 0 ? 'rgb(32, 140, 80)' : 'rgb(200, 60, 60)') : 'currentColor';
  return (
    <svg width={width} height={height} style={{ verticalAlign: 'middle', marginLeft: 6 }} aria-hidden="true">
      <rect x={x(-margin)} y={0} width={x(margin) - x(-margin)} height={height} fill="rgba(66, 133, 244, 0.18)" />
      <line x1={x(0)} x2={x(0)} y1={0} y2={height} stroke="currentColor" strokeOpacity={0.5} />
      <line x1={x(interval[0])} x2={x(interval[1])} y1={height / 2} y2={height / 2} stroke={colour} strokeWidth={2} />
      {estimate !== null ? <circle cx={x(estimate)} cy={height / 2} r={3} fill={colour} /> : null}
    </svg>
  );
}

function UpliftCell({ variant, margin, layout }: { variant: VariantResult; margin: number; layout: Layout }) {
  const sequential = variant.sequential;
  const interval = sequential ? sequential.upliftInterval : null;
  return (
    <td style={layout.cell} {...numberData('uplift', variant.uplift, interval)}>
      {variant.isControl ? null : (
        <>
          <span style={main}>{formatSignedPercent(variant.uplift)}</span>
          {interval ? <IntervalBar interval={interval} estimate={variant.uplift} margin={margin} width={layout.barWidth} /> : null}
          <span style={secondLine}>
            {interval ? formatInterval(interval, v => formatSignedPercent(v)) : 'no conversions yet'}
          </span>
        </>
      )}
    </td>
  );
}

function VariantRow({ variant, margin, layout }: { variant: VariantResult; margin: number; layout: Layout }) {
  const { cell, optional } = layout;
  const sequential = variant.sequential;
  const showTag = variant.isControl && variant.name.toLowerCase() !== 'control';
  return (
    <tr
      data-test="variant-row"
      data-variant={variant.name}
      data-control={String(variant.isControl)}
      data-direction={variant.direction ?? ''}
    >
      <td style={{ ...cell, textAlign: 'left' }} data-test="variant-name">
        <span style={main}>{variant.name}</span>
        {showTag ? <span style={secondLine}>control</span> : null}
      </td>
      <td style={cell} {...numberData('exposed', variant.exposed)}>
        <span style={main}>{formatCount(variant.exposed)}</span>
      </td>
      <td style={optional} {...numberData('converted', variant.converted)}>{formatCount(variant.converted)}</td>
      <td style={cell} {...numberData('rate', variant.rate, variant.rateInterval)}>
        <span style={main}>{formatPercent(variant.rate)}</span>
        <span style={secondLine}>{formatInterval(variant.rateInterval, v => formatPercent(v))}</span>
      </td>
      <UpliftCell variant={variant} margin={margin} layout={layout} />
      <td style={cell} {...numberData('always-valid-p', sequential ? sequential.pValue : null)}>
        <span style={main}>{sequential ? formatPValue(sequential.pValue) : ''}</span>
      </td>
      <td style={optional} {...numberData('p-value', variant.zTest ? variant.zTest.pValue : null)}>
        {variant.isControl ? '' : formatPValue(variant.zTest ? variant.zTest.pValue : null)}
      </td>
      <td style={cell} {...numberData('probability-best', variant.probabilityBest)}>
        <span style={main}>{formatProbability(variant.probabilityBest)}</span>
      </td>
    </tr>
  );
}

function HeaderRow({ unit, level, layout }: { unit: string; level: string; layout: Layout }) {
  const { header } = layout;
  const optionalHeader = layout.narrow ? { ...header, display: 'none' } : header;
  const head = (style: React.CSSProperties, title: string, note: string) => (
    <th style={style}>
      {title}
      <span style={validity}>{note}</span>
    </th>
  );
  return (
    <tr>
      <th style={{ ...header, textAlign: 'left' }}>Variant</th>
      <th style={header}>{unit === 'visitors' ? 'Visitors' : 'Sessions'}</th>
      <th style={optionalHeader}>Conversions</th>
      {head(header, `Rate [${level}]`, `interval ${PLANNED}`)}
      {head(header, `Uplift [${level}]`, `interval ${EVERY_LOOK}`)}
      {head(header, 'p', EVERY_LOOK)}
      {head(optionalHeader, 'p, z-test', PLANNED)}
      {head(header, 'P(best)', 'Bayesian, flat prior')}
    </tr>
  );
}

function describeLeftOut(arms: VariantCounts[]): string {
  return arms.map(v => `${v.name}: ${formatCount(v.exposed)} units, ${formatCount(v.converted)} conversions`).join('; ');
}

function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function SideNotes({ result, tunedUplift }: { result: ExperimentResult; tunedUplift: number }) {
  const srm = result.sampleRatio;
  const arms = result.variants.length;
  const pairs = (arms * (arms - 1)) / 2;
  return (
    <div style={{ ...muted, marginTop: 8 }}>
      {srm ? (
        <div data-test="experiment-srm" data-value={String(srm.pValue)} data-passed={String(srm.passed)}>
          Split check {srm.passed ? 'passed' : 'FAILED'}: observed{' '}
          {srm.observed.map(v => `${v.name} ${formatPercent(v.share, 1)}`).join(', ')}, intended{' '}
          {srm.observed.map(v => formatPercent(v.intendedShare, 1)).join(' / ')} (sequential, p ={' '}
          {formatPValue(srm.pValue)}).
        </div>
      ) : null}
      {result.leftOut.length > 0 ? (
        <div data-test="experiment-left-out">Left out of every test: {describeLeftOut(result.leftOut)}.</div>
      ) : null}
      <div data-test="experiment-footnote">
        α = {result.alpha}
        {pairs > 1 ? `, split over ${pairs} pairs of arms` : ''}. Exact mixture test
        {tunedUplift > 0 ? `, tuned to a ${formatPercent(tunedUplift, 1)} uplift,` : ''} replayed over{' '}
        {plural(result.looks, 'hourly look')} from the start: a verdict once reached stays. Shaded: an uplift too
        small to matter.
      </div>
      {result.warnings.map(warning => (
        <div key={warning} data-test="experiment-warning" style={{ color: 'rgb(200, 60, 60)' }}>
          {warning}
        </div>
      ))}
    </div>
  );
}

function ForecastLine({ forecast }: { forecast: Forecast }) {
  const { days, arm } = forecast;
  let text = 'No decision in sight within a year at the current traffic and rates.';
  if (days !== null && days <= 1) text = `About a day more to a decision (${arm} against control), if the observed rates hold.`;
  else if (days !== null) text = `About ${days} more days to a decision (${arm} against control) at the current traffic, if the observed rates hold.`;
  return (
    <div data-test="experiment-forecast" data-value={days === null ? '' : String(days)} style={muted}>
      {text}
    </div>
  );
}

function Message({ width, height, text }: { width: number; height: number; text: string }) {
  return (
    <div data-test="experiment-empty" style={{ width, height, display: 'flex', alignItems: 'center', justifyContent: 'center', opacity: 0.7 }}>
      {text}
    </div>
  );
}

/** Font size that lets banner, table and notes fill the card without scrolling. */
function bodyFontSize(width: number, height: number, rows: number): number {
  const byHeight = height / (rows * 2.6 + 12);
  const byWidth = width / 46;
  return Math.max(12, Math.min(18, byHeight, byWidth));
}

export default function ExperimentChart(props: ExperimentChartProps) {
  const { width, height, experiment, unit, result, settings, hasData } = props;
  if (!experiment) {
    return <Message width={width} height={height} text="Choose an experiment in the chart's controls." />;
  }
  if (!hasData) {
    return <Message width={width} height={height} text={`No data for experiment "${experiment}" (${unit}).`} />;
  }
  const { verdict } = result;
  const colours = VERDICT_COLOURS[verdict.kind];
  const level = `${Math.round(result.confidenceLevel * 1000) / 10}%`;
  const fontSize = bodyFontSize(width, height, result.variants.length);
  const headlineSize = Math.max(16, Math.min(34, width / 26, fontSize * 2));
  const layout = layoutFor(width);
  return (
    <div
      data-test="experiment-chart"
      data-experiment={experiment}
      data-unit={unit}
      data-alpha={String(result.alpha)}
      style={{
        width,
        height,
        overflow: 'auto',
        fontSize,
        lineHeight: 1.35,
        boxSizing: 'border-box',
        display: 'flex',
        flexDirection: 'column',
      }}
    >
      <div
        data-test="experiment-verdict"
        data-verdict={verdict.kind}
        data-winner={verdict.winner ?? ''}
        style={{
          background: colours.background,
          borderLeft: `6px solid ${colours.border}`,
          padding: '8px 12px',
          marginBottom: 8,
          borderRadius: 4,
        }}
      >
        <div data-test="experiment-verdict-headline" style={{ fontSize: headlineSize, fontWeight: 700, lineHeight: 1.2 }}>
          {verdict.headline}
        </div>
        <div data-test="experiment-verdict-detail">{verdict.detail}</div>
        {result.forecast ? <ForecastLine forecast={result.forecast} /> : null}
      </div>
      {/* The table takes the card's spare height: its rows grow instead of leaving a gap. */}
      <div style={{ flex: '1 1 auto', minHeight: 0 }}>
      <table data-test="experiment-variants" style={{ borderCollapse: 'collapse', width: '100%', height: '100%', maxHeight: '100%' }}>
        <thead>
          <HeaderRow unit={unit} level={level} layout={layout} />
        </thead>
        <tbody>
          {result.variants.map(variant => (
            <VariantRow key={variant.name} variant={variant} margin={settings.practicalEffect} layout={layout} />
          ))}
        </tbody>
      </table>
      </div>
      <SideNotes result={result} tunedUplift={settings.tunedUplift} />
    </div>
  );
}
