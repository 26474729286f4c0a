import {type CommandLineVerb, commandLineVerbs} from './command-line.js';
import {bindingLabel, type Command, type CommandSection, commands} from './commands.js';

const sections: readonly CommandSection[] = ['Navigation', 'Service list', 'Screens', 'General'];

function cell(text: string): string {
	return text.replaceAll('|', String.raw`\|`);
}

/**
 * The README's key tables, generated from the registry as the help screen is: one row per command
 * in help order, then the `:` commands. A test keeps the README equal to this.
 */
export function keyTableMarkdown(): string {
	const entries = Object.keys(commands) as Command[];
	const rows = ['| key | does |', '| --- | --- |'];
	for (const section of sections) {
		for (const command of entries.filter(entry => commands[entry].section === section)) {
			const keys = commands[command].bindings.map(binding => `\`${bindingLabel(binding)}\``).join(' ');
			rows.push(`| ${cell(keys)} | ${cell(commands[command].description)} |`);
		}
	}

	rows.push('', '| command | does |', '| --- | --- |');
	for (const verb of Object.keys(commandLineVerbs) as CommandLineVerb[]) {
		const {names, argument, description} = commandLineVerbs[verb];
		const spellings = names.map(name => `\`:${`${name} ${argument}`.trimEnd()}\``).join(' ');
		rows.push(`| ${cell(spellings)} | ${cell(description)} |`);
	}

	return `${rows.join('\n')}\n`;
}
