import {unknownResources} from '../../kube/connection-state.js';
import {Box, Text} from 'ink';
import {useMemo, useState} from 'react';
import {describeService} from '../../core/detail/describe-service.js';
import {serviceNameLabel} from '../../core/services/service-row.js';
import {type Command, commandKeys} from '../keys/commands.js';
import {commandFor} from '../keys/match.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';
import {type ResolveName, useNameResolution} from '../hooks/use-name-resolution.js';
import {useNow} from '../hooks/use-now.js';
import {scrollCommands, useScroll} from '../hooks/use-scroll.js';
import {useServiceEvents} from '../hooks/use-service-events.js';
import {useServicePods} from '../hooks/use-service-pods.js';
import type {ServiceScreenProps} from '../screens.js';
import {detailLines, type LineTone, readingEvents, readingPods} from './service-detail-lines.js';

export type ServiceDetailProps = ServiceScreenProps & {
	/** Resolves an ExternalName target on this machine. Default: not resolved. */
	readonly resolveName?: ResolveName;
	/** How often the selector's pods and the Service's events are fetched again while the view is open. Default: 5000 ms. */
	readonly podRefreshMs?: number;
};

const toneStyles: Readonly<Record<LineTone, {color?: string; bold?: boolean; dimColor?: boolean}>> = {
	heading: {bold: true},
	good: {color: 'green'},
	warn: {color: 'yellow'},
	bad: {color: 'red'},
	dim: {dimColor: true},
	plain: {},
};

const detailCommands: readonly Command[] = [...scrollCommands, 'nat', 'probe', 'refresh'];

const hint = [
	`${commandKeys('down').split(' ')[0]}/${commandKeys('up').split(' ')[0]} scroll`,
	`${commandKeys('nat')} nat`,
	`${commandKeys('probe')} probe`,
	`${commandKeys('refresh')} refresh`,
	`${commandKeys('back')} back`,
	`${commandKeys('help')} help`,
].join('  ');

/**
 * Issue 3's detail view: one Service's findings, what `kubectl describe svc` prints (Events included),
 * endpoints by node, topology, pods that are not endpoints.
 */
export default function ServiceDetail({
	serviceKey,
	snapshot,
	source,
	clock,
	clusterDomain,
	width,
	height,
	onOpen,
	resolveName,
	podRefreshMs = 5000,
}: ServiceDetailProps) {
	const slash = serviceKey.indexOf('/');
	const namespace = serviceKey.slice(0, slash);
	const name = serviceKey.slice(slash + 1);
	const [refreshes, setRefreshes] = useState(0);
	const now = useNow(clock, 5000);

	const service = useMemo(
		() => snapshot.services.find(item => item.metadata?.namespace === namespace && item.metadata?.name === name),
		[snapshot, namespace, name],
	);
	const slices = useMemo(
		() =>
			snapshot.endpointSlices.filter(
				slice => slice.metadata?.namespace === namespace && slice.metadata?.labels?.[serviceNameLabel] === name,
			),
		[snapshot, namespace, name],
	);
	// Pods are fetched again when this Service's endpoints move, not on every change in the cluster.
	const endpointsSignature = slices
		.map(slice =>
			(slice.endpoints ?? []).map(endpoint => `${endpoint.addresses[0]}:${endpoint.conditions?.ready ? 1 : 0}`).join(','),
		)
		.join(';');
	const selector = service?.spec?.selector && Object.keys(service.spec.selector).length > 0 ? service.spec.selector : undefined;
	const {pods, error: podsError} = useServicePods(
		source,
		namespace,
		selector,
		`${endpointsSignature}#${refreshes}`,
		podRefreshMs,
	);
	const externalName = service?.spec?.type === 'ExternalName' ? service.spec.externalName : undefined;
	const resolution = useNameResolution(resolveName, externalName, refreshes);
	const events = useServiceEvents(source, namespace, name, service?.metadata?.uid, String(refreshes), podRefreshMs);

	const lines = useMemo(() => {
		if (!service) {
			return [];
		}

		// Pods not read yet (or not readable) are unknown like a watched resource: no "Findings: none" without them.
		const unknown = [...unknownResources(snapshot.states), ...(selector && pods === undefined ? [{resource: 'pods' as const, reason: podsError ?? readingPods}] : [])];
		return detailLines(
			describeService({service, slices, nodes: snapshot.nodes, pods, clusterDomain, now, resolution, events: events ?? {ok: false, reason: readingEvents}, unknown}),
			width,
		);
	}, [service, slices, snapshot.nodes, snapshot.states, selector, pods, podsError, clusterDomain, now, resolution, events, width]);

	const bodyHeight = Math.max(1, height - 1);
	const {offset: shown, scroll} = useScroll(lines.length, bodyHeight);

	useKeypress(
		keypress => {
			const command = commandFor(keypress, detailCommands);
			if (scroll(command)) {
				return true;
			}

			switch (command) {
				case 'nat':
				case 'probe': {
					onOpen({screen: command, serviceKey});
					return true;
				}

				case 'refresh': {
					setRefreshes(previous => previous + 1);
					return true;
				}

				default: {
					return false;
				}
			}
		},
		{priority: KeyPriority.screen},
	);

	const footer = podsError ? `pods: ${podsError}` : hint;
	return (
		<Box flexDirection="column" height={height} flexShrink={0}>
			<Box flexDirection="column" height={bodyHeight} flexShrink={0}>
				{service ? (
					lines.slice(shown, shown + bodyHeight).map(line => (
						<Text key={line.key} wrap="truncate" {...toneStyles[line.tone]}>
							{line.text}
						</Text>
					))
				) : (
					<Text color="red" wrap="truncate">
						{`Service ${serviceKey} is gone (deleted, or not in the namespace shown).`}
					</Text>
				)}
			</Box>
			<Text wrap="truncate" dimColor={!podsError} color={podsError ? 'red' : undefined}>
				{footer}
			</Text>
		</Box>
	);
}
