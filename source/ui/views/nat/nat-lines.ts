import {renderNatText} from '../../../core/nat/render.js';
import type {NatFlowTable} from '../../../core/nat/types.js';
import type {NoRulesVerdict} from '../../../core/nat/why-no-rules.js';
import {commandKeys} from '../../keys/commands.js';
import {wrapWords} from '../../format.js';

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
 * `shown` (one Service's part of the table, named by `serviceKey`, or the whole table), each fitted
 * to `width` (default: as printed).
 */
export function natLines(shown: NatFlowTable, serviceKey: string | undefined, width = Infinity, noRules?: NoRulesVerdict): NatLine[] {
	if (serviceKey !== undefined && shown.services.length === 0) {
		// As expected (ExternalName, headless) it is no finding: not drawn as a drop.
		return [
			{key: 'none', text: `No kube-proxy rules for ${serviceKey} in this dump.`, tone: noRules?.expected ? 'plain' : 'drop'},
			...wrapWords(noRules?.text ?? 'Not checked against the API.', width, '  ').map((text, index) => ({key: `why${index}`, text, tone: 'plain' as const})),
			{key: 'hint', text: `${commandKeys('natAll')}: browse the whole table   ${commandKeys('refresh')}: read the rules again`, tone: 'plain'},
		];
	}

	let inProblems = false;
	return renderNatText(shown)
		.trimEnd()
		.split('\n')
		.flatMap((text, index) => {
			inProblems ||= text.startsWith('Problems (');
			const tone = toneOf(text, inProblems && !text.startsWith('Problems ('));
			// What still does not fit goes on under the line, never cut off (a note's or a problem's end is often what matters).
			return wrapWords(fitNatLine(text, width), width, continuationOf(text)).map((part, row) => ({key: row === 0 ? String(index) : `${index}~${row}`, text: part, tone}));
		});
}

/** Where a wrapped line goes on: under its own text, with the tree's guides drawn on (`├─ ` becomes `│  `). */
function continuationOf(text: string): string {
	const lead = /^[\s│├└─]*/.exec(text)![0];
	if (text.startsWith('Note: ')) {
		return '      ';
	}

	return `${lead.replaceAll('├─', '│ ').replaceAll('└─', '  ').replaceAll('─', ' ')}  `;
}
