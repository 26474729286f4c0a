import type {Match, Rule, TableOut} from './rules.js';

/*
 * Printing the rules: the way kube-proxy writes them for iptables-restore (1.24+ or the older order),
 * or the way iptables-save prints them back once the kernel holds them.
 */

export function hostMask(ip: string): string {
	if (ip.includes('/')) {
		return ip;
	}

	return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

function quoteComment(comment: string, always: boolean): string {
	const escaped = comment.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
	return always || /[\s"\\]/.test(comment) ? `"${escaped}"` : escaped;
}

export function printTable(name: string, builtins: string[], table: TableOut, printer: (rule: Rule) => string, saved: boolean): string[] {
	const lines = [`*${name}`];
	const user = saved ? [...table.chains].sort() : [...table.chains];
	for (const chain of builtins) {
		lines.push(`:${chain} ACCEPT [0:0]`);
	}

	for (const chain of user) {
		lines.push(`:${chain} - [0:0]`);
	}

	if (saved) {
		// iptables-save lists rules chain by chain: built-ins first, then user chains by name.
		const order = new Map([...builtins, ...user].map((chain, index) => [chain, index]));
		const sorted = table.rules.map((rule, index) => ({rule, index}))
			.sort((a, b) => (order.get(a.rule.chain)! - order.get(b.rule.chain)!) || a.index - b.index);
		for (const {rule} of sorted) {
			lines.push(printer(rule));
		}
	} else {
		for (const rule of table.rules) {
			lines.push(printer(rule));
		}
	}

	lines.push('COMMIT');
	return lines;
}

/** kube-proxy 1.24+ argument order. */
export function printNew(rule: Rule): string {
	const parts = ['-A', rule.chain];
	if (rule.comment !== undefined) {
		parts.push('-m', 'comment', '--comment', quoteComment(rule.comment, false));
	}

	for (const match of rule.matches ?? []) {
		if (match.module !== 'nfacct') {
			parts.push('-m', match.module, ...match.args);
		}
	}

	if (rule.protocol) {
		parts.push('-m', rule.protocol, '-p', rule.protocol);
	}

	if (rule.destination) {
		parts.push(...(rule.destinationNegated ? ['!'] : []), '-d', rule.destination);
	}

	if (rule.dport !== undefined) {
		parts.push('--dport', String(rule.dport));
	}

	for (const match of rule.matches ?? []) {
		if (match.module === 'nfacct') {
			parts.push('-m', match.module, ...match.args);
		}
	}

	if (rule.source) {
		parts.push(...(rule.sourceNegated ? ['!'] : []), '-s', rule.source);
	}

	if (rule.jump) {
		parts.push('-j', rule.jump, ...(rule.targetArgs ?? []));
	}

	return parts.join(' ');
}

/** kube-proxy up to ~1.23: negated source first, `/32` addresses. */
export function printOld(rule: Rule): string {
	const parts = ['-A', rule.chain];
	if (rule.source && rule.sourceNegated) {
		parts.push('!', '-s', rule.source);
	}

	if (rule.comment !== undefined) {
		parts.push('-m', 'comment', '--comment', quoteComment(rule.comment, false));
	}

	if (rule.protocol) {
		parts.push('-m', rule.protocol, '-p', rule.protocol);
	}

	if (rule.destination) {
		parts.push(...(rule.destinationNegated ? ['!'] : []), '-d', rule.destination);
	}

	if (rule.dport !== undefined) {
		parts.push('--dport', String(rule.dport));
	}

	if (rule.source && !rule.sourceNegated) {
		parts.push('-s', rule.source);
	}

	for (const match of rule.matches ?? []) {
		parts.push('-m', match.module, ...match.args);
	}

	if (rule.jump) {
		parts.push('-j', rule.jump, ...(rule.targetArgs ?? []));
	}

	return parts.join(' ');
}

/** The order and spelling iptables-save (nf_tables backend, 1.8) prints rules back in. */
export function printSaved(rule: Rule): string {
	const parts = ['-A', rule.chain];
	if (rule.source) {
		parts.push(...(rule.sourceNegated ? ['!'] : []), '-s', hostMask(rule.source));
	}

	if (rule.destination) {
		parts.push(...(rule.destinationNegated ? ['!'] : []), '-d', hostMask(rule.destination));
	}

	if (rule.protocol) {
		parts.push('-p', rule.protocol);
	}

	if (rule.comment !== undefined) {
		parts.push('-m', 'comment', '--comment', quoteComment(rule.comment, true));
	}

	const matches = rule.matches ?? [];
	for (const match of matches) {
		if (match.module === 'recent' && match.args.includes('--set')) {
			continue;
		}

		parts.push('-m', match.module, ...savedMatchArgs(match));
	}

	const setRecent = matches.find(match => match.module === 'recent' && match.args.includes('--set'));
	if (setRecent) {
		parts.push('-m', 'recent', ...savedMatchArgs(setRecent));
	}

	if (rule.protocol) {
		parts.push('-m', rule.protocol);
		if (rule.dport !== undefined) {
			parts.push('--dport', String(rule.dport));
		}
	}

	if (rule.jump) {
		parts.push('-j', rule.jump, ...savedTargetArgs(rule.jump, rule.targetArgs ?? []));
	}

	return parts.join(' ');
}

function savedMatchArgs(match: Match): string[] {
	if (match.module === 'statistic') {
		const probability = Number(match.args[match.args.indexOf('--probability') + 1]);
		// The kernel keeps the probability as a 31-bit fraction; iptables prints it with 11 decimals.
		const stored = Math.round(probability * 0x80_00_00_00);
		return ['--mode', 'random', '--probability', (stored / 0x80_00_00_00).toFixed(11)];
	}

	if (match.module === 'recent') {
		const name = match.args[match.args.indexOf('--name') + 1]!;
		if (match.args.includes('--set')) {
			return ['--set', '--name', name, '--mask', '255.255.255.255', '--rsource'];
		}

		const seconds = match.args[match.args.indexOf('--seconds') + 1]!;
		return ['--rcheck', '--seconds', seconds, '--reap', '--name', name, '--mask', '255.255.255.255', '--rsource'];
	}

	return [...match.args];
}

function savedTargetArgs(jump: string, args: readonly string[]): string[] {
	if (jump === 'REJECT' && args.length === 0) {
		return ['--reject-with', 'icmp-port-unreachable'];
	}

	if (jump === 'MARK' && args[0] === '--or-mark') {
		return ['--set-xmark', `${args[1]!}/${args[1]!}`];
	}

	if (jump === 'MARK' && args[0] === '--xor-mark') {
		return ['--set-xmark', `${args[1]!}/0x0`];
	}

	return [...args];
}
