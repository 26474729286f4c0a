import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';
import {trackingNamespace} from '../../helpers/netns.js';

/*
 * The real kernel: a closed probe loop's entries fill this namespace's conntrack table (each stays in
 * TIME_WAIT for 120 s); the guard, reading the kernel's count, holds the loop near the (pretend) size
 * and nothing more goes out meanwhile.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const lab = trackingNamespace('svtg', {before, after});

test('a closed loop is held once the kernel counts its entries near the table\'s size; nothing goes out while held', {skip: lab.skip ? `skipped: ${lab.skip}` : false}, t => {
	if (lab.setupError()) {
		t.skip(`namespace setup failed here: ${lab.setupError()}`);
		return;
	}

	const run = spawnSync('ip', ['netns', 'exec', lab.name, process.execPath, '--import', 'tsx', 'test/node/probe/fixtures/table-guard.ts'], {cwd: repo, encoding: 'utf8', timeout: 60_000});
	assert.equal(run.stderr, '', 'no errors on stderr');
	const result = JSON.parse(run.stdout) as {error?: string; before: {count: number}; held: boolean; holds: Array<{reason?: string; samples: number; started: number; count?: number}>; atHold: number; afterWait: number; startedAfterWait: number; countAfterWait?: number; reason?: string; stopMs: number};
	assert.equal(result.error, undefined, run.stdout);
	assert.equal(result.before.count, 0, 'a fresh namespace starts with an empty table');
	assert.equal(result.held, true, run.stdout);
	const hold = result.holds[0]!;
	assert.ok(hold.reason !== undefined && hold.count !== undefined, run.stdout);
	// Held from 75% of the 2,000 entries on, counted by the kernel: every probe left one (TIME_WAIT).
	assert.ok(hold.count! >= 1500, `kernel count at the hold: ${hold.count}`);
	// Nothing else runs in the namespace: the entries are the probes' (one for each started).
	assert.ok(Math.abs(hold.started - hold.count!) <= 1, `probes started ${hold.started}, entries ${hold.count}`);
	assert.match(hold.reason!, /^this node's conntrack table is \d+% full \([\d,]+ of 2,000 entries\), [\d,]+ of them left by these probes within \d+ s; probing resumes below 60%$/);
	// None starts while held (the one in flight then, and the answer before it, are still recorded).
	assert.equal(result.startedAfterWait, hold.started, `${result.startedAfterWait - hold.started} probes went out while held`);
	assert.ok(result.afterWait - result.atHold <= 2, `${result.afterWait - result.atHold} probes recorded while held`);
	assert.ok(result.countAfterWait! >= hold.count!, 'the entries are still there (TIME_WAIT)');
	assert.ok(result.stopMs < 3000, `the stop took ${result.stopMs} ms while held`);
});
