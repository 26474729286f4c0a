import {test} from 'node:test';
import assert from 'node:assert/strict';
import {iptablesServiceHash} from '../../../source/core/nat/chain-names.js';
import {iptablesEndpointChain, nftEndpointBase, nftServiceBase} from '../../../source/builtin-cluster/generate/chain-names.js';

// Expected names are those of kube-proxy's own proxier tests (pkg/proxy/iptables and pkg/proxy/nftables) for ns1/svc1:p80.
test('chain names are the ones kube-proxy derives (iptables 16 characters, nftables 8)', () => {
	assert.equal(`KUBE-SVC-${iptablesServiceHash('ns1/svc1:p80', 'TCP')}`, 'KUBE-SVC-XPGD46QRK7WJZT7O');
	assert.equal(iptablesEndpointChain('ns1/svc1:p80', 'tcp', '10.180.0.1:80'), 'KUBE-SEP-SXIVWICOYRO3J4NJ');
	assert.equal(`service-${nftServiceBase('ns1', 'svc1', 'TCP', 'p80')}`, 'service-ULMVA6XW-ns1/svc1/tcp/p80');
	assert.equal(`endpoint-${nftEndpointBase('ns1', 'svc1', 'tcp', 'p80', '10.180.0.1', 80)}`, 'endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
});

test('a long nftables name is cut as kube-proxy cuts it (112 characters, ending in ...)', () => {
	const base = nftServiceBase('n'.repeat(63), 's'.repeat(63), 'tcp', 'http');
	assert.equal(base.length, 112);
	assert.match(base, /^[A-Z2-7]{8}-n+\/s+\.\.\.$/);
});

test('an IPv6 endpoint\'s nftables name has dots for the colons (a chain name cannot hold a colon), hashed as written', () => {
	const base = nftEndpointBase('ns1', 'svc1', 'tcp', 'p80', 'fd00:10:180::1', 80);
	assert.match(base, /^[A-Z2-7]{8}-ns1\/svc1\/tcp\/p80__fd00\.10\.180\.\.1\/80$/);
	assert.ok(!base.includes(':'));
	// The hash is of the name with dots: the same base as for an address spelled that way.
	assert.equal(base, nftEndpointBase('ns1', 'svc1', 'tcp', 'p80', 'fd00.10.180..1', 80));
});
