import {planServicePorts} from '../../core/nat/service-ports.js';
import type {NatGeneratorInput} from './plan.js';
import {builtinJumps, forwardRules, masqueradeRules, nodePortsRule} from './iptables/base-chains.js';
import {writeNewStyle} from './iptables/new-style.js';
import {writeOldStyle} from './iptables/old-style.js';
import {printNew, printOld, printSaved, printTable} from './iptables/print.js';
import {type IptablesGeneratorOptions, RuleWriter} from './iptables/rules.js';

export type {IptablesGeneratorOptions} from './iptables/rules.js';

const natBuiltins = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];
const filterBuiltins = ['INPUT', 'FORWARD', 'OUTPUT'];

/**
 * Write the filter and nat tables kube-proxy would program on `input.nodeName`: the fixed chains, each
 * Service port's chains in the style asked for, then the fixed rules that must come last. Pure.
 */
export function generateIptablesSave(input: NatGeneratorInput, options: IptablesGeneratorOptions = {}): string {
	const ports = planServicePorts(input, options);
	const writer = new RuleWriter(options, ports);
	builtinJumps(writer);
	masqueradeRules(writer);
	for (const port of ports) {
		if (writer.style === 'new') {
			writeNewStyle(writer, port);
		} else {
			writeOldStyle(writer, port);
		}
	}

	nodePortsRule(writer);
	forwardRules(writer);
	const saved = options.form === 'save';
	const printer = saved ? printSaved : (writer.style === 'old' ? printOld : printNew);
	return [
		...printTable('filter', filterBuiltins, writer.filter, printer, saved),
		...printTable('nat', natBuiltins, writer.nat, printer, saved),
		'',
	].join('\n');
}
