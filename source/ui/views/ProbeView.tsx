import {Box} from 'ink';
import {useEffect, useMemo, useState} from 'react';
import {nextVia} from '../../core/probe/service-targets.js';
import type {ProbeSessionStore} from '../../node/probe/probe-session.js';
import {VantagePicker} from '../components/VantagePicker.js';
import {useOwnedStore} from '../hooks/use-owned-store.js';
import {useStore} from '../hooks/use-store.js';
import {type VantageChoice, useVantagePick} from '../hooks/use-vantage-pick.js';
import {type Command, commandKeys} from '../keys/commands.js';
import {commandFor} from '../keys/match.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';
import type {ServiceScreenProps} from '../screens.js';
import ProbeViewBody from './probe/ProbeViewBody.js';
import {fitHints} from '../format.js';
import {errorLine} from '../../util/error-line.js';

/** Where the probe view may probe from besides this machine, as far as the view sees it. */
export type ProbeViewVantages = VantageChoice & {
	/** The running pods of `namespace` that can be probed from, as `pod/NS/NAME`. */
	pods?(namespace: string): Promise<readonly string[]>;
};

export type ProbeViewProps = ServiceScreenProps & {
	/** Opens the probe session for this Service (probing at once); closed with the view. */
	readonly openSession: () => ProbeSessionStore;
	/** Nodes and pods to probe from besides this machine (debug pods, after a confirmation); see probe-vantages.ts. */
	readonly vantages?: ProbeViewVantages;
};

/** The intervals `+` and `-` step through, longest first. */
export const intervalSteps: readonly number[] = [1000, 500, 200, 100, 50, 10];

const probeCommands: readonly Command[] = ['probeRun', 'probePause', 'probeClear', 'probeVia', 'probePort', 'probeSlower', 'probeFaster'];

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
	return fitHints(hints, width, [`${commandKeys('back')} back`, `${commandKeys('probeClear')} clear`]);
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

/** The running pods of the Service's namespace, listed (through the vantages) each time the picker opens. */
function usePickablePods(vantages: ProbeViewVantages | undefined, namespace: string, picking: boolean): {readonly pods: readonly string[]; readonly error: string | undefined} {
	const [listed, setListed] = useState<{readonly pods: readonly string[]; readonly error: string | undefined}>({pods: [], error: undefined});
	useEffect(() => {
		if (!picking || vantages?.pods === undefined) {
			return;
		}

		let live = true;
		vantages.pods(namespace).then(
			pods => {
				if (live) {
					setListed({pods, error: undefined});
				}
			},
			(error: unknown) => {
				// Shown in the picker itself: no pod to pick is then unknown, not none.
				if (live) {
					setListed({pods: [], error: `pods of ${namespace} unknown: ${errorLine(error)}`});
				}
			},
		);
		return () => {
			live = false;
		};
	}, [picking, vantages, namespace]);
	return listed;
}

/**
 * Issue 5's probe view: shows the probe session of the Service live (which pod answered each
 * request, latency, shares against expectation with a verdict, the NodePort matrix) and sends
 * the keys to it as commands; the session, not the view, probes.
 */
export default function ProbeView({serviceKey, snapshot, width, height, openSession, vantages}: ProbeViewProps) {
	const session = useOwnedStore(openSession);
	const run = useStore(session);
	const pick = useVantagePick(vantages, 'probing from a node is not available here', vantage => {
		session.setVantage(vantage);
	});
	const {pods, error: podsUnknown} = usePickablePods(vantages, serviceKey.split('/')[0] ?? '', pick.picking);
	const nodesUnavailable = vantages?.nodesUnavailable;
	const nodes = useMemo(
		() => (nodesUnavailable === undefined ? snapshot.nodes.map(node => node.metadata?.name ?? '').filter(Boolean) : []),
		[snapshot.nodes, nodesUnavailable],
	);
	const {ports, vias} = run.choices;

	useKeypress(
		keypress => {
			const command = commandFor(keypress, probeCommands);
			// A notice answers one key: the next probe command replaces it.
			if (command !== undefined) {
				pick.setNotice(undefined);
			}

			switch (command) {
				case 'probeRun': {
					// After a counted run finished, the key starts the next one.
					if (run.state === 'running') {
						session.stop();
					} else {
						session.start();
					}

					return true;
				}

				case 'probePause': {
					session.freeze(!run.frozen);
					return true;
				}

				case 'probeClear': {
					session.clear();
					return true;
				}

				case 'probeVia': {
					// Only the targets this Service port has: a ClusterIP Service offers no NodePort to fail on.
					const next = run.via === undefined ? undefined : nextVia(run.via, vias);
					if (next !== undefined && next !== run.via) {
						session.retarget({via: next});
					} else {
						// Retargeting to the same target would only restart the counts.
						pick.setNotice(`${commandKeys('probeVia')}: this Service port has one target to probe, nothing to switch to`);
					}

					return true;
				}

				case 'probePort': {
					if (ports.length > 1) {
						const current = run.port === undefined ? 0 : ports.indexOf(run.port);
						session.retarget({port: ports[(current + 1) % ports.length]});
					} else {
						pick.setNotice(`${commandKeys('probePort')}: this Service has ${ports.length === 1 ? 'one port' : 'no port to probe'}, nothing to switch to`);
					}

					return true;
				}

				case 'probeSlower': {
					session.setInterval(stepInterval(run.intervalMs, 1));
					return true;
				}

				case 'probeFaster': {
					session.setInterval(stepInterval(run.intervalMs, -1));
					return true;
				}

				default: {
					return false;
				}
			}
		},
		{priority: KeyPriority.screen, isActive: !pick.picking},
	);

	if (pick.picking) {
		return (
			<Box flexDirection="column" height={height} width={width} flexShrink={0}>
				<VantagePicker
					nodes={nodes}
					pods={pods}
					current={run.vantage}
					height={height}
					title={`Probe ${serviceKey} from`}
					confirmAction="create it and probe from there"
					note={[nodesUnavailable, podsUnknown].filter(Boolean).join('; ') || undefined}
					{...pick.picker}
				/>
			</Box>
		);
	}

	const from = run.from === undefined ? '' : ` from ${run.from}`;
	return (
		<ProbeViewBody
			width={width}
			height={height}
			model={{
				serviceKey,
				description: run.description === undefined ? undefined : `${run.description}${from}`,
				briefDescription: run.plan?.briefDescription === undefined ? undefined : `${run.plan.briefDescription}${from}`,
				via: run.via ?? 'clusterip',
				intervalMs: run.intervalMs,
				state: run.state,
				paused: run.frozen,
				error: run.error,
				held: run.held,
				unjudged: run.plan?.unjudged,
				snapshot: run.stats,
				unknown: run.plan?.unknown,
				endpointNodes: run.endpointNodes,
				hint: pick.notice ?? hintFor(run.state === 'running', run.frozen, ports.length, width),
			}}
		/>
	);
}
