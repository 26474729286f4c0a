import {test} from 'node:test';
import assert from 'node:assert/strict';
import {ConntrackSpans, scanConntrackLine} from '../../../source/core/probe/conntrack-line.js';
import {FlowKeys, ipv4NumberAt, type FlowProtocol} from '../../../source/core/probe/flow-key.js';

/** The key of a conntrack line, as the event reader makes it. */
function lineKey(keys: FlowKeys, line: string) {
	const bytes = Buffer.from(line, 'latin1');
	const spans = new ConntrackSpans();
	assert.ok(scanConntrackLine(bytes, 0, bytes.length, spans), line);
	return keys.ofLine(bytes, spans);
}

function newEvent(protocol: FlowProtocol | 'sctp', source: string, destination: string, sourcePort: number, destinationPort: number): string {
	const number = {tcp: 6, udp: 17, sctp: 132}[protocol];
	return `    [NEW] ${protocol}      ${number} 120 SYN_SENT src=${source} dst=${destination} sport=${sourcePort} dport=${destinationPort} [UNREPLIED] src=10.244.1.3 dst=${source} sport=8080 dport=${sourcePort}`;
}

test('IPv4 addresses as numbers; anything else is not one', () => {
	const cases: Array<[string, number]> = [
		['10.96.0.10', (((10 * 256) + 96) * 65_536) + 10],
		['0.0.0.0', 0],
		['255.255.255.255', 4_294_967_295],
		['256.1.1.1', -1],
		['1.2.3', -1],
		['1.2.3.4.5', -1],
		['1..2.3', -1],
		['fd00::a', -1],
		['', -1],
	];
	for (const [text, expected] of cases) {
		assert.equal(ipv4NumberAt(Buffer.from(text, 'latin1'), 0, text.length), expected, text);
	}
});

test('a probe and its conntrack line get the same key; another port, protocol, destination or source address does not', () => {
	const keys = new FlowKeys();
	const probe = keys.ofProbe('tcp', {address: '10.244.1.1', port: 41_000}, '10.96.0.10', 80);
	assert.equal(typeof probe, 'number');
	assert.equal(lineKey(keys, newEvent('tcp', '10.244.1.1', '10.96.0.10', 41_000, 80)), probe);
	assert.notEqual(lineKey(keys, newEvent('tcp', '10.244.1.1', '10.96.0.10', 41_001, 80)), probe);
	assert.notEqual(lineKey(keys, newEvent('tcp', '10.244.1.1', '10.96.0.10', 41_000, 81)), probe);
	assert.notEqual(lineKey(keys, newEvent('udp', '10.244.1.1', '10.96.0.10', 41_000, 80)), probe);
	assert.notEqual(lineKey(keys, newEvent('tcp', '10.244.1.1', '10.96.0.11', 41_000, 80)), probe);
	// A pod's flow to the same Service from the same port number: its own source address.
	assert.notEqual(lineKey(keys, newEvent('tcp', '10.244.2.7', '10.96.0.10', 41_000, 80)), probe);
	// The highest address and ports still fit a double exactly.
	assert.equal(lineKey(keys, newEvent('udp', '10.244.1.1', '255.255.255.255', 65_535, 65_535)), keys.ofProbe('udp', {address: '10.244.1.1', port: 65_535}, '255.255.255.255', 65_535));
	assert.notEqual(keys.ofProbe('udp', {address: '10.244.1.1', port: 65_534}, '255.255.255.255', 65_535), keys.ofProbe('udp', {address: '10.244.1.1', port: 65_535}, '255.255.255.255', 65_535));
});

test('an IPv6 destination is keyed by text, the same from both sides', () => {
	const keys = new FlowKeys();
	const probe = keys.ofProbe('tcp', {address: 'fd00::1', port: 41_000}, 'fd00::a', 80);
	assert.equal(probe, 'tcp fd00::1:41000 fd00::a 80');
	assert.equal(lineKey(keys, newEvent('tcp', 'fd00::1', 'fd00::a', 41_000, 80)), probe);
});

test('beyond 32 protocol, port and source address flows the rest are keyed by text, and probes and lines still agree', () => {
	const keys = new FlowKeys();
	const ports = Array.from({length: 40}, (_, i) => 30_000 + i);
	// Lines first: the pairs are numbered in the order the event stream shows them.
	const fromLines = ports.map(port => lineKey(keys, newEvent('tcp', '10.0.0.5', '10.0.0.9', 50_000, port)));
	const fromProbes = ports.map(port => keys.ofProbe('tcp', {address: '10.0.0.5', port: 50_000}, '10.0.0.9', port));
	assert.deepEqual(fromProbes, fromLines);
	assert.equal(fromLines.filter(key => typeof key === 'number').length, 32);
	assert.equal(fromLines[39], 'tcp 10.0.0.5:50000 10.0.0.9 30039');
	assert.equal(new Set(fromLines).size, 40);
});

test('a protocol no probe uses has no key', () => {
	assert.equal(lineKey(new FlowKeys(), newEvent('sctp', '10.244.1.1', '10.96.0.10', 41_000, 80)), undefined);
});
