import {conntrack, localDestination, type RuleWriter} from './rules.js';

/*
 * The rules kube-proxy writes whatever the Services: jumps from the built-in chains, masquerading,
 * the NodePort catch-all and forwarding. Before the Services' rules: builtinJumps and masqueradeRules;
 * after them: nodePortsRule and forwardRules.
 */

/** Jumps kube-proxy ensures from the built-in chains. */
export function builtinJumps({nat, filter, style}: RuleWriter): void {
	const portals = 'kubernetes service portals';
	nat.rules.push(
		{chain: 'PREROUTING', comment: portals, jump: 'KUBE-SERVICES'},
		{chain: 'OUTPUT', comment: portals, jump: 'KUBE-SERVICES'},
		{chain: 'POSTROUTING', comment: 'kubernetes postrouting rules', jump: 'KUBE-POSTROUTING'},
	);
	filter.rules.push(
		{chain: 'INPUT', comment: 'kubernetes health check service ports', jump: 'KUBE-NODEPORTS'},
		{chain: 'INPUT', comment: 'kubernetes externally-visible service portals', matches: [conntrack('NEW')], jump: 'KUBE-EXTERNAL-SERVICES'},
		{chain: 'FORWARD', comment: 'kubernetes forwarding rules', jump: 'KUBE-FORWARD'},
		{chain: 'FORWARD', comment: 'kubernetes service portals', matches: [conntrack('NEW')], jump: 'KUBE-SERVICES'},
		{chain: 'FORWARD', comment: 'kubernetes externally-visible service portals', matches: [conntrack('NEW')], jump: 'KUBE-EXTERNAL-SERVICES'},
		{chain: 'OUTPUT', comment: 'kubernetes service portals', matches: [conntrack('NEW')], jump: 'KUBE-SERVICES'},
	);
	if (style === 'new') {
		filter.rules.push({chain: 'INPUT', comment: 'kubernetes load balancer firewall', matches: [conntrack('NEW')], jump: 'KUBE-PROXY-FIREWALL'});
	}
}

/** KUBE-POSTROUTING and KUBE-MARK-MASQ (and the old style's KUBE-MARK-DROP): the mark, and masquerading what carries it. */
export function masqueradeRules({nat, style, mark}: RuleWriter): void {
	if (style === 'new') {
		nat.rules.push(
			{chain: 'KUBE-POSTROUTING', matches: [{module: 'mark', args: ['!', '--mark', `${mark}/${mark}`]}], jump: 'RETURN'},
			{chain: 'KUBE-POSTROUTING', jump: 'MARK', targetArgs: ['--xor-mark', mark]},
			{chain: 'KUBE-POSTROUTING', comment: 'kubernetes service traffic requiring SNAT', jump: 'MASQUERADE', targetArgs: ['--random-fully']},
			{chain: 'KUBE-MARK-MASQ', jump: 'MARK', targetArgs: ['--or-mark', mark]},
		);
	} else {
		nat.rules.push(
			{chain: 'KUBE-POSTROUTING', comment: 'kubernetes service traffic requiring SNAT', matches: [{module: 'mark', args: ['--mark', `${mark}/${mark}`]}], jump: 'MASQUERADE'},
			{chain: 'KUBE-MARK-MASQ', jump: 'MARK', targetArgs: ['--set-xmark', `${mark}/${mark}`]},
			{chain: 'KUBE-MARK-DROP', jump: 'MARK', targetArgs: ['--set-xmark', '0x8000/0x8000']},
		);
	}
}

/** The last rule of KUBE-SERVICES: traffic to a local address goes on to KUBE-NODEPORTS (not from localhost unless allowed). */
export function nodePortsRule({nat, ipv6, options}: RuleWriter): void {
	const comment = 'kubernetes service nodeports; NOTE: this must be the last rule in this chain';
	if (ipv6) {
		nat.rules.push({chain: 'KUBE-SERVICES', comment, matches: [localDestination], destination: '::1/128', destinationNegated: true, jump: 'KUBE-NODEPORTS'});
	} else if (options.localhostNodePorts === false) {
		nat.rules.push({chain: 'KUBE-SERVICES', comment, matches: [localDestination], destination: '127.0.0.0/8', destinationNegated: true, jump: 'KUBE-NODEPORTS'});
	} else {
		nat.rules.push({chain: 'KUBE-SERVICES', comment, matches: [localDestination], jump: 'KUBE-NODEPORTS'});
	}
}

/** KUBE-FORWARD: accept marked traffic and established connections. */
export function forwardRules({filter, mark}: RuleWriter): void {
	filter.rules.push(
		{chain: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules', matches: [{module: 'mark', args: ['--mark', `${mark}/${mark}`]}], jump: 'ACCEPT'},
		{chain: 'KUBE-FORWARD', comment: 'kubernetes forwarding conntrack rule', matches: [{module: 'conntrack', args: ['--ctstate', 'RELATED,ESTABLISHED']}], jump: 'ACCEPT'},
	);
}
