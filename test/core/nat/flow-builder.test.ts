import {test} from 'node:test';
import assert from 'node:assert/strict';
import {sortEntries} from '../../../source/core/nat/flow-builder.js';
import type {NatEntry, NatEntryKind} from '../../../source/core/nat/types.js';

const kinds: NatEntryKind[] = ['nodePort', 'loadBalancer', 'clusterIP', 'externalIP'];

/** `count` entries in a scrambled order, several with the same kind, address and port (told apart by line). */
function scrambled(count: number): NatEntry[] {
	return Array.from({length: count}, (_, index) => ({
		kind: kinds[(index * 7) % 3]!, ip: index % 4 === 1 ? null : `10.0.0.${index % 2}`, port: 80 + (index % 5 === 3 ? 1 : 0),
		sourceRanges: [], localOnly: false, path: [], target: 'none', line: index,
	}));
}

test('sortEntries orders by kind, address and port, keeping equal entries in their order, short list or long', () => {
	const order: Record<NatEntryKind, number> = {clusterIP: 0, externalIP: 1, loadBalancer: 2, nodePort: 3};
	for (const count of [0, 1, 2, 3, 8, 9, 40]) {
		const entries = scrambled(count);
		const sorted = sortEntries(entries);
		assert.equal(sorted.length, count);
		assert.notEqual(sorted, entries, 'a copy');
		for (let index = 1; index < count; index++) {
			const [a, b] = [sorted[index - 1]!, sorted[index]!];
			const byKey = order[a.kind] - order[b.kind] || ((a.ip ?? '') < (b.ip ?? '') ? -1 : ((a.ip ?? '') > (b.ip ?? '') ? 1 : 0)) || a.port - b.port;
			assert.ok(byKey < 0 || (byKey === 0 && a.line! < b.line!), `${count} entries: ${JSON.stringify(a)} before ${JSON.stringify(b)}`);
		}
	}
});
