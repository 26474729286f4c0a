import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ClusterStore} from '../../source/kube/store.js';

const svc = (namespace: string, name: string, rv = '1') => ({metadata: {namespace, name, resourceVersion: rv}});

test('replace, apply and delete keep objects keyed by namespace/name, sorted in snapshots', () => {
	let clock = 1000;
	const store = new ClusterStore('ctx', undefined, () => clock);
	store.replace('services', [svc('b', 'x'), svc('a', 'y')]);
	store.apply('services', 'ADDED', svc('a', 'a'));
	store.apply('services', 'MODIFIED', svc('b', 'x', '2'));
	clock = 2000;
	store.apply('services', 'DELETED', svc('a', 'y'));
	const snapshot = store.snapshot();
	assert.deepEqual(snapshot.services.map(item => `${item.metadata?.namespace}/${item.metadata?.name}@${item.metadata?.resourceVersion}`), ['a/a@1', 'b/x@2']);
	assert.equal(snapshot.version, 4, 'one list and three events');
	assert.equal(snapshot.lastUpdate, 2000);
	assert.equal(snapshot.context, 'ctx');
});

test('snapshot is the same object until something changes, and old snapshots never change', () => {
	const store = new ClusterStore('ctx', 'default');
	store.replace('nodes', [{metadata: {name: 'n1'}}]);
	const first = store.snapshot();
	assert.equal(store.snapshot(), first);
	assert.ok(Object.isFrozen(first) && Object.isFrozen(first.nodes));
	store.apply('nodes', 'ADDED', {metadata: {name: 'n2'}});
	const second = store.snapshot();
	assert.notEqual(second, first);
	assert.equal(first.nodes.length, 1);
	assert.equal(second.nodes.length, 2);
	// Untouched resources keep their arrays, so consumers can compare by reference.
	assert.equal(second.services, first.services);
});

test('state changes bump the version; repeating the same state does not', () => {
	const store = new ClusterStore('ctx', undefined, () => 42);
	const start = store.snapshot().version;
	store.setState('nodes', 'forbidden', 'nodes is forbidden');
	store.setState('nodes', 'forbidden', 'nodes is forbidden');
	const snapshot = store.snapshot();
	assert.equal(snapshot.version, start + 1);
	assert.deepEqual(snapshot.states.nodes, {phase: 'forbidden', message: 'nodes is forbidden', since: 42});
	assert.equal(snapshot.states.services.phase, 'connecting');
});

test('listeners hear one notification per synchronous burst', async () => {
	const store = new ClusterStore('ctx', undefined);
	let calls = 0;
	const unsubscribe = store.subscribe(() => {
		calls++;
	});
	for (let index = 0; index < 1000; index++) {
		store.apply('services', 'ADDED', svc('burst', `s${index}`));
	}

	await Promise.resolve();
	assert.equal(calls, 1);
	assert.equal(store.snapshot().version, 1000);
	unsubscribe();
	store.apply('services', 'ADDED', svc('burst', 'late'));
	await Promise.resolve();
	assert.equal(calls, 1, 'an unsubscribed listener is not called');
});
