import {test} from 'node:test';
import assert from 'node:assert/strict';
import {parseConntrackLine} from '../../../source/core/probe/conntrack-line.js';

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
