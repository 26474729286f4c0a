import {Box, Text} from 'ink';
import {probeViewLines, type ProbeViewModel, type Tone} from './probe-lines.js';

export type ProbeViewBodyProps = {
	/** What to show: the run's snapshot, settings and state. */
	readonly model: ProbeViewModel;
	/** Columns available. */
	readonly width: number;
	/** Lines available; the body never draws more. */
	readonly height: number;
};

const toneStyles: Readonly<Record<Tone, {color?: string; bold?: boolean; dimColor?: boolean}>> = {
	plain: {},
	bold: {bold: true},
	dim: {dimColor: true},
	good: {color: 'green'},
	warn: {color: 'yellow'},
	bad: {color: 'red'},
	mark: {color: 'cyan'},
	chart: {color: 'cyan'},
};

/** The probe view drawn from a model: a pure function of the snapshot and the size. */
export default function ProbeViewBody({model, width, height}: ProbeViewBodyProps) {
	const lines = probeViewLines(model, width, height);
	return (
		<Box flexDirection="column" width={width} height={height} flexShrink={0} overflow="hidden">
			{lines.map(entry => (
				<Text key={entry.key} wrap="truncate">
					{entry.segments.map((segment, i) => (
						// Segments are positions within one line; nothing reorders them.
						// eslint-disable-next-line react/no-array-index-key
						<Text key={i} {...toneStyles[segment.tone]}>
							{segment.text}
						</Text>
					))}
					{entry.segments.length === 0 ? ' ' : ''}
				</Text>
			))}
		</Box>
	);
}
