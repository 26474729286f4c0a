import {filterNatServices, renderNatText} from '../../../core/nat/render.js';
import type {NatFlowTable} from '../../../core/nat/types.js';

export type NatLineTone = 'heading' | 'endpoint' | 'drop' | 'problem' | 'plain';

export type NatLine = {readonly key: string; readonly text: string; readonly tone: NatLineTone};

function toneOf(text: string, inProblems: boolean): NatLineTone {
	if (inProblems) {
		return 'problem';
	}

	if (/^\S/.test(text) && text.trim() !== '') {
		return 'heading';
	}

	if (/\b(DROP|REJECT|dropped|rejected)\b/.test(text)) {
		return 'drop';
	}

	if (/DNAT|->\s+(masq|route|tunnel)/.test(text)) {
		return 'endpoint';
	}

	return 'plain';
}

/** Where a rule sits in the dump: ` (line 143)`, ` (line 17, 18)`, or `line 146: ` ahead of a problem. */
const lineReference = / \(lines? \d+(?:, \d+)*\)|(?<=^\s*)line \d+: /g;
/** An endpoint's own chain, between its share and its DNAT: the pod and node after it say more. */
const endpointChain = /(?<=\d% )KUBE-SEP-[A-Z\d]{16} -> /;
/** kube-proxy's hashed chain names, `KUBE-EXT-VTR7MTHHNMFZ3OFS`: the first four characters tell them apart. */
const hashedChain = /\b(KUBE-[A-Z]{2,3}-[A-Z\d]{4})[A-Z\d]{12}\b/g;

/**
 * One line of the tree made to fit `width` columns by giving up what matters least first: line
 * numbers, then an endpoint's chain name, then the rest of the hashed chain names. What still does
 * not fit is cut by the view.
 */
export function fitNatLine(text: string, width: number): string {
	const steps: Array<(line: string) => string> = [
		line => line.replaceAll(lineReference, ''),
		line => line.replace(endpointChain, ''),
		line => line.replaceAll(hashedChain, '$1…'),
	];
	let line = text;
	for (const step of steps) {
		if (line.length <= width) {
			break;
		}

		line = step(line);
	}

	return line;
}

/**
 * The lines of the NAT screen: the same text as `svctop nat` prints (one renderer for both), for
 * one Service or the whole table, each fitted to `width` (default: as printed).
 */
export function natLines(table: NatFlowTable, serviceKey: string | undefined, width = Infinity): NatLine[] {
	const shown = serviceKey === undefined ? table : filterNatServices(table, serviceKey);
	if (serviceKey !== undefined && shown.services.length === 0) {
		return [
			{key: 'none', text: `No kube-proxy rules for ${serviceKey} in this dump.`, tone: 'drop'},
			{key: 'why', text: 'ExternalName Services have none; otherwise kube-proxy has not synced it, or the dump is from another node.', tone: 'plain'},
			{key: 'hint', text: 'a: browse the whole table   r: read the rules again', tone: 'plain'},
		];
	}

	let inProblems = false;
	return renderNatText(shown)
		.trimEnd()
		.split('\n')
		.map((text, index) => {
			inProblems ||= text.startsWith('Problems (');
			return {key: String(index), text: fitNatLine(text, width), tone: toneOf(text, inProblems && !text.startsWith('Problems ('))};
		});
}
