import {test} from 'node:test';
import assert from 'node:assert/strict';
import {startNatRules} from '../../../source/node/probe/nat-rules.js';

const dump = '-A -t 10.200.1.60:9000 -s rr\n-a -t 10.200.1.60:9000 -r 10.10.1.3:8080 -m -w 1\n';

test('nat rules: decoded on read, throttled, a failed read keeps the last table quietly', async () => {
	let clock = 0;
	let reads = 0;
	let fail = false;
	let changes = 0;
	const rules = startNatRules(async () => {
		reads++;
		if (fail) {
			throw new Error('iptables-save: permission denied');
		}

		return dump;
	}, {minIntervalMs: 5000, now: () => clock, onChange: () => changes++});
	try {
		await rules.refresh();
		assert.equal(rules.current()?.services.length, 1);
		assert.deepEqual([reads, changes], [1, 1]);
		clock = 1000;
		await rules.refresh();
		assert.equal(reads, 1, 'a read younger than minIntervalMs is not repeated');
		clock = 6000;
		fail = true;
		await rules.refresh();
		assert.equal(reads, 2);
		assert.equal(rules.current()?.services.length, 1, 'the failed read kept the table');
		assert.equal(changes, 1);
	} finally {
		rules.close();
	}
});

test('nat rules: a dump without Service flows (no kube-proxy here) gives no table', async () => {
	const rules = startNatRules(async () => '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n');
	await rules.refresh();
	assert.equal(rules.current(), undefined);
	rules.close();
});
