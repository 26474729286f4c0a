import assert from 'node:assert/strict';
import http from 'node:http';
import type {AddressInfo, Socket} from 'node:net';
import {after, before, describe, test} from 'node:test';
import {planServiceProbe, type ProbePlan} from '../../source/core/probe/plan.js';
import {ProbeRunStats, type ProbeRunSnapshot} from '../../source/core/probe/run-stats.js';
import type {Via} from '../../source/core/probe/service-targets.js';
import type {ProbeSample} from '../../source/core/probe/types.js';
import KeypressProvider from '../../source/ui/keys/KeypressProvider.js';
import {latencyLines, probeViewLines, type ProbeViewModel} from '../../source/ui/views/probe/probe-lines.js';
import ProbeViewBody from '../../source/ui/views/probe/ProbeViewBody.js';
import {makeProbeView} from '../../source/commands/dashboard-screens.js';
import {stepInterval} from '../../source/ui/views/ProbeView.js';
import {echoPods, echoSlice, nodePortService, nodes} from '../core/probe/fixtures.js';
import {echoSource} from './fake-source.js';
import {renderAt, settle} from './render-at.js';

const hint = 'Space stop  z freeze  c clear  v target  +/- interval  Esc back  ? help';

function planOf(via: Via, service = nodePortService('Local')): ProbePlan {
	const plan = planServiceProbe({services: [service], endpointSlices: [echoSlice()], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, via);
	if ('error' in plan) {
		throw new Error(plan.error);
	}

	return plan;
}

type Outcome = {readonly pod: (typeof echoPods)[number]} | {readonly error: string};

/** A snapshot built by the real statistics from the given outcomes, one per probe, 10 ms apart. */
function snapshotOf(plan: ProbePlan, outcomes: ReadonlyArray<readonly [string, Outcome]>): ProbeRunSnapshot {
	const stats = new ProbeRunStats(plan.series, 1024);
	for (const [seq, [target, outcome]] of outcomes.entries()) {
		const answered = 'pod' in outcome;
		const sample: ProbeSample = {
			seq,
			t: seq * 10,
			target,
			ok: answered,
			latencyMs: answered ? 1 + (seq % 4) * 0.5 : 1000,
			pod: answered ? outcome.pod[0] : null,
			node: answered ? outcome.pod[2] : null,
			endpoint: answered ? `${outcome.pod[1]}:8080` : null,
			via: answered ? 'response' : 'unknown',
			error: answered ? null : outcome.error,
		};
		stats.add(sample);
	}

	return stats.snapshot();
}

function modelOf(plan: ProbePlan, via: Via, snapshot: ProbeRunSnapshot): ProbeViewModel {
	// As the hook does: the node of every endpoint, for lanes of pods that have not answered.
	const endpointNodes = Object.fromEntries((plan.candidates?.entries ?? []).map(entry => [entry.pod!, entry.node]));
	return {serviceKey: 'default/svc-nodeport', description: plan.description, briefDescription: plan.briefDescription, via, intervalMs: 1000, state: 'running', paused: false, snapshot, endpointNodes, hint};
}

async function frameOf(model: ProbeViewModel, columns: number, rows: number): Promise<string> {
	const rendered = renderAt(<ProbeViewBody model={model} width={columns} height={rows} />, {columns, rows});
	await settle();
	const frame = rendered.frame();
	rendered.unmount();
	return frame;
}

/** ClusterIP: the pods take turns, every 7th probe times out and one is refused. */
function clusterIpRun() {
	const plan = planOf('clusterip');
	const label = plan.series[0]!.target.label;
	const outcomes = Array.from({length: 24}, (_, i): readonly [string, Outcome] => {
		if (i % 7 === 6) {
			return [label, {error: 'timeout'}];
		}

		return [label, i === 10 ? {error: 'refused'} : {pod: echoPods[i % 3]!}];
	});
	return {plan, snapshot: snapshotOf(plan, outcomes)};
}

/** NodePort with externalTrafficPolicy Local: each worker answers with its own pod, the control plane drops. */
function nodePortRun() {
	const plan = planOf('nodeport');
	const outcomes: Array<readonly [string, Outcome]> = [];
	for (let round = 0; round < 6; round++) {
		for (const series of plan.series) {
			const pod = echoPods.find(candidate => candidate[2] === series.target.node);
			outcomes.push([series.target.label, pod ? {pod} : {error: 'timeout'}]);
		}
	}

	return {plan, snapshot: snapshotOf(plan, outcomes)};
}

describe('probe view frames (pure: snapshot + size)', () => {
	test('ClusterIP at 80x22: lanes with a failure row, latency chart, shares and the chi-square verdict', async () => {
		const {plan, snapshot} = clusterIpRun();
		assert.equal(await frameOf(modelOf(plan, 'clusterip', snapshot), 80, 22), FRAME_CLUSTERIP);
	});

	test('NodePort under Local at 80x22: the drops counted as expected in their own lane, per-node matrix, a shorter latency chart', async () => {
		const {plan, snapshot} = nodePortRun();
		assert.equal(await frameOf(modelOf(plan, 'nodeport', snapshot), 80, 22), FRAME_NODEPORT);
	});

	test('endpoints mode (svctop spreads the requests itself): which endpoints answered, never a kube-proxy balance or affinity verdict', async () => {
		for (const affinity of ['None', 'ClientIP'] as const) {
			const plan = planOf('endpoints', nodePortService('Cluster', affinity));
			const outcomes: Array<readonly [string, Outcome]> = [];
			for (let round = 0; round < 8; round++) {
				for (const [i, series] of plan.series.entries()) {
					// The third endpoint never answers.
					outcomes.push([series.target.label, i === 2 ? {error: 'timeout'} : {pod: echoPods[i]!}]);
				}
			}

			// eslint-disable-next-line no-await-in-loop
			const frame = await frameOf(modelOf(plan, 'endpoints', snapshotOf(plan, outcomes)), 100, 22);
			assert.match(frame, /^endpoints: 2\/3 answered, none from 10\.10\.3\.4:8080 {2}\(svctop spreads them: no kube-proxy verdict\)$/m, frame);
			assert.doesNotMatch(frame, /balanced|chi-square|vs 1\/n|stick/, frame);
		}
	});

	test('a narrow header drops the port\'s name before any of the address; a wide one shows both', async () => {
		const {plan, snapshot} = clusterIpRun();
		const header = async (columns: number) => (await frameOf(modelOf(plan, 'clusterip', snapshot), columns, 22)).split('\n')[0]!;
		assert.match(await header(80), /^PROBE default\/svc-nodeport \(clusterIP 10\.200\.1\.60:9000\) +every 1s/);
		assert.match(await header(100), /^PROBE default\/svc-nodeport:svc-webport \(clusterIP 10\.200\.1\.60:9000\) +every 1s/);
		// A name too long for both: the name is cut in its middle, never the address (a cut port reads as another port).
		const long = {description: 'shop/a-very-long-service-name-for-testing-headers:metrics (externalIP 127.0.0.1:41003)', briefDescription: 'shop/a-very-long-service-name-for-testing-headers (externalIP 127.0.0.1:41003)'};
		const longHeader = (await frameOf({...modelOf(plan, 'clusterip', snapshot), ...long}, 80, 22)).split('\n')[0]!;
		assert.match(longHeader, /^PROBE shop\/a-v\S*…\S*headers \(externalIP 127\.0\.0\.1:41003\) +every 1s/, longHeader);
		assert.ok(longHeader.length <= 80, longHeader);
	});

	test('a long reason the probes cannot run wraps at 80 columns, its end shown (qa9 F8)', async () => {
		const {plan, snapshot} = clusterIpRun();
		const error = 'from pod/default/web-1: pod default/web-1: pods/exec in default/web-1 failed with HTTP 500';
		const frame = await frameOf({...modelOf(plan, 'clusterip', snapshot), error}, 80, 22);
		assert.match(frame, /^cannot probe: from pod\/default\/web-1: /m);
		assert.match(frame, /failed with HTTP 500$/m, frame);
		assert.ok(frame.split('\n').every(row => row.length <= 80), frame);
	});

	test('at 80 columns the header keeps where the probes go from, cutting the address instead', async () => {
		const {plan, snapshot} = clusterIpRun();
		const description = `${plan.description} from pod/default/net-pod with curl`;
		const briefDescription = `${plan.briefDescription!} from pod/default/net-pod with curl`;
		const header = (await frameOf({...modelOf(plan, 'clusterip', snapshot), description, briefDescription}, 80, 22)).split('\n')[0]!;
		assert.ok(header.length <= 80, header);
		assert.match(header, /^PROBE default\/svc-nod.*… from pod\/default\/net-pod with curl +every 1s/);
		// A DNS target and a long pod name: the Service and port stay, the tail is cut in its middle.
		const long = `default/echo-lb:http (dns echo-lb.default.svc.cluster.local from pod/default/deploy-echo-5c689d5454-b7gng with curl)`;
		const longHeader = (await frameOf({...modelOf(plan, 'clusterip', snapshot), description: long, briefDescription: undefined}, 80, 22)).split('\n')[0]!;
		assert.ok(longHeader.length <= 80, longHeader);
		assert.match(longHeader, /^PROBE default\/echo-lb:http \(d… from pod\/\S*…\S*gng with curl\) +every 1s/);
	});

	test('no ready endpoints: the refusals are put down to that, where the verdict would be', async () => {
		const plan = planServiceProbe({services: [nodePortService('Cluster')], endpointSlices: [echoSlice(0)], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'clusterip');
		assert.ok(!('error' in plan));
		const label = plan.series[0]!.target.label;
		const frame = await frameOf(modelOf(plan, 'clusterip', snapshotOf(plan, Array.from({length: 5}, () => [label, {error: 'refused'}] as const))), 80, 22);
		assert.match(frame, /^cause: no ready endpoints: no pod can answer this Service$/m, frame);
		// With ready endpoints the same refusals have no known cause.
		const ready = planOf('clusterip');
		const readyFrame = await frameOf(modelOf(ready, 'clusterip', snapshotOf(ready, Array.from({length: 5}, () => [ready.series[0]!.target.label, {error: 'refused'}] as const))), 80, 22);
		assert.doesNotMatch(readyFrame, /cause:/, readyFrame);
	});

	test('EndpointSlices not read: the verdict line says endpoints unknown with the reason, no cause', async () => {
		const unknown = [{resource: 'endpointslices', reason: 'endpointslices is forbidden'}] as const;
		const plan = planServiceProbe({services: [nodePortService('Cluster')], endpointSlices: [], nodes, unknown}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'clusterip');
		assert.ok(!('error' in plan));
		const label = plan.series[0]!.target.label;
		const frame = await frameOf({...modelOf(plan, 'clusterip', snapshotOf(plan, Array.from({length: 5}, () => [label, {error: 'refused'}] as const))), unknown: plan.unknown}, 80, 22);
		assert.match(frame, /^endpoints unknown \(endpointslices is forbidden\): nothing expected$/m, frame);
		assert.doesNotMatch(frame, /cause:|no ready endpoints/, frame);
	});

	test('answers no pod was named for: the pods show - (not observed, not 0%) and the verdict line says why (qa4 F10)', async () => {
		const plan = planOf('clusterip', nodePortService('Cluster'));
		const stats = new ProbeRunStats(plan.series, 1024);
		for (let seq = 0; seq < 6; seq++) {
			stats.add({seq, t: seq * 10, target: plan.series[0]!.target.label, ok: true, latencyMs: 1, pod: null, node: null, endpoint: null, via: 'unknown', error: null});
		}

		const frame = await frameOf(modelOf(plan, 'clusterip', stats.snapshot()), 120, 22);
		assert.match(frame, /^deploy-echo-5c689d5454-cjpfp +myk8s-worker2 +- +- +33\.3%$/m, frame);
		assert.match(frame, /^6 answers not attributed to any pod \(no conntrack entry, no pod name in the response\): per-pod shares not observed$/m, frame);
		assert.doesNotMatch(frame, / 0\.0%|chi-square|balance:/, frame);
	});

	test('a blackholed pod at 80 columns: where kube-proxy sent the timeouts, on their own line; the pod answered none', async () => {
		const plan = planOf('clusterip', nodePortService('Cluster'));
		const stats = new ProbeRunStats(plan.series, 1024);
		const [, blackholed] = echoPods;
		for (let seq = 0; seq < 30; seq++) {
			const pod = echoPods[seq % 3]!;
			const sentThere = pod === blackholed;
			// The last two timeouts conntrack named nobody for.
			const traced = seq < 24;
			stats.add({
				seq, t: seq * 10, target: plan.series[0]!.target.label, ok: !sentThere, latencyMs: sentThere ? 1000 : 1,
				pod: sentThere && !traced ? null : pod[0], node: sentThere && !traced ? null : pod[2], endpoint: sentThere && !traced ? null : `${pod[1]}:8080`,
				via: sentThere && !traced ? 'unknown' : 'conntrack', error: sentThere ? 'timeout' : null,
			});
		}

		const frame = await frameOf(modelOf(plan, 'clusterip', stats.snapshot()), 80, 22);
		const lines = frame.split('\n');
		assert.ok(lines.every(text => text.length <= 80), frame);
		// The node does not fit beside this pod name at 80 (the POD table beside it names it): left out, nothing cut.
		assert.ok(lines.includes('timeout 10: kube-proxy sent 8 to deploy-echo-5c689d5454-cjpfp, 2 unknown'), frame);
		assert.match(frame, /^deploy-echo-5c689d5454-cjpfp +myk8s-worker2 +0 +0\.0% +33\.3%$/m, frame);
		// Timeouts are no answers named by conntrack.
		assert.match(frame, /^30 probes, 20 ok \(66\.7%\) .* via conntrack 20$/m, frame);
		const wide = (await frameOf(modelOf(plan, 'clusterip', stats.snapshot()), 100, 22)).split('\n');
		assert.ok(wide.includes('timeout 10: kube-proxy sent 8 to deploy-echo-5c689d5454-cjpfp on myk8s-worker2, 2 unknown'), wide.join('\n'));
	});

	test('the counts line never cuts the attribution method: latency figures go first, then the drop wording shortens', async () => {
		const {plan, snapshot} = nodePortRun();
		const big = {...snapshot, count: 1368, ok: 1198, dropped: 167, failed: 3, successRate: 1198 / 1201, series: snapshot.series.map(entry => ({...entry, via: {...entry.via, response: entry.via.response * 66}}))};
		const frame = await frameOf(modelOf(plan, 'nodeport', big), 80, 22);
		const counts = frame.split('\n')[1]!;
		assert.ok(counts.length <= 80, counts);
		assert.match(counts, /^1368 probes, 1198 ok \(99\.8%\), 167 expected drops, 3 failed {2}via response 1188$/);
		// Wide enough, everything at full length.
		assert.match((await frameOf(modelOf(plan, 'nodeport', big), 140, 22)).split('\n')[1]!, /167 dropped as expected, 3 failed {2}median [\d.]+ p95 [\d.]+ ms {2}via response 1188$/);
	});

	test('the latency axis never reads -0.00', () => {
		const plan = planOf('clusterip');
		const label = plan.series[0]!.target.label;
		// 86.775 ms over a 3-row chart puts asciichart's bottom label a hair below 0.
		const stats = new ProbeRunStats(plan.series);
		for (const [seq, latencyMs] of [43.3875, 86.775].entries()) {
			const [pod, ip, node] = echoPods[seq]!;
			stats.add({seq, t: seq * 10, target: label, ok: true, latencyMs, pod, node, endpoint: `${ip}:8080`, via: 'response', error: null});
		}

		const snapshot = stats.snapshot();
		const chart = latencyLines(modelOf(plan, 'clusterip', snapshot), 80, 5).map(entry => entry.segments.map(segment => segment.text).join(''));
		assert.doesNotMatch(chart.join('\n'), /-0\.00/);
		assert.match(chart.at(-1)!, /^ +0\.00 ┤/);
	});

	test('ClientIP: the affinity verdict instead of chi-square', async () => {
		const plan = planOf('clusterip', nodePortService('Cluster', 'ClientIP'));
		const label = plan.series[0]!.target.label;
		const snapshot = snapshotOf(plan, Array.from({length: 8}, () => [label, {pod: echoPods[1]}] as const));
		const frame = await frameOf(modelOf(plan, 'clusterip', snapshot), 80, 22);
		assert.match(frame, /^affinity ClientIP \(60s\) → sticks: 7\/7 follow-ups on deploy-echo-5c689d5454-cjpfp$/m);
		assert.doesNotMatch(frame, /chi-square/);
		// EXPECTED for one sticky client is all on its pod, not the split between the pods.
		assert.match(frame, /^deploy-echo-5c689d5454-cjpfp +myk8s-worker2 +8 +100\.0% +100\.0%$/m);
		assert.match(frame, /^deploy-echo-5c689d5454-b7gng +myk8s-worker3 +0 +0\.0% +0\.0%$/m);
		assert.doesNotMatch(frame, /33\.3%/);
		const broken = snapshotOf(plan, Array.from({length: 8}, (_, i) => [label, {pod: echoPods[i % 3]!}] as const));
		assert.match(await frameOf(modelOf(plan, 'clusterip', broken), 80, 22), /^affinity ClientIP \(60s\) → does not stick: 7 switches away from a ready pod$/m);
	});

	test('NodePort under Local: a node that should drop but answers is flagged, in the counts and the matrix', async () => {
		const plan = planOf('nodeport');
		const outcomes = plan.series.map(series => [series.target.label, {pod: echoPods.find(candidate => candidate[2] === series.target.node) ?? echoPods[0]}] as const);
		const frame = await frameOf(modelOf(plan, 'nodeport', snapshotOf(plan, [...outcomes, ...outcomes])), 80, 22);
		assert.match(frame, /^8 probes, 8 ok \(100\.0%\), 2 answered where it should drop/m);
		assert.match(frame, /^myk8s-control-plane +172\.18\.0\.3:31254 +2\/2 +answers, should not/m);
	});

	test('before any sample and with a plan error', async () => {
		const plan = planOf('clusterip');
		const empty = new ProbeRunStats(plan.series).snapshot();
		const frame = await frameOf({...modelOf(plan, 'clusterip', empty), state: 'stopped', paused: true}, 80, 22);
		assert.match(frame, /■ stopped {2}frozen$/m);
		assert.match(frame, /^no samples yet$/m);
		// Every ready endpoint gets its lane before it answers.
		assert.match(frame, /^deploy-ech…d5454-b7gng myk8s-worker3$/m);
		const failed = await frameOf({serviceKey: 'default/web', via: 'external', intervalMs: 50, state: 'stopped', paused: false, error: 'service default/web has no externalIPs', hint}, 80, 22);
		assert.equal(failed, [
			'PROBE default/web via externalIPs                          every 50ms  ■ stopped',
			'no samples yet',
			'cannot probe: service default/web has no externalIPs',
			hint,
		].join('\n'));
	});

	test('never taller or wider than the space given; the latency chart goes first', async () => {
		const {plan, snapshot} = nodePortRun();
		for (const [columns, rows] of [[80, 22], [80, 14], [60, 10], [40, 6], [200, 50], [80, 3]] as const) {
			const lines = probeViewLines(modelOf(plan, 'nodeport', snapshot), columns, rows);
			assert.ok(lines.length <= rows, `${columns}x${rows}: ${lines.length} lines`);
			for (const entry of lines) {
				const text = entry.segments.map(segment => segment.text).join('');
				assert.ok(text.length <= columns, `${columns}x${rows}: ${JSON.stringify(text)}`);
			}

			assert.equal(new Set(lines.map(entry => entry.key)).size, lines.length, 'keys are unique');
		}

		const {plan: cluster, snapshot: clusterSnapshot} = clusterIpRun();
		const keysAt = (rows: number) => probeViewLines(modelOf(cluster, 'clusterip', clusterSnapshot), 80, rows).map(entry => entry.key);
		assert.ok(keysAt(22).includes('latency-title'));
		const small = keysAt(14);
		assert.ok(!small.includes('latency-title'), 'chart dropped at 14 lines');
		assert.ok(small.includes('lanes-title') && small.includes('verdict') && small.includes('lane:failed'), small.join(','));
	});

	test('held by the conntrack table: the header says held, why comes first and wrapped, what was recorded stays; the hint always shows', () => {
		const {plan, snapshot} = clusterIpRun();
		const reason = 'this node\'s conntrack table is 78% full (204,519 of 262,144 entries), 180,000 of them left by these probes within 120 s; probing resumes below 60%';
		const held = {...modelOf(plan, 'clusterip', snapshot), held: reason};
		const textOf = (lines: ReturnType<typeof probeViewLines>) => lines.map(entry => entry.segments.map(segment => segment.text).join(''));
		const lines = textOf(probeViewLines(held, 80, 22));
		assert.match(lines[0]!, /■ held$/);
		assert.doesNotMatch(lines[0]!, /running/);
		assert.equal(lines[2], 'held: this node\'s conntrack table is 78% full (204,519 of 262,144 entries),');
		assert.equal(lines[3], '  180,000 of them left by these probes within 120 s; probing resumes below 60%');
		assert.ok(lines.some(text => text.startsWith('lanes')), 'the lanes stay below it');
		assert.ok(lines.every(text => text.length <= 80));
		for (const rows of [3, 4, 6]) {
			const small = probeViewLines(held, 80, rows);
			assert.ok(small.length <= rows, `${rows} rows: ${small.length} lines`);
			assert.equal(small.at(-1)!.key, 'hint', `${rows} rows: the hint shows`);
		}

		// Not held: the run reads as before.
		assert.match(textOf(probeViewLines(modelOf(plan, 'clusterip', snapshot), 80, 22))[0]!, /● running$/);
	});

	test('the balance verdict: balanced, doubtful (0.001 <= p < 0.05: not yet a verdict), not balanced (p < 0.001) (qa10 F2)', () => {
		const plan = planOf('clusterip');
		const label = plan.series[0]!.target.label;
		const verdictOf = (counts: readonly number[]) => {
			const outcomes = counts.flatMap((count, pod) => Array.from({length: count}, (): readonly [string, Outcome] => [label, {pod: echoPods[pod]!}]));
			const lines = probeViewLines(modelOf(plan, 'clusterip', snapshotOf(plan, outcomes)), 100, 30);
			const verdict = lines.find(entry => entry.key === 'verdict')!;
			return {text: verdict.segments.map(segment => segment.text).join(''), tone: verdict.segments[1]?.tone};
		};

		assert.deepEqual(verdictOf([15, 15, 15]), {text: 'chi-square 0.00 (df 2), p = 1.00 → balanced  vs 1/n ready', tone: 'good'});
		// 24 / 11 / 10 of 45 against 15 each: p = 0.017, which a balanced Service passes through by chance.
		assert.deepEqual(verdictOf([24, 11, 10]), {text: 'chi-square 8.13 (df 2), p = 0.0171 → doubtful, not yet a verdict  vs 1/n ready', tone: 'warn'});
		assert.deepEqual(verdictOf([35, 5, 5]), {text: 'chi-square 40.00 (df 2), p = 2.06e-9 → not balanced  vs 1/n ready', tone: 'bad'});
	});

	test('series the plan leaves unjudged say why on the balance line, not "nothing expected" (internalTrafficPolicy Local)', () => {
		const internalLocal = {...nodePortService('Cluster'), spec: {...nodePortService('Cluster').spec, internalTrafficPolicy: 'Local'}};
		const plan = planServiceProbe({services: [internalLocal], endpointSlices: [echoSlice()], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'clusterip');
		assert.ok(!('error' in plan) && plan.unjudged !== undefined);
		const label = plan.series[0]!.target.label;
		const snapshot = snapshotOf(plan, Array.from({length: 12}, (_, i) => [label, {pod: echoPods[i % 2]!}] as const));
		const verdict = probeViewLines({...modelOf(plan, 'clusterip', snapshot), unjudged: plan.unjudged}, 200, 30).find(entry => entry.key === 'verdict')!;
		assert.equal(verdict.segments.map(segment => segment.text).join(''), `balance ${plan.unjudged}`);
	});

	test('one endpoint expected: nothing to balance, said once the answers are its, not "waiting" forever (qa10 F6)', () => {
		const plan = planServiceProbe({services: [nodePortService('Cluster')], endpointSlices: [echoSlice(1)], nodes}, {kind: 'service', namespace: 'default', name: 'svc-nodeport'}, 'clusterip');
		assert.ok(!('error' in plan));
		const label = plan.series[0]!.target.label;
		const verdictText = (outcomes: ReadonlyArray<readonly [string, Outcome]>) => probeViewLines(modelOf(plan, 'clusterip', snapshotOf(plan, outcomes)), 100, 30)
			.find(entry => entry.key === 'verdict')!.segments.map(segment => segment.text).join('');
		assert.equal(verdictText(Array.from({length: 40}, () => [label, {pod: echoPods[0]}] as const)), 'balance: one endpoint, nothing to balance: all 40 answers from it');
		assert.equal(verdictText([[label, {pod: echoPods[0]}], [label, {pod: echoPods[1]}], [label, {pod: echoPods[0]}]]), 'balance: one endpoint expected, 1 of 3 answers from others');
	});

	test('many pods: lanes and shares are cut to fit, the failure lane stays', () => {
		const plan = planOf('clusterip');
		const label = plan.series[0]!.target.label;
		const pods = Array.from({length: 20}, (_, i) => [`web-${String(i).padStart(2, '0')}`, `10.0.0.${i}`, `node-${i % 4}`] as const);
		const outcomes = Array.from({length: 60}, (_, i): readonly [string, Outcome] => [label, i % 10 === 9 ? {error: 'reset'} : {pod: pods[i % 20] as never}]);
		const lines = probeViewLines(modelOf(plan, 'clusterip', snapshotOf(plan, outcomes)), 80, 22);
		assert.equal(lines.length, 22);
		assert.ok(lines.some(entry => entry.key === 'lane:failed'));
		assert.match(lines.find(entry => entry.key === 'lanes-title')!.segments.map(segment => segment.text).join(''), /lanes hidden\).*x reset/);
	});

	test('interval steps: + longer, - shorter, clamped at 1s and 10ms', () => {
		assert.equal(stepInterval(1000, -1), 500);
		assert.equal(stepInterval(50, -1), 10);
		assert.equal(stepInterval(10, -1), 10);
		assert.equal(stepInterval(500, 1), 1000);
		assert.equal(stepInterval(1000, 1), 1000);
		assert.equal(stepInterval(300, -1), 100, 'off the steps: from the nearest');
	});
});

/** Waits for a condition the app reaches through real sockets; fails with the last frame. */
async function waitFor(check: () => boolean, describeState: () => string, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) {
			assert.fail(`timed out; last frame:\n${describeState()}`);
		}

		// eslint-disable-next-line no-await-in-loop
		await new Promise(resolve => {
			setTimeout(resolve, 5);
		});
		// eslint-disable-next-line no-await-in-loop
		await settle();
	}
}

describe('probe view, live against loopback servers', () => {
	let echo: http.Server;
	let echoPort: number;
	let hang: http.Server;
	let hangPort: number;
	const hanging = new Set<Socket>();
	let gate: Promise<void> = Promise.resolve();
	let served = 0;
	before(async () => {
		// An echo server that names the pod it plays, in turn, as echo-hname does.
		echo = http.createServer(async (_request, response) => {
			const pod = echoPods[served++ % 3]!;
			await gate;
			response.end(`${pod[0]}\n`);
		});
		echoPort = await new Promise(resolve => echo.listen(0, '127.0.0.1', () => resolve((echo.address() as AddressInfo).port)));
		// A server that accepts and never answers.
		hang = http.createServer(() => undefined);
		hang.on('connection', socket => {
			hanging.add(socket);
			socket.on('close', () => hanging.delete(socket));
		});
		hangPort = await new Promise(resolve => hang.listen(0, '127.0.0.1', () => resolve((hang.address() as AddressInfo).port)));
	});
	after(async () => {
		echo.closeAllConnections();
		hang.closeAllConnections();
		await Promise.all([new Promise(resolve => echo.close(resolve)), new Promise(resolve => hang.close(resolve))]);
	});

	const source = echoSource();
	const screenProps = {serviceKey: 'default/svc-nodeport', snapshot: source.current, source, clock: () => 0, clusterDomain: 'cluster.local', width: 100, height: 22, onBack() {}, onOpen() {}};

	test('attribution by response: each pod gets its lane and its count', async () => {
		served = 0;
		const ProbeScreen = makeProbeView({
			resolveAddress: (ip, port) => (ip === '10.200.1.60' && port === 9000 ? {host: '127.0.0.1', port: echoPort} : undefined),
			count: 6,
			initialIntervalMs: 10,
			refreshMs: 20,
			conntrack: 'off',
		});
		const rendered = renderAt(<KeypressProvider><ProbeScreen {...screenProps} /></KeypressProvider>, {columns: 100, rows: 22});
		try {
			await waitFor(() => /■ finished/.test(rendered.frame()), () => rendered.frame());
			const frame = rendered.frame();
			assert.match(frame, /^6 probes, 6 ok \(100\.0%\) .* via response 6$/m);
			for (const [pod, , node] of echoPods) {
				const lane = frame.split('\n').find(text => text.startsWith(`${pod} ${node}`));
				assert.ok(lane, `a lane for ${pod}:\n${frame}`);
				assert.equal([...lane.slice(`${pod} ${node}`.length)].filter(char => char === '█').length, 2, lane);
				assert.match(frame, new RegExp(`^${pod} +${node} +2 +33\\.3% +33\\.3%$`, 'm'));
			}

			assert.doesNotMatch(frame, /^failed/m);
			// 2 answers per pod (expected 2 each): a chi-square test says nothing yet, and the view says so.
			assert.match(frame, /^balance: too few samples for a verdict \(need about 15\)/m);
			assert.doesNotMatch(frame, /balanced|p = /);
		} finally {
			rendered.unmount();
		}
	});

	test('keys: freeze holds the display while probing goes on; interval, target, stop', async () => {
		served = 0;
		let release!: () => void;
		gate = new Promise(resolve => {
			release = resolve;
		});
		const ProbeScreen = makeProbeView({
			resolveAddress: (ip, port) => (ip === '10.200.1.60' && port === 9000 ? {host: '127.0.0.1', port: echoPort} : undefined),
			count: 3,
			initialIntervalMs: 10,
			refreshMs: 20,
			conntrack: 'off',
		});
		const rendered = renderAt(<KeypressProvider><ProbeScreen {...screenProps} /></KeypressProvider>, {columns: 100, rows: 22});
		try {
			await rendered.press('z');
			assert.match(rendered.frame(), /● running {2}frozen/);
			release();
			// The run finishes underneath a frozen display.
			await waitFor(() => /■ finished {2}frozen/.test(rendered.frame()), () => rendered.frame());
			assert.match(rendered.frame(), /^no samples yet$/m);
			await rendered.press('z');
			assert.match(rendered.frame(), /^3 probes, 3 ok/m);
			await rendered.press('+');
			assert.match(rendered.frame(), /every 50ms/);
			await rendered.press('-', '-', '-');
			assert.match(rendered.frame(), /every 10ms/);
			await rendered.press('v');
			// svc-nodeport via NodePort: one series per node, so the description names 4 addresses.
			await waitFor(() => /nodePort 4 addresses/.test(rendered.frame()), () => rendered.frame());
			// It has no externalIPs and no load balancer: `v` skips them, to its DNS name, each endpoint, round to the ClusterIP.
			await rendered.press('v');
			assert.match(rendered.frame(), /\(dns svc-nodeport\.default\.svc\.clust/);
			await rendered.press('v');
			assert.match(rendered.frame(), /\(endpoint 10\.10\.1\.3:8080/);
			await rendered.press('v');
			assert.match(rendered.frame(), /clusterIP 10\.200\.1\.60:9000/);
			assert.doesNotMatch(rendered.frame(), /cannot probe/);
			await rendered.press(' ');
			assert.match(rendered.frame(), /■ stopped/);
			assert.match(rendered.frame(), /Space start/);
		} finally {
			gate = Promise.resolve();
			rendered.unmount();
		}
	});

	test('targets: `v` on a ClusterIP Service never reaches a NodePort, externalIPs or LB it does not have', async () => {
		const clusterOnly = {...nodePortService('Cluster'), spec: {...nodePortService('Cluster').spec, type: 'ClusterIP', externalTrafficPolicy: undefined, ports: [{name: 'svc-webport', port: 9000, targetPort: 8080 as never, protocol: 'TCP'}]}};
		const plain = echoSource({services: [clusterOnly]});
		const ProbeScreen = makeProbeView({resolveAddress: () => ({host: '127.0.0.1', port: echoPort}), initialIntervalMs: 1000, refreshMs: 20, conntrack: 'off'});
		const rendered = renderAt(<KeypressProvider><ProbeScreen {...screenProps} source={plain} snapshot={plain.current} /></KeypressProvider>, {columns: 100, rows: 22});
		try {
			const seen: string[] = [];
			for (let i = 0; i < 6; i++) {
				// eslint-disable-next-line no-await-in-loop
				await rendered.press('v');
				seen.push(/^PROBE \S+ \((\w+)/m.exec(rendered.frame())?.[1] ?? rendered.frame());
			}

			assert.deepEqual(seen, ['dns', 'endpoint', 'clusterIP', 'dns', 'endpoint', 'clusterIP']);
			assert.doesNotMatch(rendered.frame(), /nodePort|cannot probe/);
			// `o` on a one-port Service says why nothing happens, and the next key takes the notice away.
			await rendered.press('o');
			assert.match(rendered.frame(), /o: this Service has one port, nothing to switch to/);
			await rendered.press('+');
			assert.doesNotMatch(rendered.frame(), /nothing to switch to/);
		} finally {
			rendered.unmount();
		}
	});

	test('targets: `v` where the Service has one target says so and keeps the counts (an ExternalName: its name only) (qa10)', async () => {
		const alias = {metadata: {namespace: 'default', name: 'svc-nodeport', uid: 'alias'}, spec: {type: 'ExternalName', externalName: 'localhost'}};
		const source = echoSource({services: [alias as never], endpointSlices: []});
		const ProbeScreen = makeProbeView({resolveAddress: () => ({host: '127.0.0.1', port: echoPort}), initialIntervalMs: 20, refreshMs: 20, conntrack: 'off'});
		const rendered = renderAt(<KeypressProvider><ProbeScreen {...screenProps} source={source} snapshot={source.current} /></KeypressProvider>, {columns: 100, rows: 22});
		try {
			const probes = () => Number(/^(\d+) probes?,/m.exec(rendered.frame())?.[1] ?? 0);
			for (let waited = 0; probes() < 3 && waited < 3000; waited += 50) {
				// eslint-disable-next-line no-await-in-loop
				await new Promise(resolve => setTimeout(resolve, 50));
			}

			const before = probes();
			assert.ok(before >= 3, rendered.frame());
			await rendered.press('v');
			assert.match(rendered.frame(), /v: this Service port has one target to probe, nothing to switch to/);
			assert.ok(probes() >= before, `the counts were kept: ${probes()} after ${before}\n${rendered.frame()}`);
		} finally {
			rendered.unmount();
		}
	});

	test('ports: `o` cycles a multi-port Service\'s ports (kube-dns: dns/UDP, then dns-tcp, then metrics)', async () => {
		const kubeDns = {
			metadata: {namespace: 'kube-system', name: 'kube-dns'},
			spec: {type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [
				{name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 as never},
				{name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 as never},
				{name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 as never},
			]},
		};
		const dns = echoSource({services: [kubeDns], endpointSlices: []});
		const ProbeScreen = makeProbeView({resolveAddress: () => ({host: '127.0.0.1', port: 9}), initialIntervalMs: 1000, timeoutMs: 100, refreshMs: 20, conntrack: 'off'});
		const rendered = renderAt(<KeypressProvider><ProbeScreen {...screenProps} serviceKey="kube-system/kube-dns" source={dns} snapshot={dns.current} /></KeypressProvider>, {columns: 100, rows: 22});
		try {
			const header = () => /^PROBE (\S+)/m.exec(rendered.frame())?.[1];
			assert.equal(header(), 'kube-system/kube-dns:dns');
			assert.match(rendered.frame(), /o port/);
			await rendered.press('o');
			assert.equal(header(), 'kube-system/kube-dns:dns-tcp');
			await rendered.press('o');
			assert.equal(header(), 'kube-system/kube-dns:metrics');
			await rendered.press('o');
			assert.equal(header(), 'kube-system/kube-dns:dns');
		} finally {
			rendered.unmount();
		}

		// At 80 columns the hint line still fits: the rarer hints give way, `o port` and `? help` stay.
		const narrow = renderAt(<KeypressProvider><ProbeScreen {...screenProps} serviceKey="kube-system/kube-dns" source={dns} snapshot={dns.current} width={80} /></KeypressProvider>, {columns: 80, rows: 22});
		try {
			const hint = narrow.frame().split('\n').find(line => line.includes('? help'));
			assert.ok(hint, narrow.frame());
			assert.ok(hint.length <= 80, hint);
			assert.match(hint, /o port .* w from .* \? help$/);
		} finally {
			narrow.unmount();
		}
	});

	test('every probe hangs: the screen still answers keys, failures show as timeouts, unmount closes the sockets', async () => {
		const ProbeScreen = makeProbeView({
			resolveAddress: () => ({host: '127.0.0.1', port: hangPort}),
			initialIntervalMs: 10,
			timeoutMs: 150,
			refreshMs: 20,
			conntrack: 'off',
		});
		const rendered = renderAt(<KeypressProvider><ProbeScreen {...screenProps} /></KeypressProvider>, {columns: 100, rows: 22});
		try {
			// One probe in flight at a time (concurrency 1): the next goes out when it times out.
			await waitFor(() => hanging.size >= 1, () => `${hanging.size} hanging connections`);
			const started = Date.now();
			await rendered.press('+');
			assert.match(rendered.frame(), /every 50ms/);
			assert.ok(Date.now() - started < 500, 'a key is handled while probes hang');
			await waitFor(() => /^failed +t/m.test(rendered.frame()), () => rendered.frame());
			assert.match(rendered.frame(), /failures: t timeout/);
		} finally {
			rendered.unmount();
		}

		await waitFor(() => hanging.size === 0, () => `${hanging.size} connections still open after unmount`);
	});
});

const FRAME_CLUSTERIP = `PROBE default/svc-nodeport (clusterIP 10.200.1.60:9000)      every 1s  ● running
24 probes, 20 ok (83.3%)  median 1.50 p95 2.50 ms  via response 20
lanes: last 24 requests, newest right  failures: r refused, t timeout
deploy-ech…d5454-b7gng myk8s-worker3 ··█··█··█··█··█··█·····█
deploy-ech…d5454-cjpfp myk8s-worker2 ·█··█··█········█··█··█·
deploy-ech…d5454-m4hd9 myk8s-worker  █··█·····█··█··█··█··█··
failed                               ······t···r··t······t···
latency (ms) of the last 20 answers
  2.50 ┼  ╭╮ ╭╮ ╭╮ ╭╮  ╭╮ ╭
  2.14 ┤ ╭╯│ ││ ││╭╯│ ╭╯│╭╯
  1.79 ┤ │ │ ││ │││ │ │ ││
  1.43 ┤╭╯ │╭╯│╭╯││ │╭╯ ╰╯
  1.07 ┼╯  ╰╯ ╰╯ ╰╯ ╰╯
  0.71 ┤
  0.36 ┤
  0.00 ┤
POD                           NODE            COUNT    SHARE  EXPECTED
deploy-echo-5c689d5454-b7gng  myk8s-worker3       7    35.0%     33.3%
deploy-echo-5c689d5454-cjpfp  myk8s-worker2       6    30.0%     33.3%
deploy-echo-5c689d5454-m4hd9  myk8s-worker        7    35.0%     33.3%
chi-square 0.10 (df 2), p = 0.951 → balanced  vs 1/n ready
Space stop  z freeze  c clear  v target  +/- interval  Esc back  ? help`;
const FRAME_NODEPORT = `PROBE default/svc-nodeport (nodePort 4 addresses)            every 1s  ● running
24 probes, 18 ok (100.0%), 6 dropped as expected  via response 18
lanes: last 24 requests, newest right
deploy-ech…d5454-b7gng myk8s-worker3 ···█···█···█···█···█···█
deploy-ech…d5454-cjpfp myk8s-worker2 ··█···█···█···█···█···█·
deploy-ech…d5454-m4hd9 myk8s-worker  ·█···█···█···█···█···█··
dropped                              -···-···-···-···-···-···
latency (ms) of the last 18 answers
  2.50 ┼╭─╮╭─╮╭─╮╭─╮╭─╮╭─
  1.25 ┼╯ ╰╯ ╰╯ ╰╯ ╰╯ ╰╯
  0.00 ┤
POD                           NODE            COUNT    SHARE  EXPECTED
deploy-echo-5c689d5454-b7gng  myk8s-worker3       6    33.3%     33.3%
deploy-echo-5c689d5454-cjpfp  myk8s-worker2       6    33.3%     33.3%
deploy-echo-5c689d5454-m4hd9  myk8s-worker        6    33.3%     33.3%
chi-square 0.00 (df 2), p = 1.00 → balanced  vs 1/n ready
NODE                 NODEPORT           OK  RESULT         WHY
myk8s-control-plane  172.18.0.3:31254  0/6  expected drop  Local: no endpoint o…
myk8s-worker         172.18.0.5:31254  6/6  reachable      Local: 1 endpoint on…
myk8s-worker2        172.18.0.2:31254  6/6  reachable      Local: 1 endpoint on…
myk8s-worker3        172.18.0.4:31254  6/6  reachable      Local: 1 endpoint on…
Space stop  z freeze  c clear  v target  +/- interval  Esc back  ? help`;
