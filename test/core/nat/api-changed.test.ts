import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {natApiChanged} from '../../../source/core/nat/api-changed.js';

const svc = (name: string, resourceVersion: string): V1Service => ({metadata: {namespace: 'default', name, uid: `u-${name}`, resourceVersion}});
const slice = (service: string, resourceVersion: string): V1EndpointSlice => ({
	addressType: 'IPv4',
	endpoints: [],
	metadata: {namespace: 'default', name: `${service}-x`, uid: `s-${service}`, resourceVersion, labels: {'kubernetes.io/service-name': service}},
});

const then = {services: [svc('a', '1'), svc('b', '1')], endpointSlices: [slice('a', '1'), slice('b', '1')]};

describe('natApiChanged', () => {
	test('the same lists, or new copies of unchanged objects (a relist), are no change', () => {
		assert.equal(natApiChanged(then, then), false);
		assert.equal(natApiChanged(then, {services: then.services.map(each => structuredClone(each)), endpointSlices: [...then.endpointSlices]}), false);
	});

	test('a new resourceVersion, an object added or gone, is a change', () => {
		assert.equal(natApiChanged(then, {...then, endpointSlices: [slice('a', '2'), slice('b', '1')]}), true);
		assert.equal(natApiChanged(then, {...then, services: [svc('a', '1')]}), true);
		assert.equal(natApiChanged(then, {...then, endpointSlices: [...then.endpointSlices, slice('c', '1')]}), true);
	});

	test('limited to one Service: only its own object and slices count', () => {
		const bChanged = {services: [svc('a', '1'), svc('b', '7')], endpointSlices: [slice('a', '1'), slice('b', '9')]};
		assert.equal(natApiChanged(then, bChanged, 'default/a'), false);
		assert.equal(natApiChanged(then, bChanged, 'default/b'), true);
		assert.equal(natApiChanged(then, {...then, endpointSlices: [slice('a', '3'), slice('b', '1')]}, 'default/a'), true);
	});
});
