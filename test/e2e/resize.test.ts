import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import {ensureBuilt, svctopBin} from '../helpers/built-cli.js';

/*
 * The dashboard in a real terminal emulator (tmux) while the window shrinks: every frame must stay
 * whole. A frame one column too wide wraps, scrolls the screen up a row, and since only changed
 * lines are redrawn the header stays lost (seen at 81 -> 80 columns).
 */

const tmux = (...args: string[]) => spawnSync('tmux', args, {encoding: 'utf8'});
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

test('the dashboard keeps its header through shrinking and growing the window', {skip: hasTmux ? false : 'tmux is not installed here'}, async () => {
	ensureBuilt();
	const session = `svctop-resize-${process.pid}`;
	const started = tmux('new-session', '-d', '-s', session, '-x', '81', '-y', '24', `${process.execPath} ${svctopBin} --demo`);
	assert.equal(started.status, 0, started.stderr);
	try {
		const screen = () => tmux('capture-pane', '-p', '-t', session).stdout.split('\n');
		for (let waited = 0; !screen()[0]!.startsWith('svctop  context') && waited < 15_000; waited += 200) {
			// eslint-disable-next-line no-await-in-loop
			await delay(200);
		}

		for (const width of [80, 79, 60, 100, 90, 81, 80]) {
			tmux('resize-window', '-t', session, '-x', String(width));
			// eslint-disable-next-line no-await-in-loop
			await delay(700);
			const lines = screen();
			assert.match(lines[0]!, /^svctop {2}context /, `at ${width} columns:\n${lines.join('\n')}`);
			assert.match(lines[1]!, /^services /, `at ${width} columns:\n${lines.join('\n')}`);
			assert.equal(lines.filter(line => /^ {3}NAME /.test(line)).length, 1, `one table header at ${width} columns:\n${lines.join('\n')}`);
		}
	} finally {
		tmux('kill-session', '-t', session);
	}
});
