/**
 * The cohort triangle: one row per cohort (week of the first visit), its size
 * in the first column, then one cell per week since the first visit, shaded by
 * the share of the cohort that came back. Week 0 is the whole cohort and is
 * not shaded; every number also sits, unformatted, in data-* attributes, so
 * browser tests read what is shown without parsing text.
 */
import React from 'react';
import { formatCohort, formatCount, formatShare, isoDay } from './format';
import { cellBackground, cellText } from './shade';
import type { Cohort, CohortTriangleProps } from './transformProps';

const cell: React.CSSProperties = {
  padding: '4px 8px',
  textAlign: 'right',
  whiteSpace: 'nowrap',
  borderBottom: '1px solid rgba(128, 128, 128, 0.2)',
  fontVariantNumeric: 'tabular-nums',
};
const header: React.CSSProperties = { ...cell, fontWeight: 600, verticalAlign: 'bottom' };
const muted: React.CSSProperties = { opacity: 0.65, fontSize: '0.85em' };

function CohortRow({ cohort, weeks, maxShare, show }: { cohort: Cohort; weeks: number; maxShare: number; show: CohortTriangleProps['show'] }) {
  const empty = Array.from({ length: weeks + 1 - cohort.cells.length }, (_, index) => cohort.cells.length + index);
  return (
    <tr data-test="cohort-row" data-cohort={isoDay(cohort.start)} data-size={String(cohort.size)}>
      <th style={{ ...cell, textAlign: 'left', fontWeight: 600 }}>{formatCohort(cohort.start)}</th>
      <td style={{ ...cell, fontWeight: 600 }} data-test="cohort-size" data-value={String(cohort.size)}>
        {formatCount(cohort.size)}
      </td>
      {cohort.cells.map(entry => {
        const shaded = entry.week > 0;
        const title = `${formatCount(entry.visitors)} of ${formatCount(cohort.size)} visitors (${formatShare(entry.share)}) came back in week ${entry.week}`;
        return (
          <td
            key={entry.week}
            data-test="cohort-cell"
            data-week={String(entry.week)}
            data-visitors={String(entry.visitors)}
            data-share={entry.share === null ? '' : String(entry.share)}
            title={title}
            style={{
              ...cell,
              background: shaded ? cellBackground(entry.share, maxShare) : undefined,
              color: shaded ? cellText(entry.share, maxShare) : undefined,
            }}
          >
            {show === 'visitors' ? formatCount(entry.visitors) : formatShare(entry.share)}
          </td>
        );
      })}
      {empty.map(week => (
        <td key={week} style={cell} aria-hidden="true" />
      ))}
    </tr>
  );
}

export default function CohortTriangle(props: CohortTriangleProps) {
  const { width, height, cohorts, weeks, maxShare, show } = props;
  if (!cohorts.length) {
    return (
      <div data-test="cohort-triangle-empty" style={{ width, height, display: 'flex', alignItems: 'center', justifyContent: 'center', opacity: 0.7 }}>
        No visitors in the cohorts of this time range.
      </div>
    );
  }
  const offsets = Array.from({ length: weeks + 1 }, (_, week) => week);
  return (
    <div data-test="cohort-triangle" data-show={show} style={{ width, height, overflow: 'auto', fontSize: 13, lineHeight: 1.4, boxSizing: 'border-box' }}>
      <table style={{ borderCollapse: 'collapse', width: '100%' }}>
        <thead>
          <tr>
            <th style={{ ...header, textAlign: 'left' }}>Cohort (week of first visit)</th>
            <th style={header}>Visitors</th>
            {offsets.map(week => (
              <th key={week} style={header}>
                Week {week}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {cohorts.map(cohort => (
            <CohortRow key={cohort.start} cohort={cohort} weeks={weeks} maxShare={maxShare} show={show} />
          ))}
        </tbody>
      </table>
      <div data-test="cohort-triangle-footnote" style={{ ...muted, marginTop: 6 }}>
        Week k: visitors with any event in the k-th week (Monday to Sunday, UTC) after the week of their first
        visit, as a share of the cohort. Darker is more; the darkest cell is the largest share after week 0.
      </div>
    </div>
  );
}
