import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {ChainRules, type IptablesChain, IptablesReader, ruleDetails as parsedRule} from '../../../source/core/nat/iptables-reader.js';
import {parseRuleLine, tokenize} from '../../../source/core/nat/iptables-rule.js';
import type {NatProblem} from '../../../source/core/nat/types.js';

function chainRules(chain: IptablesChain): {raws: string[]; lines: number[]} {
	const rules = {raws: [] as string[], lines: [] as number[]};
	for (const each = new ChainRules(chain); each.next();) {
		rules.raws.push(each.raw);
		rules.lines.push(each.line);
	}

	return rules;
}

/** A whole iptables-save / `iptables -S` text, read at once; `tables` are its first dump's. */
function parseIptablesSave(text: string) {
	const reader = new IptablesReader();
	reader.writeBytes(Buffer.from(text, 'utf8'));
	const dump = reader.end();
	return {...dump, tables: dump.sections[0]!};
}

function ruleDetails(chain: IptablesChain, index: number, problems: NatProblem[]) {
	const {raws, lines} = chainRules(chain);
	return parsedRule(chain, index, problems, raws[index]!, lines[index]!);
}

describe('tokenize', () => {
	const cases: Array<[string, string[]]> = [
		['-A X -j Y', ['-A', 'X', '-j', 'Y']],
		['-A X  -j   Y ', ['-A', 'X', '-j', 'Y']],
		['-m comment --comment "a b"', ['-m', 'comment', '--comment', 'a b']],
		['--comment "say \\"hi\\" \\\\ x"', ['--comment', 'say "hi" \\ x']],
		['--comment ""', ['--comment', '']],
		['\t-A\tX', ['-A', 'X']],
		// Quotes that do not wrap whole words: a word goes on after a closing quote, starts before an
		// opening one, or runs to the end of the line when the quote is never closed.
		['--comment "a b"c -j Y', ['--comment', 'a bc', '-j', 'Y']],
		['--comment x"y z" -j Y', ['--comment', 'xy z', '-j', 'Y']],
		['--comment "a b -j Y', ['--comment', 'a b -j Y']],
		['--comment "a"  "b" -j Y', ['--comment', 'a', 'b', '-j', 'Y']],
	];
	for (const [line, expected] of cases) {
		test(JSON.stringify(line), () => {
			assert.deepEqual(tokenize(line), expected);
		});
	}
});

describe('parseRuleLine', () => {
	type Expect = Partial<Record<'chain' | 'source' | 'destination' | 'protocol' | 'destinationPort' | 'comment' | 'target' | 'toDestination' | 'srcType' | 'dstType' | 'setMark', string | null>> & {
		sourceNegated?: boolean;
		destinationNegated?: boolean;
		dstTypeNegated?: boolean;
		srcTypeNegated?: boolean;
		probability?: number | null;
		recentAction?: string | null;
		recentSeconds?: number | null;
		other?: string[] | null;
	};
	const cases: Array<[string, string, Expect]> = [
		['kube-proxy restore form', '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
			{chain: 'KUBE-SERVICES', comment: 'ns1/svc1:p80 cluster IP', protocol: 'tcp', destination: '172.30.0.41', destinationPort: '80', target: 'KUBE-SVC-XPGD46QRK7WJZT7O'}],
		['kernel read-back form with /32', '-A KUBE-SERVICES -d 10.200.1.60/32 -p tcp -m comment --comment "default/svc-nodeport:svc-webport cluster IP" -m tcp --dport 9000 -j KUBE-SVC-VTR7MTHHNMFZ3OFS',
			{destination: '10.200.1.60/32', destinationPort: '9000', comment: 'default/svc-nodeport:svc-webport cluster IP'}],
		['negated source', '-A KUBE-SVC-X ! -s 10.0.0.0/8 -d 172.30.0.41/32 -p tcp -m tcp --dport 80 -j KUBE-MARK-MASQ',
			{source: '10.0.0.0/8', sourceNegated: true, destination: '172.30.0.41/32', destinationNegated: false}],
		['negated destination after the match', '-A KUBE-SERVICES -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS',
			{dstType: 'LOCAL', dstTypeNegated: false, destination: '127.0.0.0/8', destinationNegated: true}],
		['negated addrtype', '-A X -m addrtype ! --src-type LOCAL -j Y', {srcType: 'LOCAL', srcTypeNegated: true}],
		['long option spellings', '-A X --source 10.1.1.1 --destination 10.2.2.2 --protocol UDP --match udp --destination-port 53 --jump Y',
			{source: '10.1.1.1', destination: '10.2.2.2', protocol: 'udp', destinationPort: '53', target: 'Y'}],
		['goto', '-A X -g Y', {target: 'Y'}],
		['unquoted single-word comment', '-A KUBE-SEP-X -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ',
			{comment: 'ns1/svc1:p80', source: '10.180.0.1', target: 'KUBE-MARK-MASQ'}],
		['unquoted multi-word comment', '-A KUBE-SVC-X -m comment --comment web/front:http -> 10.1.1.1:80 -m statistic --mode random --probability 0.25 -j KUBE-SEP-Y',
			{comment: 'web/front:http -> 10.1.1.1:80', probability: 0.25}],
		['escaped quotes in a comment', '-A X -m comment --comment "say \\"hi\\"" -j Y', {comment: 'say "hi"'}],
		['kernel probability', '-A X -m statistic --mode random --probability 0.33333333349 -j Y', {probability: 0.333_333_333_49}],
		['DNAT to IPv4', '-A KUBE-SEP-X -p tcp -m tcp -j DNAT --to-destination 10.180.0.1:80', {target: 'DNAT', toDestination: '10.180.0.1:80'}],
		['IPv6 rule', '-A KUBE-SERVICES -d fd00::1/128 -p udp -m udp --dport 53 -j DNAT --to-destination [fd00:10::1]:53',
			{destination: 'fd00::1/128', toDestination: '[fd00:10::1]:53'}],
		['recent rcheck as kube-proxy writes it', '-A KUBE-SVC-X -m recent --name KUBE-SEP-Y --rcheck --seconds 10800 --reap -j KUBE-SEP-Y',
			{recentAction: 'rcheck', recentSeconds: 10_800, other: null}],
		['recent rcheck as iptables-save prints it', '-A KUBE-SVC-X -m recent --rcheck --seconds 600 --reap --name KUBE-SEP-Y --mask 255.255.255.255 --rsource -j KUBE-SEP-Y',
			{recentAction: 'rcheck', recentSeconds: 600, other: null}],
		['mark match', '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN', {setMark: null, other: null, target: 'RETURN'}],
		['MARK --mark', '-A X -j MARK --mark 0x4000', {setMark: '0x4000'}],
		['MARK or-mark', '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000', {setMark: 'or-mark 0x4000'}],
		['MARK set-xmark', '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000', {setMark: 'set-xmark 0x4000/0x4000'}],
		['unknown options are kept', '-A X -m physdev ! --physdev-is-in -m conntrack --ctstate NEW -j Y', {other: ['!', '--physdev-is-in', '--ctstate', 'NEW']}],
		['rule without a target', '-A KUBE-FW-X -m comment --comment "other traffic to ns/svc:p will be dropped by KUBE-PROXY-FIREWALL"', {target: null}],
		['insert with a position', '-I X 1 -j Y', {chain: 'X', target: 'Y'}],
	];
	for (const [name, line, expected] of cases) {
		test(name, () => {
			const problems: Array<{line: number | null; message: string}> = [];
			const rule = parseRuleLine(line, 7, problems);
			assert.ok(rule);
			assert.deepEqual(problems, []);
			assert.equal(rule.raw, line);
			assert.equal(rule.line, 7);
			for (const [key, value] of Object.entries(expected)) {
				assert.deepEqual((rule as Record<string, unknown>)[key], value, key);
			}
		});
	}

	test('a missing value is a problem naming the line', () => {
		const problems: Array<{line: number | null; message: string}> = [];
		parseRuleLine('-A X -j', 12, problems);
		assert.equal(problems.length, 1);
		assert.equal(problems[0]!.line, 12);
		assert.match(problems[0]!.message, /^line 12: option -j needs a value: -A X -j$/);
	});

	test('a bad probability is a problem', () => {
		const problems: Array<{line: number | null; message: string}> = [];
		const rule = parseRuleLine('-A X -m statistic --mode random --probability 1.5 -j Y', 3, problems);
		assert.equal(rule?.probability, null);
		assert.match(problems[0]!.message, /line 3: bad probability 1.5/);
	});
});

describe('parseIptablesSave', () => {
	test('tables, chain declarations (with counters), rules, -X, COMMIT', () => {
		const dump = parseIptablesSave([
			'# Generated by iptables-save v1.8.9',
			'*nat',
			':PREROUTING ACCEPT [12:720]',
			':KUBE-SERVICES - [0:0]',
			':KUBE-OLD - [0:0]',
			'-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
			'-A KUBE-SERVICES -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-A',
			'-X KUBE-OLD',
			'COMMIT',
			'*filter',
			':KUBE-SERVICES - [0:0]',
			'-A KUBE-SERVICES -j REJECT',
			'COMMIT',
			'',
		].join('\n'));
		assert.deepEqual(dump.problems, []);
		assert.deepEqual([...dump.tables.keys()], ['nat', 'filter']);
		const nat = dump.tables.get('nat')!;
		assert.deepEqual([...nat.chains.keys()], ['PREROUTING', 'KUBE-SERVICES']);
		assert.equal(nat.chains.get('PREROUTING')!.policy, 'ACCEPT');
		assert.equal(chainRules(nat.chains.get('KUBE-SERVICES')!).lines[0], 7);
		assert.equal(ruleDetails(dump.tables.get('filter')!.chains.get('KUBE-SERVICES')!, 0, [])?.target, 'REJECT');
		assert.equal([...dump.tables.values()].flatMap(table => [...table.chains.values()]).reduce((sum, chain) => sum + chain.size, 0), 3);
	});

	test('iptables -S output (no table header) goes to the default table', () => {
		const dump = parseIptablesSave('-P PREROUTING ACCEPT\n-N KUBE-SERVICES\n-A KUBE-SERVICES -j KUBE-NODEPORTS\n');
		assert.deepEqual(dump.problems, []);
		assert.deepEqual(chainRules(dump.tables.get('nat')!.chains.get('KUBE-SERVICES')!).raws, ['-A KUBE-SERVICES -j KUBE-NODEPORTS']);
	});

	test('malformed input: every problem names its line and quotes it', () => {
		const text = ['*nat', ':BROKEN', '-A', 'hello world', '-A X -j', '*filter', 'COMMIT', '-Z'].join('\n');
		const dump = parseIptablesSave(text);
		assert.deepEqual(dump.problems.map(problem => problem.line), [2, 3, 4, 5, 6, 8]);
		assert.match(dump.problems[0]!.message, /^line 2: bad chain declaration: :BROKEN$/);
		assert.equal(dump.problems[3]!.message, 'line 5: rule for undeclared chain X: -A X -j');
		assert.match(dump.problems[4]!.message, /table nat was not closed with COMMIT/);
		// Options are parsed on use: the rule's own problem comes when it is.
		const problems: Array<{line: number | null; message: string}> = [];
		ruleDetails(dump.tables.get('nat')!.chains.get('X')!, 0, problems);
		assert.deepEqual(problems, [{line: 5, message: 'line 5: option -j needs a value: -A X -j'}]);
	});

	test('rule options are parsed on use, once', () => {
		const lazy = parseIptablesSave('*nat\n:X - [0:0]\n-A X -j\nCOMMIT\n');
		assert.deepEqual(lazy.problems, []);
		const problems: Array<{line: number | null; message: string}> = [];
		const chain = lazy.tables.get('nat')!.chains.get('X')!;
		assert.equal(ruleDetails(chain, 0, problems)?.target, null);
		assert.equal(ruleDetails(chain, 0, problems)?.target, null);
		assert.deepEqual(problems, [{line: 3, message: 'line 3: option -j needs a value: -A X -j'}]);
	});

	test('-I puts the rule first', () => {
		const dump = parseIptablesSave('*nat\n:X - [0:0]\n-A X -j B\n-I X 1 -j A\nCOMMIT\n');
		const chain = dump.tables.get('nat')!.chains.get('X')!;
		assert.deepEqual(chainRules(chain).raws.map((_, index) => ruleDetails(chain, index, [])?.target), ['A', 'B']);
		assert.deepEqual(chainRules(chain).lines, [4, 3]);
	});

	test('CRLF line ends are accepted', () => {
		const dump = parseIptablesSave('*nat\r\n:X - [0:0]\r\n-A X -j Y\r\n-A X -j Z\r\nCOMMIT\r\n');
		assert.deepEqual(dump.problems, []);
		const chain = dump.tables.get('nat')!.chains.get('X')!;
		assert.equal(ruleDetails(chain, 0, [])?.target, 'Y');
		assert.deepEqual(chainRules(chain).raws, ['-A X -j Y', '-A X -j Z']);
	});

	test('a chain\'s rules keep their text and lines whether written together, apart or across the parts of the input', () => {
		const text = ['*nat', ':X - [0:0]', ':Y - [0:0]', '-A X -j A', '-A X -j B', '-A Y -j C', '', '-A X -j D', '-A X -j E', 'COMMIT', ''].join('\n');
		for (const size of [1, 3, 7, text.length]) {
			const reader = new IptablesReader();
			for (let from = 0; from < text.length; from += size) {
				reader.writeBytes(new TextEncoder().encode(text.slice(from, from + size)));
			}

			const dump = {tables: reader.end().sections[0]!};
			const x = chainRules(dump.tables.get('nat')!.chains.get('X')!);
			assert.deepEqual(x.raws, ['-A X -j A', '-A X -j B', '-A X -j D', '-A X -j E'], `parts of ${size}`);
			assert.deepEqual(x.lines, [4, 5, 8, 9], `parts of ${size}`);
			assert.equal(dump.tables.get('nat')!.chains.get('X')!.size, 4);
			assert.equal([...dump.tables.get('nat')!.chains.values()].reduce((sum, chain) => sum + chain.size, 0), 5);
		}
	});

	test('rules go to the chain they name whatever the order of the declarations, also once a chain is declared again or deleted', () => {
		const rulesOf = (text: string) => {
			const dump = parseIptablesSave(text);
			return [...dump.tables.get('nat')!.chains.values()].map(chain => `${chain.name}: ${chainRules(chain).raws.map(raw => raw.split(' ').at(-1)).join(' ')}`);
		};

		// In declaration order (as iptables-save writes), skipping a chain without rules, and out of it.
		assert.deepEqual(rulesOf('*nat\n:A - [0:0]\n:B - [0:0]\n:C - [0:0]\n-A A -j 1\n-A C -j 2\n-A B -j 3\n-A A -j 4\nCOMMIT\n'), ['A: 1 4', 'B: 3', 'C: 2']);
		// B declared again is a new, empty chain: its rules go there, not to the B declared after A first.
		assert.deepEqual(rulesOf('*nat\n:A - [0:0]\n:B - [0:0]\n-A B -j 1\n:B - [0:0]\n-A A -j 2\n-A B -j 3\nCOMMIT\n'), ['A: 2', 'B: 3']);
		// B deleted: its rules after A make a chain seen only in rules (with a problem), not the deleted one.
		const deleted = parseIptablesSave('-N A\n-N B\n-X B\n-A A -j 1\n-A B -j 2\n');
		assert.deepEqual([...deleted.tables.get('nat')!.chains.values()].map(chain => [chain.name, chain.line, chain.size]), [['A', 1, 1], ['B', null, 1]]);
		// A chain name that looks like an option is not a rule's chain, declared or not.
		assert.match(parseIptablesSave('*nat\n:A - [0:0]\n:-B - [0:0]\n-A A -j 1\n-A -B -j 2\nCOMMIT\n').problems[0]!.message, /^line 5: rule without a chain name/);
	});
});
