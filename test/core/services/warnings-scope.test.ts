import assert from 'node:assert/strict';
import {test} from 'node:test';
import {describeService} from '../../../source/core/detail/describe-service.js';
import {serviceRow} from '../../../source/core/services/service-row.js';
import {warningsCell} from '../../../source/core/services/service-table.js';
import {commandUsage} from '../../../source/cli/help.js';
import {endpointSlicesFor, initialDemoState, podObject} from '../../../source/builtin-cluster/demo/cluster.js';

/*
 * QA's F17: the demo's wrong-port lists WARNINGS <none> while its detail has two
 * [target-port-not-exposed] findings. The list reads no pods, so the list's help must say which
 * findings its column covers, or its <none> reads as "checked, nothing wrong".
 */

test('a finding resting on the pods is not in the list\'s WARNINGS, and the list\'s help says so', () => {
	const now = Date.parse('2026-12-07T00:00:00Z');
	const state = initialDemoState(now);
	const service = state.services.find(item => item.metadata?.namespace === 'default' && item.metadata?.name === 'wrong-port')!;
	const slices = endpointSlicesFor(state).filter(slice => slice.metadata?.namespace === 'default' && slice.metadata?.labels?.['kubernetes.io/service-name'] === 'wrong-port');
	const pods = state.pods.map(pod => podObject(pod)).filter(pod => pod.metadata?.namespace === 'default' && pod.metadata?.labels?.app === 'np-pods');
	assert.ok(pods.length > 0);
	const detail = describeService({service, slices, nodes: [], pods, now});
	const fromPods = detail.findings.filter(finding => finding.restsOn.includes('pods'));
	assert.deepEqual(fromPods.map(finding => finding.code), ['target-port-not-exposed', 'target-port-not-exposed']);
	assert.equal(warningsCell(serviceRow(service, slices, now)), '<none>');
	const help = commandUsage('list').replaceAll(/\s+/g, ' ');
	assert.match(help, /WARNINGS are what the Service and its EndpointSlices show/);
	assert.match(help, /The list reads no pods: a finding that needs them \(a targetPort no pod declares, a selector matching nothing\) is only in `svctop describe`/);
});
