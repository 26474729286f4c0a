import {test} from 'node:test';
import assert from 'node:assert/strict';
import {endpointSlicesFor, initialDemoState} from '../../../source/builtin-cluster/demo/cluster.js';
import {demoDnsClient} from '../../../source/builtin-cluster/demo/demo-dns.js';
import {resolveName} from '../../../source/node/resolve-name.js';

const state = initialDemoState(Date.parse('2026-11-23T00:00:00Z'));
const dns = demoDnsClient(() => ({services: state.services, slices: endpointSlicesFor(state)}));

test('a Service name resolves to its ClusterIP in the demo\'s DNS', async () => {
	assert.deepEqual(await resolveName('kubernetes.default.svc.cluster.local', {dns}), {
		name: 'kubernetes.default.svc.cluster.local',
		chain: [],
		addresses: ['10.200.1.1'],
	});
});

test('an ExternalName inside the cluster is followed through its CNAME', async () => {
	assert.deepEqual(await resolveName('api-alias.default.svc.cluster.local', {dns}), {
		name: 'api-alias.default.svc.cluster.local',
		chain: ['kubernetes.default.svc.cluster.local'],
		addresses: ['10.200.1.1'],
	});
});

test('a name outside the cluster does not resolve: the demo has no upstream, and asks nobody else', async () => {
	const resolution = await resolveName('my.database.example.com', {dns, timeoutMs: 500});
	assert.deepEqual(resolution.addresses, []);
	assert.equal(resolution.error, 'ENOTFOUND my.database.example.com');
});
