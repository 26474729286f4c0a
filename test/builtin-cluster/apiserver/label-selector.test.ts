import assert from 'node:assert/strict';
import {test} from 'node:test';
import {formatLabelSelector, matchesLabels, parseLabelSelector} from '../../../source/builtin-cluster/apiserver/label-selector.js';

const labels = {app: 'web', tier: 'front', replicas: '3'};

const cases: Array<[selector: string, matches: boolean]> = [
	['', true],
	['app=web', true],
	['app==web', true],
	['app=db', false],
	['app!=db', true],
	['missing!=x', true],
	['app in (web,db)', true],
	['app in (db)', false],
	['app notin (db, cache)', true],
	['missing notin (a)', true],
	['tier', true],
	['missing', false],
	['!missing', true],
	['!tier', false],
	['app=web,tier=front', true],
	['app=web, tier=back', false],
	['replicas>2', true],
	['replicas<3', false],
	['example.com/part-of', false],
];

for (const [selector, expected] of cases) {
	test(`"${selector}" ${expected ? 'matches' : 'does not match'}`, () => {
		const parsed = parseLabelSelector(selector);
		assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
		assert.equal(matchesLabels(parsed.value, labels), expected);
	});
}

const invalid: Array<[selector: string, error: string]> = [
	['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
	['app in ()', "unable to parse requirement: for 'in', 'notin' operators, values set can't be empty"],
	['app in (a', "unable to parse requirement: found '', expected: ')'"],
	['app=web,', "unable to parse requirement: found '', expected: identifier"],
	['x>a', "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"],
];

for (const [selector, error] of invalid) {
	test(`"${selector}" is rejected`, () => {
		assert.deepEqual(parseLabelSelector(selector), {ok: false, error});
	});
}

test('formatLabelSelector sorts keys like kubectl', () => {
	assert.equal(formatLabelSelector({tier: 'front', app: 'web'}), 'app=web,tier=front');
});
