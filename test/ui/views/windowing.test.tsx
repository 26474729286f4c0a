import assert from 'node:assert/strict';
import {performance} from 'node:perf_hooks';
import {after, before, test} from 'node:test';
import Dashboard from '../../../source/ui/Dashboard.js';
import {FakeClusterSource, service, slice, seedNow} from '../fake-source.js';
import {keys, type Rendered, renderAt, settle} from '../render-at.js';

const count = 5000;
const namespaces = ['default', 'kube-system', 'payments', 'search', 'web'];

function bigCluster(size = count) {
	const services = [];
	const endpointSlices = [];
	for (let index = 0; index < size; index++) {
		const namespace = namespaces[index % namespaces.length]!;
		const name = `svc-${String(index).padStart(4, '0')}`;
		services.push(
			service({
				namespace,
				name,
				type: index % 3 === 0 ? 'NodePort' : 'ClusterIP',
				clusterIP: `10.96.${index >> 8}.${index & 255}`,
				ports: [{port: 80, nodePort: index % 3 === 0 ? 30_000 + index : undefined}],
				selector: {app: name},
				created: seedNow - index * 60_000,
			}),
		);
		endpointSlices.push(
			slice(
				namespace,
				name,
				Array.from({length: 10}, (_, endpoint) => ({ip: `10.244.${endpoint}.${index & 255}`, ready: endpoint !== 0 || index % 7 !== 0})),
			),
		);
	}

	return {services, endpointSlices};
}

let view: Rendered;
let firstFrameMs = 0;

before(async () => {
	const source = new FakeClusterSource({...bigCluster(), lastUpdate: seedNow});
	const started = performance.now();
	view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 120, rows: 24});
	await settle();
	firstFrameMs = performance.now() - started;
});

after(() => {
	view.unmount();
});

function rowLines(): string[] {
	return view.frame().split('\n').filter(line => /^[> ][! ] \S+\s+svc-\d{4}/.test(line));
}

// Timings are printed for information only: speed goals live in `npm run bench`, not in unit tests,
// where a loaded machine would make them flaky. What is asserted here is the windowing itself.
test('the first frame of 5,000 Services counts them all', t => {
	t.diagnostic(`first frame of ${count} Services: ${firstFrameMs.toFixed(0)} ms`);
	assert.match(view.frame(), /5000\/5000 services/);
});

test('only the rows that fit are rendered', () => {
	// 24 lines: status bar 2, header 1, counts, warnings and keys 3.
	assert.equal(rowLines().length, 18);
});

/** Median time of a key press (j and PgDn) in `target`, including the render it causes. */
async function medianKeyMs(target: Rendered): Promise<{median: number; max: number; keys: number}> {
	const timings: number[] = [];
	for (const input of [...Array.from({length: 20}, () => 'j'), ...Array.from({length: 20}, () => keys.pageDown)]) {
		const started = performance.now();
		await target.press(input);
		timings.push(performance.now() - started);
	}

	timings.sort((a, b) => a - b);
	return {median: timings[Math.floor(timings.length / 2)]!, max: timings.at(-1)!, keys: timings.length};
}

test('scrolling through 5,000 rows shows the same 18 rows a screen, first to last', async t => {
	const small = renderAt(<Dashboard source={new FakeClusterSource({...bigCluster(50), lastUpdate: seedNow})} clock={() => seedNow} />, {
		columns: 120,
		rows: 24,
	});
	await settle();
	const baseline = await medianKeyMs(small);
	small.unmount();
	const measured = await medianKeyMs(view);
	t.diagnostic(
		`per key: median ${measured.median.toFixed(1)} ms (max ${measured.max.toFixed(1)}) with ${count} rows; ` +
			`${baseline.median.toFixed(1)} ms with 50 rows; ${measured.keys} keys each`,
	);
	await view.press('G');
	const lines = rowLines();
	assert.equal(lines.length, 18);
	assert.match(lines.at(-1)!, /^> {2}web +svc-4999 /);
	await view.press('g');
	assert.match(rowLines()[0]!, /^> {2}default +svc-0000 /);
});

test('filtering 5,000 rows as you type', async t => {
	const started = performance.now();
	await view.press('/', '4', '9', '9', '9');
	const elapsed = performance.now() - started;
	t.diagnostic(`filter prompt and 4 characters over ${count} rows: ${elapsed.toFixed(0)} ms`);
	assert.deepEqual(
		rowLines().map(line => line.trim().split(/\s+/)[2]),
		['svc-4999'],
	);
});
