import {Box} from 'ink';
import {useEffect, useMemo, useState} from 'react';
import {nextVia, type Via} from '../../core/probe/service-targets.js';
import type {AddressResolver} from '../../node/probe/engine.js';
import {type Command, commandKeys} from '../keys/commands.js';
import {commandFor} from '../keys/match.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';
import type {ServiceScreen, ServiceScreenProps} from '../screens.js';
import {podVantage, type ProbeVantages} from '../../node/access/probe-vantages.js';
import {VantagePicker} from '../components/VantagePicker.js';
import ProbeViewBody from './probe/ProbeViewBody.js';
import {type ProbeRunConfig, useProbeRun} from './probe/use-probe-run.js';

export type ProbeViewProps = ServiceScreenProps & {
	/** How probes are sent and read (address resolver, probabilities, timeout, ...). Default: `{}`. */
	readonly config?: ProbeRunConfig;
	/** The target first probed. Default: `clusterip`. */
	readonly initialVia?: Via;
	/** The interval first used. Default: 1000 ms. */
	readonly initialIntervalMs?: number;
	/** Nodes to probe from besides this machine (debug pods, after a confirmation); see probe-vantages.ts. */
	readonly vantages?: ProbeVantages;
};

/** The intervals `+` and `-` step through, longest first. */
export const intervalSteps: readonly number[] = [1000, 500, 200, 100, 50, 10];

const probeCommands: readonly Command[] = ['probeRun', 'probePause', 'probeClear', 'probeVia', 'probePort', 'probeSlower', 'probeFaster', 'natVantage'];

function hintFor(running: boolean, paused: boolean, ports: number, width: number): string {
	const hints = [
		`${commandKeys('probeRun')} ${running ? 'stop' : 'start'}`,
		`${commandKeys('probePause')} ${paused ? 'unfreeze' : 'freeze'}`,
		`${commandKeys('probeClear')} clear`,
		`${commandKeys('probeVia')} target`,
		...(ports > 1 ? [`${commandKeys('probePort')} port`] : []),
		`${commandKeys('probeSlower')}/${commandKeys('probeFaster')} interval`,
		`${commandKeys('natVantage')} from`,
		`${commandKeys('back')} back`,
		`${commandKeys('help')} help`,
	];
	// Too narrow for every hint: the rarer ones give way, `? help` (which lists them all) stays.
	for (const rare of [`${commandKeys('back')} back`, `${commandKeys('probeClear')} clear`]) {
		if (hints.join('  ').length <= width) {
			break;
		}

		hints.splice(hints.indexOf(rare), 1);
	}

	return hints.join('  ');
}

/** The next interval step from `current` (a value off the steps snaps to the nearest one). */
export function stepInterval(current: number, direction: 1 | -1): number {
	let nearest = 0;
	for (const [i, step] of intervalSteps.entries()) {
		if (Math.abs(step - current) < Math.abs(intervalSteps[nearest]! - current)) {
			nearest = i;
		}
	}

	// Steps are longest first: a longer interval is a step to the left.
	const next = Math.max(0, Math.min(intervalSteps.length - 1, nearest - direction));
	return intervalSteps[next]!;
}

/**
 * Issue 5's probe view: probes the Service live and shows which pod answered each request (lanes),
 * latency, shares against expectation with a verdict, the NodePort matrix and the attribution in use.
 */
export default function ProbeView({
	serviceKey,
	snapshot,
	clusterDomain,
	width,
	height,
	config = {},
	initialVia = 'clusterip',
	initialIntervalMs = 1000,
	vantages,
}: ProbeViewProps) {
	const [via, setVia] = useState<Via>(initialVia);
	const [port, setPort] = useState<string | undefined>(undefined);
	const [intervalMs, setIntervalMs] = useState(initialIntervalMs);
	const [running, setRunning] = useState(true);
	const [paused, setPaused] = useState(false);
	const [generation, setGeneration] = useState(0);
	// Vantage point: undefined = this machine, else a node probed from through a debug pod (picked and confirmed).
	const [vantage, setVantage] = useState<string | undefined>(undefined);
	const [picking, setPicking] = useState(false);
	// The running pods of the Service's namespace, listed (through the vantages) each time the picker opens.
	const [pods, setPods] = useState<readonly string[]>([]);
	const namespace = serviceKey.split('/')[0] ?? '';
	useEffect(() => {
		if (!picking || vantages?.pods === undefined) {
			return;
		}

		let live = true;
		vantages.pods(namespace).then(
			list => {
				if (live) {
					setPods(list);
				}
			},
			(error: unknown) => {
				if (live) {
					setNotice(`cannot list the pods of ${namespace}: ${error instanceof Error ? error.message : String(error)}`);
				}
			},
		);
		return () => {
			live = false;
		};
	}, [picking, vantages, namespace]);
	const [notice, setNotice] = useState<string | undefined>(undefined);
	const runConfig = useMemo<ProbeRunConfig>(() => {
		if (vantage === undefined || vantages === undefined) {
			return config;
		}

		if (podVantage(vantage) !== undefined) {
			// From a pod: no rules are read (its node's are not this machine's either), attribution by the answer.
			return {...config, probabilities: undefined, remote: vantages.proberFor(vantage), remoteNode: undefined, natRules: undefined, natNode: undefined};
		}

		// From a node: its own rules give the expected shares; this machine's do not apply there.
		return {...config, probabilities: undefined, remote: vantages.proberFor(vantage), remoteNode: vantage, natRules: vantages.rulesFor(vantage), natNode: vantage};
	}, [config, vantage, vantages]);
	const run = useProbeRun({serviceKey, cluster: snapshot, clusterDomain, via, port, intervalMs, running, paused, generation, config: runConfig});
	const nodes = useMemo(() => snapshot.nodes.map(node => node.metadata?.name ?? '').filter(Boolean), [snapshot.nodes]);
	const {ports, vias} = run.choices;

	useKeypress(
		keypress => {
			switch (commandFor(keypress, probeCommands)) {
				case 'probeRun': {
					// After a counted run finished, the key starts the next one.
					setRunning(previous => (run.state === 'finished' ? previous : !previous));
					if (run.state === 'finished') {
						setGeneration(previous => previous + 1);
					}

					return true;
				}

				case 'probePause': {
					setPaused(previous => !previous);
					return true;
				}

				case 'probeClear': {
					setGeneration(previous => previous + 1);
					return true;
				}

				case 'probeVia': {
					// Only the targets this Service port has: a ClusterIP Service offers no NodePort to fail on.
					setVia(nextVia(run.via, vias));
					return true;
				}

				case 'probePort': {
					if (ports.length > 1) {
						const current = port === undefined ? 0 : ports.indexOf(port);
						setPort(ports[(current + 1) % ports.length]);
					}

					return true;
				}

				case 'probeSlower': {
					setIntervalMs(previous => stepInterval(previous, 1));
					return true;
				}

				case 'probeFaster': {
					setIntervalMs(previous => stepInterval(previous, -1));
					return true;
				}

				case 'natVantage': {
					if (vantages === undefined || vantages.unavailable !== undefined) {
						setNotice(vantages?.unavailable ?? 'probing from a node is not available here');
					} else {
						setPicking(true);
					}

					return true;
				}

				default: {
					return false;
				}
			}
		},
		{priority: KeyPriority.screen, isActive: !picking},
	);

	if (picking && vantages) {
		return (
			<Box flexDirection="column" height={height} width={width} flexShrink={0}>
				<VantagePicker
					nodes={nodes}
					pods={pods}
					current={vantage}
					describe={vantages.describe}
					height={height}
					title={`Probe ${serviceKey} from`}
					confirmAction="create it and probe from there"
					onPick={node => {
						setPicking(false);
						setNotice(undefined);
						setVantage(node);
					}}
					onCancel={() => {
						setPicking(false);
					}}
				/>
			</Box>
		);
	}

	const from = runConfig.remote === undefined ? '' : ` from ${runConfig.remote.where}`;
	return (
		<ProbeViewBody
			width={width}
			height={height}
			model={{
				serviceKey,
				description: run.description === undefined ? undefined : `${run.description}${from}`,
				via: run.via,
				intervalMs,
				state: run.state,
				paused,
				error: run.error,
				snapshot: run.snapshot,
				endpointNodes: run.endpointNodes,
				hint: notice ?? hintFor(run.state === 'running', paused, ports.length, width),
			}}
		/>
	);
}

export type ProbeViewOptions = ProbeRunConfig & {
	/** The target first probed. Default: `clusterip`. */
	readonly initialVia?: Via;
	/** Default: 1000 ms. */
	readonly initialIntervalMs?: number;
	/** Nodes to probe from (the dashboard's debug-pod access). Default: this machine only. */
	readonly vantages?: ProbeVantages;
};

/**
 * The probe screen for the router, with what the dashboard knows at start: the demo plugs
 * `makeProbeView({resolveAddress: demo.resolveAddress})` so cluster addresses reach its loopback
 * listeners.
 */
export function makeProbeView(options: ProbeViewOptions & {readonly resolveAddress?: AddressResolver} = {}): ServiceScreen {
	const {initialVia, initialIntervalMs, vantages, ...config} = options;
	function PluggedProbeView(props: ServiceScreenProps) {
		return <ProbeView {...props} config={config} initialVia={initialVia} initialIntervalMs={initialIntervalMs} vantages={vantages} />;
	}

	return PluggedProbeView;
}
