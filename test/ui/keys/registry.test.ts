import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {Key} from 'ink';
import {helpLines} from '../../../source/ui/components/HelpScreen.js';
import {bindingLabel, type Command, commands} from '../../../source/ui/keys/commands.js';
import {commandFor, matches, toKeypress} from '../../../source/ui/keys/match.js';

const noKey: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
};

const allCommands = Object.keys(commands) as Command[];

function escape(text: string): string {
	return text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('key registry', () => {
	test('no key combination is bound to two commands', () => {
		const seen = new Map<string, Command>();
		for (const command of allCommands) {
			for (const binding of commands[command].bindings) {
				const label = bindingLabel(binding);
				assert.equal(seen.get(label), undefined, `${label} is bound to ${seen.get(label)} and ${command}`);
				seen.set(label, command);
			}
		}
	});

	test('the keys issue 2 asks for are bound', () => {
		const cases: Array<[Command, string, Partial<Key>]> = [
			['down', 'j', {}],
			['down', '', {downArrow: true}],
			['up', 'k', {}],
			['up', '', {upArrow: true}],
			['pageDown', '', {pageDown: true}],
			['pageUp', '', {pageUp: true}],
			['top', 'g', {}],
			['bottom', 'G', {}],
			['filter', '/', {}],
			['back', '', {escape: true}],
			['namespace', 'n', {}],
			['commandLine', ':', {}],
			['open', '', {return: true}],
			['nat', 't', {}],
			['probe', 'p', {}],
			['help', '?', {}],
			['quit', 'q', {}],
			['forceQuit', 'c', {ctrl: true}],
		];
		for (const [command, input, key] of cases) {
			const keypress = toKeypress(input, {...noKey, ...key});
			assert.equal(commandFor(keypress, allCommands), command, `${JSON.stringify({input, key})}`);
		}
	});

	test('Ctrl changes the key: Ctrl-G is not g, Ctrl-C is not c', () => {
		assert.equal(matches('top', toKeypress('g', {...noKey, ctrl: true})), false);
		assert.equal(matches('forceQuit', toKeypress('c', noKey)), false);
		assert.equal(matches('forceQuit', toKeypress('c', {...noKey, ctrl: true})), true);
	});

	test('named keys type nothing into a prompt; letters type themselves', () => {
		assert.equal(toKeypress('', {...noKey, upArrow: true}).text, '');
		assert.equal(toKeypress('x', noKey).text, 'x');
		assert.equal(toKeypress('u', {...noKey, ctrl: true}).text, '');
	});

	test('the help screen lists every command with its keys and description', () => {
		const text = helpLines()
			.map(line => line.text)
			.join('\n');
		for (const command of allCommands) {
			const keys = commands[command].bindings.map(binding => bindingLabel(binding)).join(' ');
			assert.match(text, new RegExp(`^  ${escape(keys)} +${escape(commands[command].description)}$`, 'm'));
		}
	});

	test('at 80 columns a long description goes on under itself, every word kept, no line wider', () => {
		const lines = helpLines(80).map(line => line.text);
		assert.ok(lines.every(line => line.length <= 80), lines.find(line => line.length > 80));
		const text = lines.join('\n').replaceAll(/\n {2,}(?=\S)/g, match => (match.length > 12 ? ' ' : match));
		for (const command of allCommands) {
			assert.ok(text.includes(commands[command].description), commands[command].description);
		}

		const probeVia = lines.findIndex(line => line.includes('Probe view: next target'));
		assert.match(lines[probeVia + 1]!, /^ {10,}\S/, 'the rest of v\'s description, indented under it');
	});
});
