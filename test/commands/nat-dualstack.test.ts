import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import process from 'node:process';
import {ensureBuilt, svctopBin} from '../helpers/built-cli.js';

/* The demo's dual-stack Service has an IPv6 ClusterIP; the demo's rules are iptables-save (IPv4) only. */
test('nat --demo --service default/svc-dualstack notes that its IPv6 rules were not read, and finds no "missing" rules', () => {
	ensureBuilt();
	const run = spawnSync(process.execPath, [svctopBin, 'nat', '--demo', '--service', 'default/svc-dualstack', '--json'], {encoding: 'utf8', timeout: 60_000});
	assert.equal(run.status, 0, run.stderr);
	const json = JSON.parse(run.stdout) as {services: Array<{service: string}>; problems: Array<{message: string}>; notes: string[]};
	assert.deepEqual(json.services.map(service => service.service), ['default/svc-dualstack']);
	assert.equal(json.notes.length, 1, json.notes.join('\n'));
	assert.match(json.notes[0]!, /^the API gives a Service an IPv6 ClusterIP \(default\/svc-dualstack\), but this dump has no IPv6 rules \(ip6tables-save \/ nft's ip6 table was not read\)/);
	assert.deepEqual(json.problems.filter(problem => /no rules|IPv6|fd00:/.test(problem.message)), []);
});
