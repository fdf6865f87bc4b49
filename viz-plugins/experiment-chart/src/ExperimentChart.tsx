/**
 * The experiment chart: a verdict banner readable from across the room, and a
 * table with one row per variant. Every number also sits, unformatted, in a
 * data-value attribute next to a data-test name, so browser tests read what
 * is shown without parsing formatted text.
 */
import React from 'react';
import {
  formatCount,
  formatInterval,
  formatPercent,
  formatPoints,
  formatProbability,
  formatPValue,
  formatSignedPercent,
} from './format';
import type { VariantResult, VerdictKind } from './stats';
import type { ExperimentChartProps } from './transformProps';

const VERDICT_COLOURS: Record<VerdictKind, { background: string; border: string }> = {
  keep_running: { background: 'rgba(250, 173, 20, 0.14)', border: 'rgb(214, 140, 0)' },
  winner: { background: 'rgba(32, 167, 96, 0.14)', border: 'rgb(32, 140, 80)' },
  no_difference: { background: 'rgba(66, 133, 244, 0.14)', border: 'rgb(50, 110, 210)' },
};

const wideCell: React.CSSProperties = {
  padding: '4px 8px',
  textAlign: 'right',
  whiteSpace: 'nowrap',
  verticalAlign: 'top',
  borderBottom: '1px solid rgba(128, 128, 128, 0.25)',
};
const wideHeader: React.CSSProperties = { ...wideCell, whiteSpace: 'normal', verticalAlign: 'bottom', fontWeight: 600 };
// Half a dashboard row is narrow: tighter cells and a shorter interval bar keep every column on screen.
const narrowCell: React.CSSProperties = { ...wideCell, padding: '4px 4px' };
const narrowHeader: React.CSSProperties = { ...wideHeader, padding: '4px 4px' };
const muted: React.CSSProperties = { opacity: 0.65, fontSize: '0.85em' };
const secondLine: React.CSSProperties = { ...muted, display: 'block' };

// Below this width the columns a glance does not need are hidden (display:
// none keeps them in the DOM, so tests still read every number).
const NARROW = 720;

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

/** Tiny forest plot: interval, estimate, zero line and the "does not matter" band. */
function IntervalBar({
  interval,
  estimate,
  margin,
  width,
}: {
  interval: [number, number];
  estimate: number;
  margin: number;
  width: number;
}) {
  const height = 12;
  const extent = Math.max(Math.abs(interval[0]), Math.abs(interval[1]), margin, 1e-9) * 1.1;
  const x = (value: number) => ((Math.max(-extent, Math.min(extent, value)) + extent) / (2 * extent)) * width;
  const excludesZero = interval[0] > 0 || interval[1] < 0;
  const colour = excludesZero ? (interval[0] > 0 ? 'rgb(32, 140, 80)' : 'rgb(200, 60, 60)') : 'currentColor';
  return (
    <svg
      width={width}
      height={height}
      style={{ verticalAlign: 'middle', marginLeft: 6 }}
      aria-hidden="true"
    >
      <rect x={x(-margin)} y={0} width={x(margin) - x(-margin)} height={height} fill="rgba(66, 133, 244, 0.18)" />
      <line x1={x(0)} x2={x(0)} y1={0} y2={height} stroke="currentColor" strokeOpacity={0.5} />
      <line x1={x(interval[0])} x2={x(interval[1])} y1={height / 2} y2={height / 2} stroke={colour} strokeWidth={2} />
      <circle cx={x(estimate)} cy={height / 2} r={3} fill={colour} />
    </svg>
  );
}

function VariantRow({
  variant,
  margin,
  narrow,
}: {
  variant: VariantResult;
  margin: number;
  narrow: boolean;
}) {
  const sequential = variant.sequential;
  const cell = narrow ? narrowCell : wideCell;
  const optional: React.CSSProperties = narrow ? { ...cell, display: 'none' } : cell;
  const showTag = variant.isControl && variant.name.toLowerCase() !== 'control';
  return (
    <tr
      data-test="variant-row"
      data-variant={variant.name}
      data-control={String(variant.isControl)}
      data-direction={variant.direction ?? ''}
    >
      <td style={{ ...cell, textAlign: 'left', fontWeight: 600 }} data-test="variant-name">
        {variant.name}
        {showTag ? <span style={secondLine}>control</span> : null}
      </td>
      <td style={cell} {...numberData('exposed', variant.exposed)}>{formatCount(variant.exposed)}</td>
      <td style={optional} {...numberData('converted', variant.converted)}>{formatCount(variant.converted)}</td>
      <td style={cell} {...numberData('rate', variant.rate, variant.rateInterval)}>
        {formatPercent(variant.rate)}
        <span style={secondLine}>{formatInterval(variant.rateInterval, v => formatPercent(v))}</span>
      </td>
      <td style={cell} {...numberData('uplift', variant.uplift, variant.upliftInterval)}>
        {variant.isControl ? '' : formatSignedPercent(variant.uplift)}
        <span style={secondLine}>{formatInterval(variant.upliftInterval, v => formatSignedPercent(v))}</span>
      </td>
      <td style={optional} {...numberData('p-value', variant.zTest ? variant.zTest.pValue : null)}>
        {variant.zTest ? formatPValue(variant.zTest.pValue) : ''}
      </td>
      <td
        style={cell}
        {...numberData('sequential-difference', variant.difference, sequential ? sequential.interval : null)}
      >
        {sequential && variant.difference !== null ? (
          <>
            {formatPoints(variant.difference)}
            <IntervalBar
              interval={sequential.interval}
              estimate={variant.difference}
              margin={margin}
              width={narrow ? 56 : 90}
            />
            <span style={secondLine}>{formatInterval(sequential.interval, v => formatPoints(v))}</span>
          </>
        ) : null}
      </td>
      <td style={cell} {...numberData('always-valid-p', sequential ? sequential.pValue : null)}>
        {sequential ? formatPValue(sequential.pValue) : ''}
      </td>
      <td style={cell} {...numberData('probability-best', variant.probabilityBest)}>
        {formatProbability(variant.probabilityBest)}
      </td>
    </tr>
  );
}

function Message({ width, height, text }: { width: number; height: number; text: string }) {
  return (
    <div data-test="experiment-empty" style={{ width, height, display: 'flex', alignItems: 'center', justifyContent: 'center', opacity: 0.7 }}>
      {text}
    </div>
  );
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
  const headlineSize = Math.max(16, Math.min(30, width / 28));
  const controlRate = result.variants.find(v => v.isControl)?.rate ?? 0;
  const margin = settings.practicalEffect * controlRate;
  const comparisons = Math.max(1, result.variants.length - 1);
  const narrow = width < NARROW;
  const header = narrow ? narrowHeader : wideHeader;
  return (
    <div
      data-test="experiment-chart"
      data-experiment={experiment}
      data-unit={unit}
      data-alpha={String(result.alpha)}
      style={{ width, height, overflow: 'auto', fontSize: 13, lineHeight: 1.4, boxSizing: 'border-box' }}
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
        <div data-test="experiment-verdict-headline" style={{ fontSize: headlineSize, fontWeight: 700 }}>
          {verdict.headline}
        </div>
        <div data-test="experiment-verdict-detail">{verdict.detail}</div>
      </div>
      <table data-test="experiment-variants" style={{ borderCollapse: 'collapse', width: '100%' }}>
        <thead>
          <tr>
            <th style={{ ...header, textAlign: 'left' }}>Variant</th>
            <th style={header}>{unit === 'visitors' ? 'Visitors' : 'Sessions'}</th>
            <th style={narrow ? { ...header, display: 'none' } : header}>Conversions</th>
            <th style={header}>Rate [{level}]</th>
            <th style={header}>Uplift [{level}]</th>
            <th style={narrow ? { ...header, display: 'none' } : header}>p, fixed horizon</th>
            <th style={header}>Difference, pp [always valid]</th>
            <th style={header}>p, always valid</th>
            <th style={header}>P(best)</th>
          </tr>
        </thead>
        <tbody>
          {result.variants.map(variant => (
            <VariantRow key={variant.name} variant={variant} margin={margin} narrow={narrow} />
          ))}
        </tbody>
      </table>
      <div data-test="experiment-footnote" style={{ ...muted, marginTop: 6 }}>
        α = {result.alpha} split over {comparisons} comparison{comparisons === 1 ? '' : 's'}. The verdict uses
        the always-valid test (mSPRT), safe to check at every refresh; the fixed-horizon p is valid only at a
        sample size set in advance. Minimum {formatCount(settings.minSamplePerVariant)} units per variant; an
        uplift under {formatPercent(settings.practicalEffect, 0)} does not matter (shaded). P(best): Beta(1,1)
        prior.
      </div>
      {result.warnings.map(warning => (
        <div key={warning} data-test="experiment-warning" style={{ color: 'rgb(200, 60, 60)' }}>
          {warning}
        </div>
      ))}
    </div>
  );
}
