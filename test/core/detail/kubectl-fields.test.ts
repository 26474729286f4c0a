import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {CoreV1Event} from '@kubernetes/client-node';
import {eventsSection, serviceEvents} from '../../../source/core/detail/service-events.js';
import {tabWrite} from '../../../source/core/detail/tab-writer.js';

/* The layout and the Events table; the fields themselves are compared with kubectl in test/commands/describe-kubectl.test.ts. */

const now = Date.parse('2026-12-07T10:00:00Z');

function event(reason: string, fields: Partial<CoreV1Event>): CoreV1Event {
	return {metadata: {name: reason}, involvedObject: {kind: 'Service', name: 'web'}, reason, type: 'Normal', message: `${reason} happened `, source: {component: 'service-controller'}, ...fields};
}

describe('tabWrite', () => {
	test('a column aligns only over consecutive lines that have it; a line without a tab ends every run', () => {
		const text = 'Name:\tweb\nPort:\thttp\t80/TCP\nTargetPort:\t8080/TCP\nNodePort:\tlonger-name\t30080/TCP\nEvents:\n  Type\tReason\n  ----\t------\n';
		assert.equal(tabWrite(text), [
			'Name:        web',
			'Port:        http  80/TCP',
			'TargetPort:  8080/TCP',
			'NodePort:    longer-name  30080/TCP',
			'Events:',
			'  Type  Reason',
			'  ----  ------',
			'',
		].join('\n'));
	});

	test('an empty last cell is still padded, as tabwriter does', () => {
		assert.equal(tabWrite('IP:\t\nIPs:\t<none>\n'), 'IP:   \nIPs:  <none>\n');
	});
});

describe('serviceEvents', () => {
	test('oldest first by lastTimestamp; repeats as kubectl writes them; a series; the fieldPath', () => {
		const events = serviceEvents({ok: true, items: [
			event('Later', {firstTimestamp: new Date(now - 3_600_000), lastTimestamp: new Date(now - 60_000), count: 12}),
			event('Earlier', {firstTimestamp: new Date(now - 7_200_000), lastTimestamp: new Date(now - 7_200_000), count: 1, type: 'Warning', source: {}, reportingComponent: 'my-controller'}),
			event('Series', {eventTime: new Date(now - 600_000), series: {count: 3, lastObservedTime: new Date(now - 30_000)}, involvedObject: {fieldPath: 'spec.ports{http}'}}),
		]}, now);
		assert.equal(events.state, 'read');
		assert.deepEqual(events.state === 'read' && events.events.map(row => [row.type, row.reason, row.age, row.from, row.message]), [
			['Warning', 'Earlier', '120m', 'my-controller', 'Earlier happened'],
			['Normal', 'Later', '60s (x12 over 60m)', 'service-controller', 'Later happened'],
			// Written through events.k8s.io, without lastTimestamp: its series' last time places it.
			['Normal', 'Series', '30s (x3 over 10m)', 'service-controller', 'spec.ports{http}: Series happened'],
		]);
	});

	test('none read is <none>; unreadable is unknown with the reason, never <none>', () => {
		assert.equal(eventsSection(serviceEvents({ok: true, items: []}, now)), 'Events:\t<none>\n');
		assert.equal(eventsSection(serviceEvents({ok: false, reason: 'events is forbidden'}, now)), 'Events:\tunknown (events is forbidden)\n');
		assert.equal(eventsSection(serviceEvents(undefined, now)), 'Events:\tunknown (not read)\n');
	});
});
