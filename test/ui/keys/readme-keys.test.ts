import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {test} from 'node:test';
import {keyTableMarkdown} from '../../../source/ui/keys/key-table.js';
import {commands} from '../../../source/ui/keys/commands.js';

const readme = new URL('../../../README.md', import.meta.url);

test('the README\'s key tables are the ones generated from the key registry', async () => {
	const text = await readFile(readme, 'utf8');
	const start = text.indexOf('\n## Keys\n');
	assert.ok(start >= 0, 'README.md has a "## Keys" section');
	const end = text.indexOf('\n## ', start + 1);
	const section = text.slice(start, end === -1 ? undefined : end);
	const table = keyTableMarkdown();
	assert.ok(section.includes(table), `README.md's "## Keys" section should contain, exactly:\n\n${table}`);
});

test('every binding of the registry is in the generated table, and no edit key exists', () => {
	const table = keyTableMarkdown();
	for (const [name, spec] of Object.entries(commands)) {
		assert.ok(table.includes(spec.description.replaceAll('|', String.raw`\|`)), name);
	}

	assert.doesNotMatch(Object.keys(commands).join(' '), /edit|delete|scale/i);
	assert.ok(!Object.values(commands).some(spec => spec.bindings.some(binding => binding.name === 'e' || binding.name === 'E')));
});
