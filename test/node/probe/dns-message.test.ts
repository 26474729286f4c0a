import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {buildDnsError, buildDnsQuery, buildDnsResponse, parseDnsQuery, parseDnsResponse} from '../../../source/node/probe/dns-message.js';

describe('DNS messages: the server side (the demo CoreDNS)', () => {
	test('a query is read back: id, RD, name in lower case, type, class, EDNS and NSID asked', () => {
		const query = parseDnsQuery(buildDnsQuery(0xBEEF, 'Kube-DNS.kube-system.svc.cluster.local.', {nsid: true}));
		assert.ok(query && !('formerr' in query));
		assert.deepEqual(
			[query.id, query.opcode, query.recursionDesired, query.name, query.type, query.class, query.edns],
			[0xBEEF, 0, true, 'kube-dns.kube-system.svc.cluster.local', 1, 1, {nsid: true}],
		);
		const plain = parseDnsQuery(buildDnsQuery(1, 'a.b'));
		assert.ok(plain && !('formerr' in plain));
		assert.equal(plain.edns, undefined);
	});

	test('not a query, or unreadable', () => {
		assert.equal(parseDnsQuery(Buffer.from([1, 2, 3])), undefined, 'shorter than a header');
		const response = buildDnsQuery(7, 'a.b');
		response[2]! |= 0x80;
		assert.equal(parseDnsQuery(response), undefined, 'a response is not answered');
		assert.deepEqual(parseDnsQuery(buildDnsQuery(9, 'a.b').subarray(0, 15)), {formerr: true, id: 9}, 'question cut short');
		const two = buildDnsQuery(10, 'a.b');
		two.writeUInt16BE(2, 4);
		assert.deepEqual(parseDnsQuery(two), {formerr: true, id: 10}, 'two questions');
	});

	test('the answer goes through the probe\'s parser: rcode, A records after a CNAME, NSID only when asked', () => {
		const asked = parseDnsQuery(buildDnsQuery(42, 'web.default.svc.cluster.local', {nsid: true}));
		assert.ok(asked && !('formerr' in asked));
		const bytes = buildDnsResponse(asked, {
			rcode: 0,
			authoritative: true,
			answers: [{type: 'CNAME', target: 'web-0.example.com', ttl: 5}, {type: 'A', address: '10.10.1.2', ttl: 5}, {type: 'A', address: '10.10.2.2', ttl: 5}],
			nsid: 'coredns-76f75df574-8xq2p',
		});
		assert.equal(bytes[2]! & 0x04, 0x04, 'AA');
		assert.equal(bytes[3]! & 0x80, 0x80, 'RA');
		assert.deepEqual(parseDnsResponse(bytes), {id: 42, rcode: 0, addresses: ['10.10.1.2', '10.10.2.2'], nsid: 'coredns-76f75df574-8xq2p'});

		const notAsked = parseDnsQuery(buildDnsQuery(43, 'x.y'));
		assert.ok(notAsked && !('formerr' in notAsked));
		const nx = buildDnsResponse(notAsked, {rcode: 3, authoritative: false, answers: [], nsid: 'coredns-x'});
		assert.deepEqual(parseDnsResponse(nx), {id: 43, rcode: 3, addresses: []});
		assert.equal(nx.readUInt16BE(10), 0, 'no OPT record without EDNS in the query');
	});

	test('header-only errors', () => {
		assert.deepEqual(parseDnsResponse(buildDnsError(5, 1)), {id: 5, rcode: 1, addresses: []});
	});
});
