import {plot} from 'asciichart';
import {wrapWords} from '../../format.js';
import {formatDuration} from '../../../core/probe/duration.js';
import {droppedLane, expectedFromText, failureCauses, isExpectedDrop, lanesOf, type Lane, type ProbeRunSnapshot, timeoutDestinations, timeoutDestinationsText, unattributedNote, unknownPod} from '../../../core/probe/run-stats.js';
import {unknownText, type UnknownObjects} from '../../../core/probe/plan.js';
import type {Via} from '../../../core/probe/service-targets.js';
import {fitVerdict, fitViewWords, tooFewText} from '../../../core/probe/chi-square.js';
import type {AttributionMethod, ProbeSample} from '../../../core/probe/types.js';
import type {ProbeSessionState} from '../../../node/probe/probe-session.js';

/** How a piece of text is drawn; ProbeViewBody maps tones to colours. */
export type Tone = 'plain' | 'bold' | 'dim' | 'good' | 'warn' | 'bad' | 'mark' | 'chart';

export type Segment = {readonly text: string; readonly tone: Tone};

/** One line of the probe view, keyed by what it shows (never by its position). */
export type ProbeLine = {readonly key: string; readonly segments: readonly Segment[]};

/** What the probe view shows; everything the frame depends on besides its size. */
export type ProbeViewModel = {
	/** `namespace/name` of the Service. */
	readonly serviceKey: string;
	/** The plan's description, `ns/name:port (kind addresses)`; undefined before a plan exists. */
	readonly description?: string;
	/** The description without the port's name, shown when the whole one does not fit. */
	readonly briefDescription?: string;
	readonly via: Via;
	readonly intervalMs: number;
	readonly state: ProbeSessionState;
	/** The display is frozen (probing goes on underneath). */
	readonly paused: boolean;
	/** Why nothing can be probed (no such Service, no NodePort, ...). */
	readonly error?: string;
	/** Why the loop is held (this node's conntrack table nearly full of its entries). */
	readonly held?: string;
	/** Why the series are probed but not judged (the plan's `unjudged`). */
	readonly unjudged?: string;
	readonly snapshot?: ProbeRunSnapshot;
	/** What the plan could not read from the API (nothing is expected from it), with why. */
	readonly unknown?: readonly UnknownObjects[];
	/** Node of every endpoint known to the plan, so pods that never answered get a labelled lane. */
	readonly endpointNodes?: Readonly<Record<string, string | null>>;
	/** The key hint at the bottom. */
	readonly hint: string;
};

const ellipsis = '…';

/** `text` cut to `width` with an ellipsis at the end. */
export function fitEnd(text: string, width: number): string {
	if (width <= 0) {
		return '';
	}

	return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}${ellipsis}`;
}

/** `text` cut to `width` in the middle: pod names differ in their tail, so both ends are kept. */
export function fitMiddle(text: string, width: number): string {
	if (width <= 0) {
		return '';
	}

	if (text.length <= width) {
		return text;
	}

	if (width <= 2) {
		return text.slice(0, width);
	}

	const tail = Math.ceil((width - 1) / 2);
	return `${text.slice(0, width - 1 - tail)}${ellipsis}${text.slice(-tail)}`;
}

function pad(text: string, width: number): string {
	return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** Segments cut so their total length is at most `width`. */
export function clipSegments(segments: readonly Segment[], width: number): Segment[] {
	const out: Segment[] = [];
	let left = width;
	for (const segment of segments) {
		if (left <= 0) {
			break;
		}

		const text = segment.text.length <= left ? segment.text : fitEnd(segment.text, left);
		out.push({text, tone: segment.tone});
		left -= text.length;
	}

	return out;
}

function line(key: string, ...segments: Segment[]): ProbeLine {
	return {key, segments};
}

function seg(text: string, tone: Tone = 'plain'): Segment {
	return {text, tone};
}

/** Milliseconds with precision that suits their size: `0.42`, `12.3`, `250`. */
export function formatMs(value: number | undefined): string {
	if (value === undefined) {
		return '-';
	}

	return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);
}

function percent(value: number | null | undefined): string {
	return value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`;
}

/** One letter per failure reason for the failure lane. */
export function failureLetter(error: string | null): string {
	if (error === null) {
		return '!';
	}

	const http = /^http (\d)/.exec(error);
	if (http) {
		return http[1]!;
	}

	const letters: Readonly<Record<string, string>> = {timeout: 't', refused: 'r', reset: 'x', 'empty reply': 'e', 'dns failure': 'd', unreachable: 'u'};
	return letters[error] ?? '!';
}

const viaLabels: Readonly<Record<Via, string>> = {
	clusterip: 'ClusterIP',
	nodeport: 'NodePort',
	external: 'externalIPs',
	lb: 'LoadBalancer',
	dns: 'DNS name',
	endpoints: 'endpoints',
};

function headerLine(model: ProbeViewModel, width: number): ProbeLine {
	const states = {running: seg('● running', 'good'), stopped: seg('■ stopped', 'warn'), finished: seg('■ finished', 'dim'), failed: seg('■ failed', 'bad')};
	const right: Segment[] = [seg(`every ${formatDuration(model.intervalMs)}  `), model.held !== undefined && model.state === 'running' ? seg('■ held', 'warn') : states[model.state]];
	if (model.paused) {
		right.push(seg('  frozen', 'warn'));
	}

	const rightWidth = right.reduce((sum, segment) => sum + segment.text.length, 0);
	const leftWidth = Math.max(0, width - rightWidth - 2);
	const whole = `PROBE ${model.description ?? `${model.serviceKey} via ${viaLabels[model.via]}`}`;
	const left = whole.length > leftWidth && model.briefDescription ? `PROBE ${model.briefDescription}` : whole;
	// Where the probes go from (` from pod/…`, ` from node/…`) outlasts the address when the line is cut;
	// a long pod name is cut in its middle, keeping `from pod/` and the name's distinct end.
	const from = left.lastIndexOf(' from ');
	const wholeTail = from === -1 ? '' : left.slice(from);
	// The start keeps 16 characters beside a whole tail, 30 (the Service and port) beside a cut one.
	const tail = wholeTail.length + 16 <= leftWidth ? wholeTail : (leftWidth - 30 >= 24 ? fitMiddle(wholeTail, leftWidth - 30) : '');
	const leftText = pad(tail === '' ? fitHead(left, leftWidth) : fitHead(left.slice(0, from), leftWidth - tail.length) + tail, leftWidth);
	return line('header', seg(leftText, 'bold'), seg('  '), ...right);
}

/**
 * `PROBE ns/name (kind address)` in `width`: the target in parentheses outlasts the Service's name,
 * which is cut in its middle (a cut address would name another port); else the end is cut.
 */
function fitHead(head: string, width: number): string {
	const open = head.indexOf(' (');
	const target = open === -1 ? '' : head.slice(open);
	if (head.length <= width || target === '' || target.length + 'PROBE '.length + 12 > width) {
		return fitEnd(head, width);
	}

	return fitMiddle(head.slice(0, open), width - target.length) + target;
}

/**
 * Answers per attribution method over every series. A probe nobody answered is `unknown` in the
 * samples too; here `unknown` counts only answers no method could name, failures show elsewhere.
 */
function viaCounts(snapshot: ProbeRunSnapshot): Record<AttributionMethod, number> {
	const counts: Record<AttributionMethod, number> = {conntrack: 0, response: 0, peer: 0, unknown: 0};
	for (const series of snapshot.series) {
		counts.conntrack += series.via.conntrack;
		counts.response += series.via.response;
		counts.peer += series.via.peer;
	}

	counts.unknown = snapshot.byPod[unknownPod] ?? 0;
	return counts;
}

/**
 * The counts line at its longest that fits `width`: the latency figures go first (the chart shows
 * them), then the drop wording is shortened, so the attribution method is never cut.
 */
function statsLine(snapshot: ProbeRunSnapshot | undefined, width: number): ProbeLine {
	if (!snapshot || snapshot.count === 0) {
		return line('stats', seg('no samples yet', 'dim'));
	}

	const variants = [statsSegments(snapshot, true, false), statsSegments(snapshot, false, false), statsSegments(snapshot, false, true)];
	const fits = variants.find(segments => segments.reduce((sum, segment) => sum + segment.text.length, 0) <= width);
	return line('stats', ...(fits ?? variants.at(-1)!));
}

function statsSegments(snapshot: ProbeRunSnapshot, withLatency: boolean, short: boolean): Segment[] {
	// Drops kube-proxy is told to make are neither successes nor failures: the rate is of the probes that should be answered.
	const segments: Segment[] = [
		seg(`${snapshot.count} probe${snapshot.count === 1 ? '' : 's'}, `),
		seg(`${snapshot.ok} ok (${percent(snapshot.successRate)})`, snapshot.failed === 0 ? 'good' : 'warn'),
	];
	if (snapshot.dropped > 0) {
		segments.push(seg(short ? `, ${snapshot.dropped} expected drops` : `, ${snapshot.dropped} dropped as expected`, 'dim'));
		if (snapshot.failed > 0) {
			segments.push(seg(`, ${snapshot.failed} failed`, 'bad'));
		}
	}

	if (snapshot.answeredShouldDrop > 0) {
		segments.push(seg(short ? `, ${snapshot.answeredShouldDrop} answered, should drop` : `, ${snapshot.answeredShouldDrop} answered where it should drop`, 'bad'));
	}

	if (snapshot.latency && withLatency) {
		segments.push(seg(`  median ${formatMs(snapshot.latency.median)} p95 ${formatMs(snapshot.latency.p95)} ms`));
	}

	// The attribution method in use: how many samples each method named (unknown: nobody).
	const counts = viaCounts(snapshot);
	const methods = (Object.keys(counts) as AttributionMethod[]).filter(method => counts[method] > 0);
	segments.push(seg(`  via ${methods.length === 0 ? '-' : methods.map(method => `${method} ${counts[method]}`).join(', ')}`, 'dim'));
	return segments;
}

/** Lanes plus a lane for every expected pod that has not answered yet. */
function allLanes(model: ProbeViewModel, samples: readonly ProbeSample[], columns: number): Lane[] {
	const lanes = lanesOf(samples, columns);
	const seen = new Set(lanes.map(lane => lane.key));
	const snapshot = model.snapshot;
	const expectedPods = Object.keys(snapshot?.expected ?? {}).filter(pod => !seen.has(pod));
	if (expectedPods.length === 0) {
		return lanes;
	}

	const empty = Array.from({length: Math.min(samples.length, columns)}, () => false);
	const missing = expectedPods.map(pod => ({key: pod, node: snapshot?.podNodes[pod] ?? model.endpointNodes?.[pod] ?? null, marks: empty}));
	const special = new Set([unknownPod, droppedLane, 'failed']);
	const pods = [...lanes.filter(lane => !special.has(lane.key)), ...missing].sort((a, b) => a.key.localeCompare(b.key));
	return [...pods, ...lanes.filter(lane => special.has(lane.key))];
}

/** The lane chart: a row per pod, `unknown`, and failures with their reason letters; newest on the right. */
export function laneLines(model: ProbeViewModel, width: number, maxLines: number): ProbeLine[] {
	const samples = model.snapshot?.recent ?? [];
	const nodeOf = (lane: Lane) => lane.node ?? model.snapshot?.podNodes[lane.key] ?? model.endpointNodes?.[lane.key] ?? null;
	// Label width from the widest lane, but never more than 45% of the line.
	const provisional = allLanes(model, samples, width);
	const widest = Math.max(6, ...provisional.map(lane => lane.key.length + 1 + (nodeOf(lane)?.length ?? 0)));
	const labelWidth = Math.min(widest, Math.max(12, Math.floor(width * 0.45)));
	const columns = Math.max(1, width - labelWidth - 1);
	const shownSamples = samples.slice(-columns);
	let lanes = allLanes(model, samples, columns);
	const rows = Math.max(0, maxLines - 1);
	let hidden = 0;
	if (lanes.length > rows) {
		// Keep the failure lane and the busiest pods.
		hidden = lanes.length - rows;
		const failed = lanes.filter(lane => lane.key === 'failed');
		const marksOf = (lane: Lane) => lane.marks.filter(Boolean).length;
		const busiest = lanes
			.filter(lane => lane.key !== 'failed')
			.sort((a, b) => marksOf(b) - marksOf(a) || a.key.localeCompare(b.key))
			.slice(0, Math.max(0, rows - failed.length));
		const keep = new Set([...busiest, ...failed.slice(0, rows)].map(lane => lane.key));
		lanes = lanes.filter(lane => keep.has(lane.key));
	}

	const reasons = [...new Set(shownSamples.filter(sample => !sample.ok && !isExpectedDrop(sample)).map(sample => sample.error ?? 'error'))].sort();
	const legend = reasons.length > 0 ? `  failures: ${reasons.map(reason => `${failureLetter(reason)} ${reason}`).join(', ')}` : '';
	const title = `lanes: last ${shownSamples.length} request${shownSamples.length === 1 ? '' : 's'}, newest right${hidden > 0 ? ` (${hidden} lane${hidden === 1 ? '' : 's'} hidden)` : ''}`;
	const out: ProbeLine[] = [line('lanes-title', seg(title, 'dim'), seg(legend, 'bad'))];
	// One pod column and one node column for every lane; the node gives way first, then the pod's middle.
	const widestNode = Math.max(0, ...lanes.map(lane => nodeOf(lane)?.length ?? 0));
	const widestPod = Math.max(0, ...lanes.map(lane => lane.key.length));
	const podWidth = widestNode === 0 ? labelWidth : Math.min(widestPod, Math.max(labelWidth - 1 - widestNode, Math.ceil(labelWidth * 0.55)));
	const nodeWidth = Math.max(0, labelWidth - podWidth - 1);
	for (const lane of lanes) {
		const node = nodeOf(lane) ?? '';
		const label = node === '' ? fitMiddle(lane.key, labelWidth) : `${pad(fitMiddle(lane.key, podWidth), podWidth)} ${fitEnd(node, nodeWidth)}`;
		const isFailed = lane.key === 'failed';
		const isDropped = lane.key === droppedLane;
		const markOf = (column: number) => (isFailed ? failureLetter(shownSamples[column]?.error ?? null) : (isDropped ? '-' : '█'));
		const marks = lane.marks.map((mark, column) => (mark ? markOf(column) : '·')).join('');
		const tone: Tone = isFailed ? 'bad' : (isDropped ? 'plain' : (lane.key === unknownPod ? 'warn' : 'mark'));
		out.push(line(`lane:${lane.key}`, seg(pad(label, labelWidth), isFailed ? 'bad' : 'plain'), seg(' '), ...markSegments(marks, tone)));
	}

	return out.slice(0, Math.max(0, maxLines));
}

/** Runs of marks in the lane's tone, gaps dim. */
function markSegments(marks: string, tone: Tone): Segment[] {
	const out: Segment[] = [];
	for (const char of marks) {
		const charTone = char === '·' ? 'dim' : tone;
		const last = out.at(-1);
		if (last && last.tone === charTone) {
			out[out.length - 1] = {text: last.text + char, tone: charTone};
		} else {
			out.push({text: char, tone: charTone});
		}
	}

	return out;
}

const axisWidth = 7;

/** The latency chart (asciichart) of the answered requests that fit, `lines` lines high including its title. */
export function latencyLines(model: ProbeViewModel, width: number, lines: number): ProbeLine[] {
	if (lines < 2) {
		return [];
	}

	const points = Math.max(1, width - axisWidth - 2);
	const latencies = (model.snapshot?.recent ?? []).filter(sample => sample.ok).map(sample => sample.latencyMs).slice(-points);
	const title = line('latency-title', seg(`latency (ms) of the last ${latencies.length} answer${latencies.length === 1 ? '' : 's'}`, 'dim'));
	if (latencies.length === 0) {
		return [title, line('latency-empty', seg('no answers yet', 'dim'))];
	}

	const max = Math.max(...latencies);
	const chart = plot(latencies, {
		height: lines - 2,
		min: 0,
		max: max > 0 ? max : 1,
		// Rounding can put the bottom row a hair below 0: no `-0.00` on the axis.
		format: value => formatMs(Math.max(0, value)).padStart(axisWidth - 1),
	});
	return [title, ...chart.split('\n').slice(0, lines - 1).map((text, row) => line(`latency:${row}`, seg(text, 'chart')))];
}

/** Endpoints probed directly: which answered, and no kube-proxy verdict (svctop did the spreading). */
function directLine(snapshot: ProbeRunSnapshot): ProbeLine {
	const answered = snapshot.series.filter(series => series.ok > 0).length;
	const silent = snapshot.series.filter(series => series.count > 0 && series.ok === 0).map(series => series.label);
	return line(
		'verdict',
		seg(`endpoints: ${answered}/${snapshot.series.length} answered`, silent.length > 0 ? 'warn' : 'plain'),
		seg(silent.length > 0 ? `, none from ${silent.join(', ')}` : '', 'warn'),
		seg(expectedFromText('direct', 'short'), 'dim'),
	);
}

/** The verdict under the shares: chi-square balance, or the affinity check under ClientIP. */
export function verdictLine(snapshot: ProbeRunSnapshot | undefined, unknown: readonly UnknownObjects[] = [], unjudged?: string): ProbeLine {
	if (unknown.length > 0 && !snapshot?.fit) {
		// Nothing is expected from what could not be read: say that, not "waiting" or "nothing expected for this target".
		return line('verdict', seg(unknown.map(entry => unknownText(entry)).join('; '), 'warn'), seg(': nothing expected', 'dim'));
	}

	if (!snapshot || snapshot.count === 0) {
		return line('verdict', seg('balance: waiting for answers', 'dim'));
	}

	if (snapshot.expectedFrom === 'direct') {
		return directLine(snapshot);
	}

	// Answers no pod was named for say nothing of balance or affinity: say that instead of a verdict.
	const unattributed = unattributedNote(snapshot);
	if (unattributed !== undefined) {
		return line('verdict', seg(unattributed, 'warn'));
	}

	const {affinity, fit} = snapshot;
	if (affinity.sessionAffinity === 'ClientIP') {
		// The verdict first, then which pod: a narrow terminal cuts the pod name, not the verdict.
		const head = `affinity ClientIP (${affinity.timeoutSeconds}s)`;
		const pods = affinity.pods.join(', ');
		if (affinity.verdict === null) {
			return line('verdict', seg(`${head}: ${affinity.same}/${affinity.pairs} follow-ups on ${pods || 'one pod'}; waiting for 5`, 'dim'));
		}

		const detail = affinity.verdict === 'holds'
			? `: ${affinity.same}/${affinity.pairs} follow-ups on ${pods}`
			: `: ${affinity.switches} switch${affinity.switches === 1 ? '' : 'es'} away from a ready pod`;
		return line('verdict', seg(`${head} → `), seg(affinity.verdict === 'holds' ? 'sticks' : 'does not stick', affinity.verdict === 'holds' ? 'good' : 'bad'), seg(detail));
	}

	if (!fit) {
		// Failures with a known cause say it, so a reset is read as the Service's state (the finding), not the network's.
		const [cause] = failureCauses(snapshot);
		return cause === undefined ? noFitLine(snapshot, unjudged) : line('verdict', seg('cause: ', 'dim'), seg(cause, 'warn'));
	}

	const from = expectedFromText(snapshot.expectedFrom, 'short');
	const verdict = fitVerdict(fit);
	if (verdict.kind === 'too-few') {
		// No statistic either: a p-value next to no verdict still reads as one.
		return line('verdict', seg(`balance: ${tooFewText(verdict.needed)}`), seg(from, 'dim'));
	}

	return line(
		'verdict',
		seg(`chi-square ${fit.statistic.toFixed(2)} (df ${fit.degrees}), p = ${fit.pValue.toPrecision(3)} → `),
		seg(fitViewWords[verdict.kind], ({fits: 'good', doubtful: 'warn', misfit: 'bad'} as const)[verdict.kind]),
		seg(from, 'dim'),
	);
}

/**
 * The balance line without a fit: nothing expected; one endpoint expected (nothing to balance: the
 * answers should all be its); or answers still to be attributed.
 */
function noFitLine(snapshot: ProbeRunSnapshot, unjudged: string | undefined): ProbeLine {
	const expected = Object.keys(snapshot.expected).filter(pod => snapshot.expected[pod]! > 0);
	if (expected.length === 0) {
		return line('verdict', seg(unjudged === undefined ? 'balance: nothing expected for this target' : `balance ${unjudged}`, 'dim'));
	}

	const answers = Object.entries(snapshot.byPod).filter(([pod]) => pod !== unknownPod).reduce((sum, [, count]) => sum + count, 0);
	if (expected.length > 1 || answers === 0) {
		return line('verdict', seg('balance: waiting for attributed answers', 'dim'));
	}

	const others = answers - (snapshot.byPod[expected[0]!] ?? 0);
	return others === 0
		? line('verdict', seg('balance: one endpoint, nothing to balance: '), seg(`all ${answers} answers from it`, 'good'))
		: line('verdict', seg('balance: one endpoint expected, '), seg(`${others} of ${answers} answers from others`, 'warn'));
}

/**
 * Where kube-proxy sent the timeouts conntrack traced (`timeout 12: kube-proxy sent 9 to web-2 on
 * node-b, 3 unknown`), nodes left out when that does not fit; undefined when none was traced.
 */
export function timeoutsSentLine(snapshot: ProbeRunSnapshot, width: number): ProbeLine | undefined {
	const destinations = timeoutDestinations(snapshot);
	if (destinations === undefined) {
		return undefined;
	}

	const head = `timeout ${destinations.timeouts}: `;
	const withNodes = timeoutDestinationsText(destinations);
	return line('timeouts-sent', seg(head, 'bad'), seg(head.length + withNodes.length <= width ? withNodes : timeoutDestinationsText(destinations, false)));
}

/** Per-pod counts, observed against expected share, where the timeouts were sent, then the verdict line. */
export function shareLines(model: ProbeViewModel, width: number, maxLines: number): ProbeLine[] {
	const snapshot = model.snapshot;
	const verdict = verdictLine(snapshot, model.unknown, model.unjudged);
	if (maxLines <= 1 || !snapshot) {
		return maxLines >= 1 ? [verdict] : [];
	}

	const sent = timeoutsSentLine(snapshot, width);
	if (sent !== undefined && maxLines === 2) {
		return [sent, verdict];
	}

	let pods = [...new Set([...Object.keys(snapshot.byPod), ...Object.keys(snapshot.expected)])].sort((a, b) => (a === unknownPod ? 1 : 0) - (b === unknownPod ? 1 : 0) || a.localeCompare(b));
	const rows = maxLines - 2 - (sent === undefined ? 0 : 1);
	let hidden = 0;
	if (pods.length > rows) {
		hidden = pods.length - rows;
		const kept = new Set([...pods].sort((a, b) => (snapshot.byPod[b] ?? 0) - (snapshot.byPod[a] ?? 0)).slice(0, rows));
		pods = pods.filter(pod => kept.has(pod));
	}

	const attributed = Object.values(snapshot.byPod).reduce((sum, count) => sum + count, 0);
	const numbers = 6 + 2 + 7 + 2 + 8;
	const nameSpace = Math.max(8, width - numbers - 2);
	const nodeOf = (pod: string) => snapshot.podNodes[pod] ?? model.endpointNodes?.[pod] ?? '';
	// Columns as wide as their widest entry; when short of room the pod gives way down to 16, then the node.
	const widestNode = Math.max(4, ...pods.map(pod => nodeOf(pod).length));
	const widestPod = Math.max(3, ...pods.map(pod => pod.length));
	const podWidth = Math.min(widestPod, Math.max(16, nameSpace - widestNode - 2));
	const nodeWidth = Math.max(0, Math.min(widestNode, nameSpace - podWidth - 2));
	const header = `${pad(hidden > 0 ? `POD (${hidden} more)` : 'POD', podWidth)}  ${pad('NODE', nodeWidth)}  ${'COUNT'.padStart(6)}  ${'SHARE'.padStart(7)}  ${'EXPECTED'.padStart(8)}`;
	const out: ProbeLine[] = [line('shares-header', seg(header, 'bold'))];
	// No answer named a pod: a pod's count is not observed, not 0.
	const notObserved = unattributedNote(snapshot) !== undefined;
	for (const pod of pods) {
		const count = snapshot.byPod[pod] ?? 0;
		const expected = snapshot.expected[pod];
		const observed = !notObserved || pod === unknownPod;
		const share = attributed === 0 || !observed ? null : count / attributed;
		// More than 10 points off its expected share is worth a colour.
		const tone: Tone = expected === undefined || share === null ? 'plain' : (Math.abs(share - expected) > 0.1 ? 'warn' : 'plain');
		out.push(line(
			`share:${pod}`,
			seg(`${pad(fitMiddle(pod, podWidth), podWidth)}  ${pad(fitEnd(nodeOf(pod), nodeWidth), nodeWidth)}  ${(observed ? String(count) : '-').padStart(6)}  `),
			seg(percent(share).padStart(7), tone),
			seg(`  ${(expected === undefined ? '-' : percent(expected)).padStart(8)}`),
		));
	}

	if (sent !== undefined) {
		out.push(sent);
	}

	out.push(verdict);
	return out;
}

const matrixVerdicts: Readonly<Record<string, {readonly text: string; readonly tone: Tone}>> = {
	ok: {text: 'reachable', tone: 'good'},
	expected: {text: 'expected drop', tone: 'dim'},
	broken: {text: 'failing', tone: 'bad'},
	partial: {text: 'partly failing', tone: 'warn'},
	unexpected: {text: 'answers, should not', tone: 'warn'},
	mixed: {text: 'mixed: readiness changed', tone: 'good'},
	pending: {text: 'pending', tone: 'dim'},
};

/** The per-node NodePort matrix: reachable or failing, and `expected` where the policy says so. */
export function nodeMatrixLines(model: ProbeViewModel, width: number, maxLines: number): ProbeLine[] {
	const nodes = (model.snapshot?.series ?? []).filter(series => series.reachability);
	if (nodes.length === 0 || maxLines < 2) {
		return [];
	}

	const shown = nodes.slice(0, maxLines - 1);
	const hidden = nodes.length - shown.length;
	const nodeWidth = Math.min(Math.max(4, ...shown.map(series => (series.node ?? '').length)), Math.floor(width / 4));
	const targetWidth = Math.min(Math.max(6, ...shown.map(series => series.label.length)), Math.floor(width / 4));
	const okWidth = Math.max(2, ...shown.map(series => `${series.ok}/${series.count}`.length));
	const verdictOf = (verdict: string) => matrixVerdicts[verdict] ?? {text: verdict, tone: 'plain' as Tone};
	const verdictWidth = Math.max(6, ...shown.map(series => verdictOf(series.reachability!.verdict).text.length));
	const header = `${pad(hidden > 0 ? `NODE (+${hidden})` : 'NODE', nodeWidth)}  ${pad('NODEPORT', targetWidth)}  ${'OK'.padStart(okWidth)}  ${pad('RESULT', verdictWidth)}  WHY`;
	const out: ProbeLine[] = [line('matrix-header', seg(header, 'bold'))];
	for (const series of shown) {
		const reach = series.reachability!;
		const verdict = verdictOf(reach.verdict);
		out.push(line(
			`node:${series.label}`,
			seg(`${pad(fitEnd(series.node ?? '', nodeWidth), nodeWidth)}  ${pad(fitEnd(series.label, targetWidth), targetWidth)}  ${`${series.ok}/${series.count}`.padStart(okWidth)}  `),
			seg(pad(verdict.text, verdictWidth), verdict.tone),
			seg(`  ${reach.reason.replace('externalTrafficPolicy ', '')}`, 'dim'),
		));
	}

	return out;
}

/** Lines for the latency chart: a title and at least 3 rows of plot, at most 8. */
const latencyMin = 4;
const latencyMax = 9;

/**
 * The whole view as lines, never more than `height` nor wider than `width`. Header, counts and
 * the key hint always show; lanes, shares and the NodePort matrix next; the latency chart takes
 * what is left and is the first thing dropped on a small terminal.
 */
export function probeViewLines(model: ProbeViewModel, width: number, height: number): ProbeLine[] {
	const top = [headerLine(model, width), statsLine(model.snapshot, width)];
	const hint = line('hint', seg(model.hint, 'dim'));
	let body: ProbeLine[];
	// Why the loop is held goes first, wrapped (its reason ends the line); what was recorded stays below it.
	const held = model.held === undefined || model.error ? [] : wrapWords(`held: ${model.held}`, width, '  ').slice(0, Math.max(0, height - 3)).map((text, index) => line(`held${index}`, seg(text, 'warn')));
	const available = Math.max(0, height - 3 - held.length);
	if (model.error) {
		// Wrapped, not cut: the reason is at the end of the line.
		body = wrapWords(`cannot probe: ${model.error}`, width, '  ').slice(0, Math.max(1, available)).map((text, index) => line(`error${index}`, seg(text, 'bad')));
	} else {
		type Section = {readonly build: (lines: number) => ProbeLine[]; readonly min: number; size: number};
		const sections: Section[] = [
			{build: lines => laneLines(model, width, lines), min: 2, size: 0},
			{build: lines => shareLines(model, width, lines), min: 1, size: 0},
			{build: lines => nodeMatrixLines(model, width, lines), min: 2, size: 0},
		];
		for (const section of sections) {
			section.size = section.build(Number.MAX_SAFE_INTEGER).length;
		}

		const total = () => sections.reduce((sum, section) => sum + section.size, 0);
		// Shrink the largest section a line at a time; drop the least important when all are at their minimum.
		while (total() > available) {
			const shrinkable = sections.filter(section => section.size > section.min);
			if (shrinkable.length > 0) {
				shrinkable.sort((a, b) => b.size - a.size)[0]!.size--;
				continue;
			}

			const last = sections.findLast(section => section.size > 0);
			if (!last) {
				break;
			}

			last.size = 0;
		}

		const [lanes, shares, matrix] = sections.map(section => (section.size > 0 ? section.build(section.size) : []));
		const spare = available - total();
		const latency = spare >= latencyMin ? latencyLines(model, width, Math.min(spare, latencyMax)) : [];
		body = [...lanes!, ...latency, ...shares!, ...matrix!];
	}

	const lines = [...top, ...held, ...body.slice(0, available), hint].slice(0, Math.max(0, height));
	return lines.map(entry => ({key: entry.key, segments: clipSegments(entry.segments, width)}));
}
