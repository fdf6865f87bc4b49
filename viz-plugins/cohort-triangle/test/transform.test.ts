/** Query parts, form_data parsing, transformProps and shading, on plain objects. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCohort, formatShare } from '../src/format';
import { cohortColumns, cohortMetrics } from '../src/query';
import { COHORT_SIZE_LABEL, RETURNING_LABEL, readQuerySettings, readShow } from '../src/settings';
import { shadeOpacity } from '../src/shade';
import transformProps from '../src/transformProps';

const WEEK = 7 * 86_400_000;
const MONDAY = Date.UTC(2026, 10, 2);

function row(start: number, week: number, visitors: number, size: number) {
  return { cohort_week: start, weeks_since_first_visit: week, [RETURNING_LABEL]: visitors, [COHORT_SIZE_LABEL]: size };
}

test('form_data defaults match the retention dataset', () => {
  const settings = readQuerySettings({});
  assert.deepEqual(cohortColumns(settings), ['cohort_week', 'weeks_since_first_visit']);
  assert.deepEqual(
    cohortMetrics(settings).map(m => [m.aggregate, m.column.column_name, m.label]),
    [
      ['SUM', 'visitors', RETURNING_LABEL],
      ['MAX', 'cohort_visitors', COHORT_SIZE_LABEL],
    ],
  );
  assert.equal(readQuerySettings({ cohort_column: ' first_week ' }).cohortColumn, 'first_week');
  assert.equal(readQuerySettings({ cohort_column: '' }).cohortColumn, 'cohort_week');
  assert.equal(readShow({ show: 'visitors' }), 'visitors');
  assert.equal(readShow({ show: 'nonsense' }), 'share');
});

test('rows in any order become a triangle of cohorts in time order', () => {
  const props = transformProps({
    width: 800,
    height: 300,
    rawFormData: {},
    queriesData: [
      {
        data: [
          row(MONDAY + WEEK, 0, 50, 50),
          row(MONDAY, 1, 20, 200),
          row(MONDAY, 0, 200, 200),
          // A cohort time as text (another driver) is read as UTC.
          { ...row(0, 2, 10, 200), cohort_week: '2026-11-02 00:00:00' },
        ],
      },
    ],
  });
  assert.equal(props.weeks, 2);
  assert.deepEqual(
    props.cohorts.map(c => [c.start, c.size, c.cells.map(cell => [cell.week, cell.visitors, cell.share])]),
    [
      [MONDAY, 200, [[0, 200, 1], [1, 20, 0.1], [2, 10, 0.05]]],
      [MONDAY + WEEK, 50, [[0, 50, 1]]],
    ],
  );
  // Week 0 is always 100%: the darkest shade belongs to the largest later share.
  assert.equal(props.maxShare, 0.1);
});

test('a week without returning visitors inside the triangle is a 0, not a gap', () => {
  const props = transformProps({
    width: 400,
    height: 300,
    queriesData: [{ data: [row(MONDAY, 0, 10, 10), row(MONDAY, 2, 1, 10)] }],
  });
  assert.deepEqual(props.cohorts[0].cells.map(cell => cell.visitors), [10, 0, 1]);
});

test('no rows, unreadable rows and an empty cohort', () => {
  assert.deepEqual(transformProps({ width: 1, height: 1 }).cohorts, []);
  const props = transformProps({
    width: 1,
    height: 1,
    queriesData: [{ data: [row(MONDAY, 0, 0, 0), { cohort_week: 'soon', weeks_since_first_visit: 1 }, row(MONDAY, -1, 3, 3)] }],
  });
  assert.equal(props.cohorts.length, 1);
  assert.deepEqual(props.cohorts[0].cells, [{ week: 0, visitors: 0, share: null }]);
  assert.equal(props.maxShare, 0);
});

test('shading and formatting', () => {
  assert.ok(Math.abs(shadeOpacity(0.2, 0.2) - 0.9) < 1e-12);
  assert.ok(shadeOpacity(0.1, 0.2) < shadeOpacity(0.15, 0.2));
  assert.equal(shadeOpacity(null, 0.2), 0.06);
  assert.equal(shadeOpacity(0.5, 0), 0.06);
  assert.equal(formatShare(0.1234), '12.3%');
  assert.equal(formatShare(null), '–');
  assert.equal(formatCohort(MONDAY), '2 Nov 2026');
});
