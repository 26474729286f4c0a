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

/**
 * The lines of the NAT screen: the same text as `svctop nat` prints (one renderer for both), for
 * one Service or the whole table.
 */
export function natLines(table: NatFlowTable, serviceKey: string | undefined): NatLine[] {
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
			return {key: String(index), text, tone: toneOf(text, inProblems && !text.startsWith('Problems ('))};
		});
}
