import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';
import {trackingNamespace} from '../../helpers/netns.js';

/*
 * The real kernel: a conntrack reader that falls behind (its `conntrack -E` stopped) keeps its
 * probes waiting for their events, which are queued in its socket, instead of asking a listing (a
 * process) for each; once it reads on, the event names the endpoint.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const lab = trackingNamespace('svrb', {before, after}, ['ip', 'iptables', 'conntrack']);

test('a reader behind (events queued in its socket): the probe waits for its event, no listing is asked', {skip: lab.skip ? `skipped: ${lab.skip}` : false}, t => {
	if (lab.setupError()) {
		t.skip(`namespace setup failed here: ${lab.setupError()}`);
		return;
	}

	const run = spawnSync('ip', ['netns', 'exec', lab.name, process.execPath, '--import', 'tsx', 'test/node/probe/fixtures/reader-behind.ts'], {cwd: repo, encoding: 'utf8', timeout: 30_000});
	assert.equal(run.stderr, '', 'no errors on stderr');
	const result = JSON.parse(run.stdout) as {port: number; queued: boolean; repliedWhileStopped: boolean; listingsWhileStopped: number; reply: unknown; afterResumeMs: number | null; listings: number};
	assert.equal(result.queued, true, 'the flow\'s event is queued in the stopped reader\'s socket');
	assert.equal(result.repliedWhileStopped, false, 'still waiting while the reader is stopped');
	assert.equal(result.listingsWhileStopped, 0, `no listing while the reader is behind: ${run.stdout}`);
	// Once it reads on, the event names the endpoint (a sweep that falls between conntrack taking the event
	// and writing it may ask one listing, which names the same endpoint).
	assert.deepEqual(result.reply, {ip: '127.0.0.1', port: result.port}, run.stdout);
});
