import {Box, Text} from 'ink';
import {type CommandLineVerb, commandLineVerbs} from '../keys/command-line.js';
import {type Command, type CommandSection, commandKeys, commands} from '../keys/commands.js';

export type HelpScreenProps = {
	/** Lines available. */
	readonly height: number;
	/** Columns available: a long description goes on over more lines under itself. */
	readonly width: number;
	/** First help line shown, for scrolling with the navigation keys. Default: 0. */
	readonly offset?: number;
};

const sections: readonly CommandSection[] = ['Navigation', 'Service list', 'Screens', 'General'];

type HelpLine = {readonly key: string; readonly text: string; readonly bold: boolean};

/** `head` then `text` cut at spaces into lines of at most `width` (a longer word stands alone), the later ones indented to `text`'s start. */
function wrapped(head: string, text: string, width: number): string[] {
	const indent = ' '.repeat(head.length);
	const lines: string[] = [];
	let line = head;
	for (const word of text.split(' ')) {
		if (line.length > indent.length && line.length + 1 + word.length > width) {
			lines.push(line);
			line = indent + word;
		} else {
			line = line.length === indent.length ? line + word : `${line} ${word}`;
		}
	}

	return [...lines, line];
}

/**
 * The help text, one entry per registered command, grouped by section, then the `:` commands;
 * entries longer than `width` go on over more lines, under their description.
 */
export function helpLines(width = Number.POSITIVE_INFINITY): HelpLine[] {
	const entries = Object.keys(commands) as Command[];
	const keyWidth = Math.max(...entries.map(command => commandKeys(command).length));
	const lines: HelpLine[] = [{key: 'title', text: 'Keys (Esc, q or ? closes this help; j/k scroll)', bold: true}];
	for (const section of sections) {
		lines.push({key: `section-${section}`, text: section, bold: true});
		for (const command of entries.filter(entry => commands[entry].section === section)) {
			for (const [index, part] of wrapped(`  ${commandKeys(command).padEnd(keyWidth)}  `, commands[command].description, width).entries()) {
				lines.push({key: `${command}-${index}`, text: part, bold: false});
			}
		}
	}

	lines.push({key: 'section-command-line', text: 'Command line (:)', bold: true});
	const verbs = Object.keys(commandLineVerbs) as CommandLineVerb[];
	const usages = verbs.map(verb => `:${commandLineVerbs[verb].names[0]!} ${commandLineVerbs[verb].argument}`.trimEnd());
	const usageWidth = Math.max(...usages.map(usage => usage.length));
	for (const [index, verb] of verbs.entries()) {
		lines.push({key: `verb-${verb}`, text: `  ${usages[index]!.padEnd(usageWidth)}  ${commandLineVerbs[verb].description}`, bold: false});
	}

	return lines;
}

/** The key help, generated from the command registry so it cannot drift from the bindings. */
export default function HelpScreen({height, width, offset = 0}: HelpScreenProps) {
	const lines = helpLines(width);
	const start = Math.max(0, Math.min(offset, lines.length - height));
	return (
		<Box flexDirection="column" height={height} flexShrink={0}>
			{lines.slice(start, start + height).map(line => (
				<Text key={line.key} bold={line.bold} wrap="truncate">
					{line.text}
				</Text>
			))}
		</Box>
	);
}
