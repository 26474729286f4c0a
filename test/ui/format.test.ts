import assert from 'node:assert/strict';
import {test} from 'node:test';
import {capLines, fitHints, wrapWords} from '../../source/ui/format.js';

test('wrapWords: at spaces, continuation indented, the leading guides kept on the first line, a long word left whole', () => {
	assert.deepEqual(wrapWords('short', 10, '  '), ['short']);
	assert.deepEqual(wrapWords('│  ├─ alpha beta gamma', 14, '│  │  '), ['│  ├─ alpha', '│  │  beta', '│  │  gamma']);
	assert.deepEqual(wrapWords('a supercalifragilistic b', 8, ' '), ['a', ' supercalifragilistic', ' b']);
	assert.ok(wrapWords('one two three four five six', 9, '  ').every(line => line.length <= 9));
});

test('fitHints: whole hints give way in the order asked, after the position; never cut in half', () => {
	const hints = ['j/k scroll', 'a all', 'Esc back'];
	assert.equal(fitHints(hints, 80, ['j/k scroll']), 'j/k scroll  a all  Esc back');
	assert.equal(fitHints(hints, 30, ['j/k scroll'], '[1-9/99]'), '[1-9/99]  a all  Esc back');
	assert.equal(fitHints(hints, 10, ['j/k scroll', 'a all']), 'Esc back');
});

test('capLines: at most the count, the last kept ending in … when some are left out', () => {
	assert.deepEqual(capLines(['a', 'b'], 3), ['a', 'b']);
	assert.deepEqual(capLines(['one', 'two', 'three', 'four'], 2), ['one', 'tw…']);
});
