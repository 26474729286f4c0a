import {test} from 'node:test';
import assert from 'node:assert/strict';
import {LatencyHistogram} from '../../../source/core/probe/latency.js';

test('min and max are exact, quantiles within about 1%', () => {
	const histogram = new LatencyHistogram();
	const values = Array.from({length: 1000}, (_, i) => (i + 1) * 0.1);
	for (const value of values.toReversed()) {
		histogram.add(value);
	}

	const summary = histogram.summary()!;
	assert.equal(summary.min, 0.1);
	assert.equal(summary.max, 100);
	assert.ok(Math.abs(summary.median - 50) / 50 < 0.012, `median ${summary.median}`);
	assert.ok(Math.abs(summary.p95 - 95) / 95 < 0.012, `p95 ${summary.p95}`);
	assert.ok(Math.abs(summary.mean - 50.05) < 1e-9);
});

test('empty histogram has no summary; one value is every quantile', () => {
	const histogram = new LatencyHistogram();
	assert.equal(histogram.summary(), undefined);
	histogram.add(3.3);
	assert.deepEqual([histogram.quantile(0), histogram.quantile(0.5), histogram.quantile(1)], [3.3, 3.3, 3.3]);
});

test('sub-microsecond and huge values land in the edge buckets without error', () => {
	const histogram = new LatencyHistogram();
	histogram.add(0);
	histogram.add(1e12);
	assert.equal(histogram.quantile(0.5), 0.001);
	assert.equal(histogram.quantile(1), 1e12);
});
