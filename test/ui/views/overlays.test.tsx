import assert from 'node:assert/strict';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {after, before, describe, test} from 'node:test';
import Dashboard from '../../../source/ui/Dashboard.js';
import {makeProbeView} from '../../../source/commands/dashboard-screens.js';
import {echoPods} from '../../core/probe/fixtures.js';
import {echoSource} from '../fake-source.js';
import {type Rendered, renderAt} from '../render-at.js';

async function waitFor(view: Rendered, pattern: RegExp, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!pattern.test(view.frame())) {
		assert.ok(Date.now() < deadline, `no ${pattern} in:\n${view.frame()}`);
		// eslint-disable-next-line no-await-in-loop
		await new Promise(resolve => {
			setTimeout(resolve, 10);
		});
	}
}

describe('overlays never unmount the screen beneath them', () => {
	let echo: http.Server;
	let echoPort: number;
	let release!: () => void;
	let gate: Promise<void>;
	let served = 0;
	before(async () => {
		echo = http.createServer(async (_request, response) => {
			const pod = echoPods[served++ % 3]!;
			await gate;
			response.end(`${pod[0]}\n`);
		});
		echoPort = await new Promise(resolve => echo.listen(0, '127.0.0.1', () => resolve((echo.address() as AddressInfo).port)));
	});
	after(async () => {
		echo.closeAllConnections();
		await new Promise(resolve => echo.close(resolve));
	});

	test('? twice on the probe screen: the run went on under the help, samples, interval and target kept', async () => {
		gate = new Promise(resolve => {
			release = resolve;
		});
		const source = echoSource();
		const probe = makeProbeView({
			resolveAddress: (ip, port) => (ip === '10.200.1.60' && port === 9000 ? {host: '127.0.0.1', port: echoPort} : undefined),
			count: 4,
			initialIntervalMs: 10,
			refreshMs: 20,
			conntrack: 'off',
		});
		const view = renderAt(
			<Dashboard source={source} clock={() => 0} screens={{probe}} initialRoute={{screen: 'probe', serviceKey: 'default/svc-nodeport'}} />,
			{columns: 100, rows: 30},
		);
		try {
			await waitFor(view, /● running/);
			await view.press('+');
			assert.match(view.frame(), /every 50ms/);
			await view.press('?');
			assert.match(view.frame(), /^Keys \(Esc, q or \? closes this help/m);
			assert.doesNotMatch(view.frame(), /PROBE/);
			// The probes answer while the help is up; the probe screen underneath counts them.
			release();
			await new Promise(resolve => {
				setTimeout(resolve, 400);
			});
			assert.match(view.frame(), /^Keys/m);
			await view.press('?');
			// On a loaded machine the last probes may still be landing; what matters is that they counted.
			await waitFor(view, /■ finished/);
			assert.match(view.frame(), /^4 probes, 4 ok/m);
			assert.match(view.frame(), /every 50ms/);
			assert.match(view.frame(), /clusterIP 10\.200\.1\.60:9000/);
		} finally {
			view.unmount();
		}
	});
});
