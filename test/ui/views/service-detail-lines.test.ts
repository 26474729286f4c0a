import assert from 'node:assert/strict';
import {test} from 'node:test';
import {type DetailLine, wrapLine} from '../../../source/ui/views/service-detail-lines.js';

const finding: DetailLine = {
	key: 'finding-lb-pending',
	text: '  ! LoadBalancer still <pending> 4h58m after creation: no controller has provisioned a load balancer [lb-pending]',
	tone: 'warn',
};

test('a long finding wraps at spaces, continuation lines under the text after the marker', () => {
	assert.deepEqual(
		wrapLine(finding, 40).map(line => line.text),
		[
			'  ! LoadBalancer still <pending> 4h58m',
			'    after creation: no controller has',
			'    provisioned a load balancer',
			'    [lb-pending]',
		],
	);
});

test('every wrapped line keeps the tone and gets its own key', () => {
	const lines = wrapLine(finding, 40);
	assert.deepEqual(new Set(lines.map(line => line.tone)), new Set(['warn']));
	assert.equal(new Set(lines.map(line => line.key)).size, lines.length);
});

test('a line that fits is left alone', () => {
	assert.deepEqual(wrapLine(finding, 200), [finding]);
});

test('a word longer than the width stays whole on its own line', () => {
	const long: DetailLine = {key: 'x', text: `  ! see ${'a'.repeat(30)} now`, tone: 'warn'};
	assert.deepEqual(
		wrapLine(long, 20).map(line => line.text),
		['  ! see', `    ${'a'.repeat(30)}`, '    now'],
	);
});
