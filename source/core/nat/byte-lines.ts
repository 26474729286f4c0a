import {Buffer} from 'node:buffer';

/** Longest text made at once: Node makes longer text an external string, which V8 slices, hashes and reads slowly. */
const pieceBytes = 512 * 1024;

/**
 * Bytes of a dump as they arrive, in parts cut anywhere, made into text whole lines at a time
 * (UTF-8 never has a newline byte inside a character), in pieces under `pieceBytes`. A line begun
 * in one part is joined with its end in the next. Shared by the iptables and nft readers.
 */
export class ByteLines {
	/** The bytes after the last newline so far: views of parts already given, which the caller must not reuse. */
	private readonly tail: Uint8Array[] = [];

	constructor(private readonly onText: (text: string) => void) {}

	write(part: Uint8Array): void {
		const bytes = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
		const last = bytes.lastIndexOf(10);
		// The line begun in earlier parts is copied whole; only it.
		const first = last !== -1 && this.tail.length > 0 ? bytes.indexOf(10) + 1 : 0;
		if (first > 0) {
			this.onText(Buffer.concat([...this.tail.splice(0), bytes.subarray(0, first)]).toString('utf8'));
		}

		for (let from = first; from <= last;) {
			const cut = from + pieceBytes > last ? last : bytes.lastIndexOf(10, from + pieceBytes);
			const to = (cut >= from ? cut : bytes.indexOf(10, from + pieceBytes)) + 1;
			this.onText(bytes.toString('utf8', from, to));
			from = to;
		}

		if (last + 1 < bytes.length) {
			this.tail.push(bytes.subarray(last + 1));
		}
	}

	/** What is left after the last newline ('' when the dump ended with one). */
	end(): string {
		return this.tail.length === 0 ? '' : Buffer.concat(this.tail.splice(0)).toString('utf8');
	}
}
