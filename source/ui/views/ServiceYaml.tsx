import {Box, Text} from 'ink';
import {useMemo} from 'react';
import {serviceYaml} from '../../core/services/service-yaml.js';
import {commandKeys} from '../keys/commands.js';
import {commandFor} from '../keys/match.js';
import {KeyPriority, useKeypress} from '../keys/use-keypress.js';
import {scrollCommands, useScroll} from '../hooks/use-scroll.js';
import type {ServiceScreenProps} from '../screens.js';

const hint = `${commandKeys('down').split(' ')[0]}/${commandKeys('up').split(' ')[0]} scroll  ${commandKeys('back')} back  (read-only)`;

/** `y`: the Service's YAML as kubectl prints it, kept live by the watch. */
export default function ServiceYaml({serviceKey, snapshot, width, height}: ServiceScreenProps) {
	const service = useMemo(
		() => snapshot.services.find(item => `${item.metadata?.namespace}/${item.metadata?.name}` === serviceKey),
		[snapshot.services, serviceKey],
	);
	const lines = useMemo(() => (service ? serviceYaml(service).trimEnd().split('\n') : []), [service]);
	const bodyHeight = Math.max(1, height - 2);
	const {offset, scroll} = useScroll(lines.length, bodyHeight);

	useKeypress(keypress => scroll(commandFor(keypress, scrollCommands)), {priority: KeyPriority.screen});

	return (
		<Box flexDirection="column" height={height} width={width} flexShrink={0}>
			<Text bold wrap="truncate">{`YAML of ${serviceKey}`}</Text>
			<Box flexDirection="column" height={bodyHeight} flexShrink={0}>
				{service ? (
					lines.slice(offset, offset + bodyHeight).map((line, index) => (
						// The line's place in the document is its identity: the text of a line can repeat.
						<Text key={offset + index} wrap="truncate">
							{line === '' ? ' ' : line}
						</Text>
					))
				) : (
					<Text color="yellow" wrap="truncate">{`${serviceKey} is gone (deleted, or not in the namespace shown).`}</Text>
				)}
			</Box>
			<Text dimColor wrap="truncate">
				{lines.length > bodyHeight ? `[${offset + 1}-${Math.min(lines.length, offset + bodyHeight)}/${lines.length}]  ${hint}` : hint}
			</Text>
		</Box>
	);
}
