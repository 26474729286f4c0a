import type {NatEndpoint, NatMasquerade, NatProblem} from './types.js';
import {ByteLines} from './byte-lines.js';
import {type IptablesRule, parseRuleLine, ruleProblem, tokenize} from './iptables-rule.js';

/**
 * A chain and its rules as written, kept as one text (iptables-save writes a chain's rules together):
 * 200,000 rules are not 200,000 strings for the garbage collector to copy. Options are parsed on use
 * (ruleDetails): most of a large dump is read from the raw text by the decoder's rule shapes.
 */
export type IptablesChain = {
	readonly name: string;
	/** Built-in policy (`ACCEPT`, `DROP`) or `-` for user chains; null when declared by `-N` or only seen in rules. */
	policy: string | null;
	/** Line of the declaration, null when the chain was only seen in a rule. */
	line: number | null;
	/** The rules as written, joined by newlines. */
	text: string;
	/** Line of the first rule; the others follow it unless `lines` is set. */
	firstLine: number;
	/** Line of every rule, once the rules are not consecutive lines. */
	lines: number[] | null;
	size: number;
	/** Parsed rules by position, filled by ruleDetails (null: the line could not be parsed). */
	parsed: Array<IptablesRule | null | undefined> | null;
	/** The endpoint the decoder read from the chain once (null: none): kept here, not looked up again by name. */
	reading: NatEndpoint | null | undefined;
	/** The chain's masquerade marks, once the decoder has read them (a chain is walked once per entry of its Service). */
	marks: NatMasquerade[] | null;
	/** The chain declared after this one in its table, whose rules usually come next. */
	nextDeclared: IptablesChain | null;
};

export type IptablesTable = {readonly name: string; readonly chains: Map<string, IptablesChain>};

/** Tables by name, in the order seen. A chain may appear in several tables (KUBE-SERVICES is in nat and filter). */
export type IptablesTables = Map<string, IptablesTable>;

export type IptablesDump = {
	/** One per dump in the input: `iptables-save; ip6tables-save` joined are two, each read on its own. */
	readonly sections: readonly IptablesTables[];
	readonly problems: NatProblem[];
	/** Whether any `*table` line framed the rules (iptables-save); `iptables -S` has none, nor any end marker. */
	readonly framed: boolean;
	/** Lines read. */
	readonly lines: number;
};

/** A chain's rules one at a time, with no callback and no array: `next()` moves on (false after the last). */
export class ChainRules {
	raw = '';
	line = 0;
	index = -1;
	private start = 0;

	constructor(private readonly chain: IptablesChain) {}

	next(): boolean {
		const {text, lines} = this.chain;
		if (++this.index >= this.chain.size) {
			return false;
		}

		let end = text.indexOf('\n', this.start);
		end = end === -1 ? text.length : end;
		this.raw = text.slice(this.start, text.charCodeAt(end - 1) === 13 ? end - 1 : end);
		this.line = lines ? lines[this.index]! : this.chain.firstLine + this.index;
		this.start = end + 1;
		return true;
	}
}

/** Rule `index` of `chain` (the text `raw` on line `line`) parsed once; its problems go to `problems` that time. */
export function ruleDetails(chain: IptablesChain, index: number, problems: NatProblem[], raw: string, line: number): IptablesRule | null {
	chain.parsed ??= [];
	if (chain.parsed[index] === undefined) {
		chain.parsed[index] = parseRuleLine(raw, line, problems);
	}

	return chain.parsed[index];
}

/**
 * The line state machine of an iptables-save / `iptables -S` dump, fed bytes as they arrive (in any
 * parts): tables, chain declarations, rules, COMMIT. Nothing but its line and raw text is kept per rule.
 */
export class IptablesReader {
	readonly problems: NatProblem[] = [];
	/** The tables of the dump being read. */
	private tables: IptablesTables = new Map();
	private readonly sections = [this.tables];
	private current: IptablesTable | undefined;
	private inSaveSection = false;
	private lineNumber = 0;
	private framed = false;
	/** Whether the text being read has a tab (then no line of it is read in place). */
	private tabs = false;
	private lastChain: IptablesChain | undefined;
	/** The chain declared last in the current table. */
	private lastDeclared: IptablesChain | undefined;
	/** Until a chain is declared again or deleted, the chains' nextDeclared links are theirs. */
	private declaredInOrder = true;
	/** The rules of lastChain not yet added: text[blockStart, blockEnd), `blockSize` lines from `blockLine`. */
	private blockText = '';
	private blockStart = 0;
	private blockEnd = 0;
	private blockLine = 0;
	private blockSize = 0;
	private readonly bytes = new ByteLines(text => {
		this.lines(text);
	});

	/** More bytes of the dump, cut anywhere; the caller does not reuse `part` (its end may be kept). */
	writeBytes(part: Uint8Array): void {
		this.bytes.write(part);
	}

	/** The dump read so far, with what is left after the last newline. */
	end(): IptablesDump {
		const rest = this.bytes.end();
		if (rest !== '') {
			this.lines(`${rest}\n`);
		}

		if (this.inSaveSection && this.current) {
			this.problems.push({line: this.lineNumber, message: `line ${this.lineNumber}: table ${this.current.name} was not closed with COMMIT`});
		}

		return {sections: this.sections, problems: this.problems, framed: this.framed, lines: this.lineNumber};
	}

	/** The lines of `text`, which ends with a newline. */
	private lines(text: string): void {
		// `iptables-save -c`: the counters go before the rules are cut into lines and kept in blocks.
		if (text.charCodeAt(0) === 91 || text.includes('\n[')) {
			text = text.replaceAll(/^\[\d+:\d+\] +/gm, '');
		}

		this.tabs = text.includes('\t');
		for (let start = 0, end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) {
			this.line(text, start, end);
		}

		this.flushBlock();
	}

	/** One line: text[start, end). */
	private line(text: string, start: number, end: number): void {
		const lineNumber = ++this.lineNumber;
		if (end > start && text.charCodeAt(end - 1) === 13) {
			end--;
		}

		// A byte-order mark from an editor before the first line.
		if (lineNumber === 1 && text.charCodeAt(start) === 0xFE_FF) {
			start++;
		}

		if (this.readInPlace(text, start, end, lineNumber)) {
			return;
		}

		const raw = text.slice(start, end);
		// A plain `-A` line of another chain: the chain is looked up by name, and a block begins.
		const ruleNameEnd = raw.indexOf(' ', 3);
		if (raw.startsWith('-A ') && ruleNameEnd > 3 && raw.charCodeAt(3) !== 45) {
			this.lastChain = this.chainForRule(raw.slice(3, ruleNameEnd), raw, lineNumber);
			this.extendBlock(text, start, end, lineNumber);
			return;
		}

		const trimmed = raw.charCodeAt(0) > 32 && raw.charCodeAt(raw.length - 1) > 32 ? raw : raw.trim();
		if (trimmed === '' || trimmed.startsWith('#')) {
			return;
		}

		if (trimmed[0] === '-') {
			this.command(raw, trimmed, lineNumber);
		} else if (trimmed[0] === ':') {
			this.declaration(raw, trimmed, lineNumber);
		} else if (trimmed[0] === '*') {
			this.tableLine(raw, trimmed, lineNumber);
		} else if (trimmed === 'COMMIT') {
			if (!this.inSaveSection) {
				ruleProblem(this.problems, lineNumber, raw, 'COMMIT without a table');
			}

			this.inSaveSection = false;
			this.current = undefined;
			this.lastChain = undefined;
			this.lastDeclared = undefined;
		} else {
			ruleProblem(this.problems, lineNumber, raw, 'not an iptables-save line');
		}
	}

	/** The lines iptables-save writes most, read in place (no string made for the line); false for any other, once the block is added. */
	private readInPlace(text: string, start: number, end: number, lineNumber: number): boolean {
		// The hot path: `-A CHAIN …` continuing the previous rule's chain (iptables-save groups rules by chain).
		const chain = this.lastChain;
		if (chain && isRuleOf(chain, text, start)) {
			this.extendBlock(text, start, end, lineNumber);
			return true;
		}

		this.flushBlock();
		// iptables-save writes chains' rules in declaration order: the next declared is tried first (no slice, no lookup).
		const next = this.declaredInOrder ? chain?.nextDeclared : undefined;
		if (next && isRuleOf(next, text, start)) {
			this.lastChain = next;
			this.extendBlock(text, start, end, lineNumber);
			return true;
		}

		// A user chain as iptables-save declares it, `:NAME - [0:0]`: the name is the one string made.
		const nameEnd = end - 8;
		if (this.inSaveSection && !this.tabs && nameEnd > start + 1 && text.charCodeAt(start) === 58 && text.startsWith(' - [0:0]', nameEnd) && text.indexOf(' ', start) === nameEnd) {
			this.declare(text.slice(start + 1, nameEnd), '-', lineNumber);
			return true;
		}

		return false;
	}

	/** The current table, or for rules before any `*table` line (`iptables -t nat -S`) the nat table. */
	private table(name = 'nat'): IptablesTable {
		if (!this.current) {
			this.current = this.tables.get(name) ?? {name, chains: new Map()};
			this.tables.set(name, this.current);
		}

		return this.current;
	}

	private tableLine(raw: string, trimmed: string, line: number): void {
		if (this.inSaveSection && this.current) {
			ruleProblem(this.problems, line, raw, `table ${this.current.name} was not closed with COMMIT`);
		}

		const name = trimmed.slice(1).trim();
		if (!/^[a-z_]+$/.test(name)) {
			ruleProblem(this.problems, line, raw, 'bad table name');
		}

		// A table read to its COMMIT already, in a dump that has its nat table: another dump follows
		// (`iptables-save; ip6tables-save`), read on its own.
		if (!this.inSaveSection && this.tables.has(name) && this.tables.has('nat')) {
			this.tables = new Map();
			this.sections.push(this.tables);
		}

		this.current = undefined;
		this.table(name);
		this.lastChain = undefined;
		this.lastDeclared = undefined;
		this.inSaveSection = true;
		this.framed = true;
	}

	/** `:NAME POLICY [p:b]` inside a table (the usual `:NAME - [0:0]` is read in `line`). */
	private declaration(raw: string, trimmed: string, line: number): void {
		const match = /^:(\S+)\s+(\S+)(?:\s+(\[\d+:\d+\]))?\s*$/.exec(trimmed);
		if (!match) {
			ruleProblem(this.problems, line, raw, 'bad chain declaration');
			return;
		}

		if (!this.inSaveSection) {
			ruleProblem(this.problems, line, raw, 'chain declaration outside a table');
		}

		this.declare(match[1]!, match[2]!, line);
	}

	/** Declared again, a chain is flushed (as iptables-restore does) unless it was only seen in rules so far. */
	private declare(name: string, policy: string | null, line: number): void {
		const {chains} = this.table();
		let chain = chains.get(name);
		if (chain?.line === null) {
			chain.policy = policy;
			chain.line = line;
		} else {
			this.declaredInOrder &&= chain === undefined;
			chain = newChain(name, policy, line);
			chains.set(name, chain);
			this.lastChain = undefined;
		}

		if (this.lastDeclared) {
			this.lastDeclared.nextDeclared = chain;
		}

		this.lastDeclared = chain;
	}

	/** Line `line` (text[start, end)) is the next rule of lastChain. */
	private extendBlock(text: string, start: number, end: number, line: number): void {
		if (this.blockSize === 0) {
			this.blockText = text;
			this.blockStart = start;
			this.blockLine = line;
		}

		this.blockEnd = end;
		this.blockSize++;
	}

	/** lastChain's pending block becomes part of the chain. */
	private flushBlock(): void {
		if (this.blockSize > 0) {
			this.addRules(this.lastChain!, this.blockText.slice(this.blockStart, this.blockEnd), this.blockLine, this.blockSize);
			this.blockSize = 0;
		}
	}

	/** `size` consecutive rules at the end of the chain, or (`first`) in front with the rule parsed already. */
	private addRules(chain: IptablesChain, block: string, line: number, size: number, first = false, parsed?: IptablesRule): void {
		if (chain.size === 0) {
			chain.text = block;
			chain.firstLine = line;
		} else if (first) {
			chain.text = `${block}\n${chain.text}`;
			chain.lines = [line, ...ruleLines(chain)];
			chain.parsed?.unshift(undefined);
		} else {
			if (chain.lines || chain.firstLine + chain.size !== line) {
				chain.lines = ruleLines(chain);
				for (let index = 0; index < size; index++) {
					chain.lines.push(line + index);
				}
			}

			chain.text = `${chain.text}\n${block}`;
		}

		chain.size += size;
		if (parsed) {
			chain.parsed ??= [];
			chain.parsed[first ? 0 : chain.size - 1] = parsed;
		}
	}

	/** The chain a rule names, created (with a problem inside a save section) when it was not declared. */
	private chainForRule(name: string, raw: string, line: number): IptablesChain {
		const {chains} = this.table();
		let chain = chains.get(name);
		if (!chain) {
			if (this.inSaveSection) {
				ruleProblem(this.problems, line, raw, `rule for undeclared chain ${name}`);
			}

			chain = newChain(name, null, null);
			chains.set(name, chain);
		}

		return chain;
	}

	// `-A`/`-I` (any spacing), `-N`, `-P`, `-X`, `-F`: the `iptables -S` commands.
	private command(raw: string, trimmed: string, line: number): void {
		const tokens = tokenize(trimmed);
		const [command, name] = tokens;
		if (command === '-A' || command === '--append' || command === '-I' || command === '--insert') {
			this.lastChain = undefined;
			if (name === undefined || name === '' || name.startsWith('-')) {
				ruleProblem(this.problems, line, raw, 'rule without a chain name');
				return;
			}

			// Not a plain `-A` line: parsed now from its words; `-I` puts it first, whatever position it names.
			const chain = this.chainForRule(name, raw, line);
			const parsed = parseRuleLine(trimmed, line, this.problems, raw);
			if (parsed) {
				this.addRules(chain, raw, line, 1, command === '-I' || command === '--insert', parsed);
			}
		} else if (command === '-N' || command === '--new-chain') {
			if (tokens.length === 2) {
				this.declare(name!, null, line);
			} else {
				ruleProblem(this.problems, line, raw, '-N needs exactly one chain name');
			}
		} else if (command === '-P' || command === '--policy') {
			if (tokens.length < 3) {
				ruleProblem(this.problems, line, raw, '-P needs a chain and a policy');
			} else {
				this.declare(name!, tokens[2]!, line);
			}
		} else if (command === '-X' || command === '--delete-chain') {
			const {chains} = this.table();
			this.lastChain = undefined;
			this.declaredInOrder = false;
			for (const [key, chain] of name === undefined ? chains : []) {
				if (chain.policy === '-' || chain.policy === null) {
					chains.delete(key);
				}
			}

			if (name !== undefined && !chains.delete(name)) {
				ruleProblem(this.problems, line, raw, `-X of unknown chain ${name}`);
			}
		} else if (command === '-F' || command === '--flush') {
			for (const chain of this.table().chains.values()) {
				if (name === undefined || chain.name === name) {
					Object.assign(chain, {text: '', lines: null, parsed: null, size: 0});
				}
			}
		} else {
			ruleProblem(this.problems, line, raw, `unknown command ${command ?? ''}`);
		}
	}
}

/** Whether text[start…] begins `-A NAME ` with the chain's name (a name that looks like an option is never a rule's chain). */
function isRuleOf(chain: IptablesChain, text: string, start: number): boolean {
	const {name} = chain;
	return text.charCodeAt(start) === 45 && text.charCodeAt(start + 1) === 65 && text.charCodeAt(start + 2) === 32 && name.charCodeAt(0) !== 45
		&& text.charCodeAt(start + 3 + name.length) === 32 && text.startsWith(name, start + 3);
}

function newChain(name: string, policy: string | null, line: number | null): IptablesChain {
	return {name, policy, line, text: '', firstLine: 0, lines: null, size: 0, parsed: null, reading: undefined, marks: null, nextDeclared: null};
}

/** The line of each rule of the chain. */
function ruleLines(chain: IptablesChain): number[] {
	return chain.lines ?? Array.from({length: chain.size}, (_, index) => chain.firstLine + index);
}
