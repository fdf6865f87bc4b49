/** Query parts, form_data parsing and transformProps, on plain objects. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPValue, formatSignedPercent } from '../src/format';
import { experimentFilters, experimentMetrics } from '../src/query';
import { CONVERTED_LABEL, EXPOSED_LABEL, readQuerySettings, readStatSettings } from '../src/settings';
import transformProps from '../src/transformProps';

test('form_data defaults match the experiments dataset', () => {
  const query = readQuerySettings({ experiment: 'checkout-button' });
  assert.deepEqual(experimentFilters(query), [
    { col: 'experiment', op: '==', val: 'checkout-button' },
    { col: 'unit', op: '==', val: 'sessions' },
  ]);
  assert.deepEqual(
    experimentMetrics(query).map(m => [m.aggregate, m.column.column_name, m.label]),
    [
      ['SUM', 'exposed', EXPOSED_LABEL],
      ['SUM', 'converted', CONVERTED_LABEL],
    ],
  );
});

test('string control values are parsed and out-of-range ones fall back', () => {
  const stats = readStatSettings({ alpha: '0.01', min_sample_per_variant: '250', control_variant: ' A ' });
  assert.equal(stats.alpha, 0.01);
  assert.equal(stats.minSamplePerVariant, 250);
  assert.equal(stats.control, 'A');
  assert.equal(readStatSettings({ alpha: 3 }).alpha, 0.05);
  assert.equal(readStatSettings({ alpha: '' }).alpha, 0.05);
});

test('transformProps turns query rows into analysed variants', () => {
  const props = transformProps({
    width: 800,
    height: 400,
    rawFormData: { experiment: 'exp', unit: 'visitors', control_variant: 'A', min_sample_per_variant: 10 },
    queriesData: [
      {
        data: [
          { variant: 'B', [EXPOSED_LABEL]: 1000, [CONVERTED_LABEL]: 130 },
          { variant: 'A', [EXPOSED_LABEL]: '1000', [CONVERTED_LABEL]: '100' },
        ],
      },
    ],
  });
  assert.equal(props.unit, 'visitors');
  assert.equal(props.hasData, true);
  assert.deepEqual(
    props.result.variants.map(v => [v.name, v.exposed, v.converted, v.isControl]),
    [
      ['A', 1000, 100, true],
      ['B', 1000, 130, false],
    ],
  );
});

test('formatting', () => {
  assert.equal(formatSignedPercent(0.031), '+3.1%');
  assert.equal(formatSignedPercent(-0.5), '−50.0%');
  assert.equal(formatPValue(0.000001), '<0.0001');
  assert.equal(formatPValue(0.0312), '0.031');
});
