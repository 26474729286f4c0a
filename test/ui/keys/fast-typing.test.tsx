import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import Dashboard from '../../../source/ui/Dashboard.js';
import {seedNow, seededSource} from '../fake-source.js';
import {type Rendered, renderAt, settle} from '../render-at.js';

const rendered: Rendered[] = [];

afterEach(() => {
	for (const view of rendered.splice(0)) {
		view.unmount();
	}
});

async function until(view: Rendered, pattern: RegExp): Promise<void> {
	for (let round = 0; round < 50 && !pattern.test(view.frame()); round++) {
		await settle();
	}

	assert.match(view.frame(), pattern);
}

test('keys that arrive in one chunk (a slow SSH link) still go to the prompt they open', async () => {
	const source = seededSource();
	const view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 120, rows: 20});
	rendered.push(view);
	await settle();
	// Without the replay, `p` of "np-svc" would open the probe view and `n` the namespace prompt.
	await view.press('/np-svc\r');
	await until(view, /filter "np-svc"/);
	assert.match(view.frame(), /^1\/\d+ services/m);
	await view.press('\r');
	await until(view, /^default\/np-svc {2}NodePort/m);
});

test('a chunk of navigation keys moves one row per key', async () => {
	const source = seededSource();
	const view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 120, rows: 20});
	rendered.push(view);
	await settle();
	assert.match(view.frame(), /^> +default +external-db /m);
	await view.press('jjj');
	// Three rows down from the first: external-db, kubernetes, lb-svc, np-svc.
	await until(view, /^> +default +np-svc /m);
});

test('arrow keys and Enter that arrive together open the row the cursor ends on, not the one it started from', async () => {
	const source = seededSource();
	const view = renderAt(<Dashboard source={source} clock={() => seedNow} />, {columns: 120, rows: 20});
	rendered.push(view);
	await settle();
	assert.match(view.frame(), /^> +default +external-db /m);
	// Ink hands these to the input handler as three keys in one turn of the event loop.
	await view.press('\u001B[B\u001B[B\r');
	// Two rows down from the first: external-db, kubernetes, lb-svc.
	await until(view, /^default\/lb-svc {2}/m);
});
