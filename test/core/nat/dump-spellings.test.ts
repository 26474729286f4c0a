import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import process from 'node:process';
import {renderNatText} from '../../../source/core/nat/render.js';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {kernelUnavailable} from '../../fixtures/nat/kernel/read-back.js';
import {iptablesV128} from '../../fixtures/nat/kernel/sources.js';
import {ipv6Input} from '../../fixtures/nat/cluster.js';
import {generateIptablesSave} from '../../../source/builtin-cluster/generate/iptables.js';

/*
 * Spellings of the same rules that people paste: a file saved by an editor with a byte-order mark,
 * and `iptables-save -c`, which puts `[packets:bytes]` before every rule. Both must decode to
 * exactly what the plain dump gives (a lost table would hide Services; see the filter REJECT rules).
 */

const fixture = readFileSync(join(import.meta.dirname, '../../fixtures/nat/kernel/iptables-1.28-save.txt'), 'utf8');

test('a byte-order mark before the first line changes nothing, even when the dump starts with its table line', () => {
	const plain = decodeNatDump(fixture);
	assert.deepEqual(decodeNatDump(`\uFEFF${fixture}`), plain);
	const fromTable = fixture.slice(fixture.indexOf('*'));
	assert.ok(fromTable.startsWith('*filter') || fromTable.startsWith('*nat'), fromTable.slice(0, 20));
	const withMark = decodeNatDump(`\uFEFF${fromTable}`);
	assert.deepEqual(withMark.problems, decodeNatDump(fromTable).problems);
	assert.deepEqual(withMark, decodeNatDump(fromTable));
});

test('iptables-save -c read back from the kernel decodes exactly as iptables-save', t => {
	const unavailable = kernelUnavailable();
	if (unavailable) {
		t.skip(unavailable);
		return;
	}

	const namespace = `svtcount${process.pid}`;
	const run = (args: string[], input?: string) =>
		execFileSync('ip', ['netns', 'exec', namespace, ...args], {input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024});
	execFileSync('ip', ['netns', 'add', namespace]);
	try {
		run(['iptables-restore'], iptablesV128());
		const counted = run(['iptables-save', '-c']);
		const plain = run(['iptables-save']);
		assert.match(counted, /^\[\d+:\d+\] -A KUBE-SERVICES /m, 'the kernel wrote counters before the rules');
		const decoded = decodeNatDump(counted);
		assert.deepEqual(decoded.problems, []);
		assert.ok(decoded.services.length > 0);
		assert.deepEqual(decoded, decodeNatDump(plain));
	} finally {
		spawnSync('ip', ['netns', 'del', namespace], {stdio: 'ignore'});
	}
});

test('iptables-save and ip6tables-save joined: each dump is read on its own, the Services of both kept, in either order', () => {
	const ipv6Save = generateIptablesSave(ipv6Input, {family: 'IPv6', form: 'save'});
	const names = (table: ReturnType<typeof decodeNatDump>) => table.services.map(flow => `${flow.service}:${flow.port}/${flow.protocol} ${flow.entries[0]?.ip ?? ''}`).sort();
	const v4 = decodeNatDump(fixture);
	const v6 = decodeNatDump(ipv6Save);
	assert.deepEqual(names(v6), ['six/web:http/TCP fd00:10:96::7']);
	for (const joined of [`${fixture}${ipv6Save}`, `${ipv6Save}${fixture}`]) {
		const both = decodeNatDump(joined);
		assert.deepEqual(both.problems, []);
		assert.deepEqual(names(both), [...names(v4), ...names(v6)].sort());
		assert.equal(both.masqueradeMark, v4.masqueradeMark);
		// Two flows of one name would read alike: the IPv6 one says its family, the IPv4 ones stay as they were.
		const text = renderNatText(both);
		assert.match(text, /^six\/web:http {2}TCP {2}IPv6$/m);
		assert.equal(text.match(/ {2}IPv6$/gm)?.length, 1);
	}

	// One dump's chains declared again within it still start over (iptables-restore's flush), as before.
	const redeclared = decodeNatDump(fixture.replace(/^COMMIT\n(?![\s\S]*^COMMIT$)/m, ':KUBE-SERVICES - [0:0]\nCOMMIT\n'));
	assert.ok(redeclared.services.length < v4.services.length);
});

test('`iptables -S` and ipvsadm have no end marker: a note says a cut at a line\'s end would read as whole, naming the last line; iptables-save has none', () => {
	const fixtures = join(import.meta.dirname, '../../fixtures/nat');
	const listing = readFileSync(join(fixtures, 'kernel/iptables-1.28-S-nat.txt'), 'utf8');
	const cut = listing.split('\n').slice(0, 86).join('\n');
	for (const [text, format, last] of [[listing, '`iptables -S`', listing.trimEnd().split('\n').length], [cut, '`iptables -S`', 86]] as const) {
		const notes = decodeNatDump(text).notes ?? [];
		assert.equal(notes.length, 1);
		assert.ok(notes[0]!.startsWith(`${format} output has no end marker: cut at the end of a line (here the last is line ${last}), it would read as whole`), notes[0]);
	}

	const ipvs = readFileSync(join(fixtures, 'ipvsadm-Ln.txt'), 'utf8');
	assert.match(decodeNatDump(ipvs).notes?.[0] ?? '', new RegExp(`^ipvsadm output has no end marker: cut at the end of a line \\(here the last is line ${ipvs.trimEnd().split('\n').length}\\)`));
	assert.equal(decodeNatDump(fixture).notes, undefined, 'iptables-save ends each table with COMMIT');
});
