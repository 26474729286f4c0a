import {test} from 'node:test';
import assert from 'node:assert/strict';
import {ConntrackSpans, parseConntrackLine, scanConntrackLine} from '../../../source/core/probe/conntrack-line.js';

test('NEW event with DNAT: reply source is the pod', () => {
	// As printed by `conntrack -E` (conntrack-tools 1.4.7) in a node namespace of the kernel test.
	const entry = parseConntrackLine('    [NEW] tcp      6 120 SYN_SENT src=10.244.1.1 dst=10.96.0.1 sport=54002 dport=80 [UNREPLIED] src=10.244.1.2 dst=10.244.1.1 sport=8080 dport=54002');
	assert.deepEqual(entry, {
		event: 'NEW',
		protocol: 'tcp',
		original: {src: '10.244.1.1', dst: '10.96.0.1', sport: 54_002, dport: 80},
		reply: {src: '10.244.1.2', dst: '10.244.1.1', sport: 8080, dport: 54_002},
	});
});

test('listing line (no event), with trailing flags', () => {
	const entry = parseConntrackLine('tcp      6 119 TIME_WAIT src=10.244.1.1 dst=10.96.0.1 sport=54002 dport=80 src=10.244.1.2 dst=10.244.1.1 sport=8080 dport=54002 [ASSURED] mark=0 use=1');
	assert.equal(entry?.event, undefined);
	assert.equal(entry?.reply.src, '10.244.1.2');
});

test('udp entry', () => {
	const entry = parseConntrackLine('udp      17 29 src=10.0.0.5 dst=10.96.0.10 sport=40000 dport=53 [UNREPLIED] src=10.244.2.7 dst=10.0.0.5 sport=53 dport=40000 mark=0 use=1');
	assert.deepEqual([entry?.protocol, entry?.reply.src, entry?.reply.sport], ['udp', '10.244.2.7', 53]);
});

test('summary and icmp lines are not entries', () => {
	assert.equal(parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.'), undefined);
	assert.equal(parseConntrackLine('icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=1 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=1 mark=0 use=1'), undefined);
	assert.equal(parseConntrackLine(''), undefined);
});

test('a line scanned in place inside a larger buffer: spans and ports of both directions', () => {
	const before = 'tcp      6 119 TIME_WAIT src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1\n';
	const line = '[NEW] tcp      6 120 SYN_SENT src=10.244.1.1 dst=10.96.0.10 sport=41000 dport=80 [UNREPLIED] src=10.244.1.3 dst=10.244.1.1 sport=8080 dport=41000';
	const bytes = Buffer.from(`${before}${line}\n`, 'latin1');
	const spans = new ConntrackSpans();
	assert.equal(scanConntrackLine(bytes, before.length, before.length + line.length, spans), true);
	const text = (start: number, end: number) => bytes.toString('latin1', start, end);
	const {tuples} = spans;
	assert.deepEqual(
		[text(spans.eventStart, spans.eventEnd), text(spans.protocolStart, spans.protocolEnd), text(tuples[0]!, tuples[1]!), text(tuples[2]!, tuples[3]!), tuples[4], tuples[5], text(tuples[6]!, tuples[7]!), text(tuples[8]!, tuples[9]!), tuples[10], tuples[11]],
		['NEW', 'tcp', '10.244.1.1', '10.96.0.10', 41_000, 80, '10.244.1.3', '10.244.1.1', 8080, 41_000],
	);
	// The line before it, scanned with the same spans: nothing of the first is left over.
	assert.equal(scanConntrackLine(bytes, 0, before.length - 1, spans), true);
	assert.deepEqual([spans.eventStart, tuples[4], tuples[10]], [-1, 1, 2]);
});

test('a port that is not a decimal number up to 65535, or a missing reply field: not an entry', () => {
	assert.equal(parseConntrackLine('tcp 6 1 src=1.1.1.1 dst=2.2.2.2 sport=65536 dport=80 src=2.2.2.2 dst=1.1.1.1 sport=80 dport=65536'), undefined);
	assert.equal(parseConntrackLine('tcp 6 1 src=1.1.1.1 dst=2.2.2.2 sport=0x10 dport=80 src=2.2.2.2 dst=1.1.1.1 sport=80 dport=16'), undefined);
	assert.equal(parseConntrackLine('tcp 6 1 src=1.1.1.1 dst=2.2.2.2 sport=5 dport=80 src=2.2.2.2 dst=1.1.1.1 sport=80'), undefined);
	assert.equal(parseConntrackLine('tcp 6 1 src=1.1.1.1 dst=2.2.2.2 sport=65535 dport=80 src=2.2.2.2 dst=1.1.1.1 sport=80 dport=65535')?.original.sport, 65_535);
});
