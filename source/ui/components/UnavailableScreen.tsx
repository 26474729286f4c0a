import {Box, Text} from 'ink';

export type UnavailableScreenProps = {
	/** What is missing, e.g. `The NAT view`. */
	readonly what: string;
	readonly serviceKey: string;
	readonly height: number;
};

/** Stands in for a screen this build does not have yet. */
export default function UnavailableScreen({what, serviceKey, height}: UnavailableScreenProps) {
	return (
		<Box flexDirection="column" height={height} flexShrink={0}>
			<Text bold wrap="truncate">
				{serviceKey}
			</Text>
			<Text wrap="truncate">{what} is not available in this build.</Text>
			<Text dimColor wrap="truncate">
				Esc or q: back to the list
			</Text>
		</Box>
	);
}
