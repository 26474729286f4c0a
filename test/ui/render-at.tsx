import {EventEmitter} from 'node:events';
import {stripVTControlCharacters} from 'node:util';
import {render} from 'ink';
import type {ReactNode} from 'react';

/** A terminal of a fixed size that keeps every frame ink writes. */
class FakeStdout extends EventEmitter {
	readonly frames: string[] = [];
	isTTY = false;
	constructor(
		public columns: number,
		public rows: number,
	) {
		super();
	}

	write = (frame: string, callback?: () => void) => {
		this.frames.push(frame);
		callback?.();
		return true;
	};
}

class FakeStdin extends EventEmitter {
	isTTY = true;
	private data: string | null = null;
	rawMode = false;
	write(data: string) {
		this.data = data;
		this.emit('readable');
		this.emit('data', data);
	}

	read = () => {
		const {data} = this;
		this.data = null;
		return data;
	};

	setEncoding() {}
	setRawMode(mode: boolean) {
		this.rawMode = mode;
	}

	resume() {}
	pause() {}
	ref() {}
	unref() {}
}

/** Key sequences as a terminal sends them. */
export const keys = {
	up: '\u001B[A',
	down: '\u001B[B',
	pageUp: '\u001B[5~',
	pageDown: '\u001B[6~',
	enter: '\r',
	escape: '\u001B',
	backspace: '\u007F',
	ctrlC: '\u0003',
} as const;

/** Lets ink and React finish what the last input or timer started. */
export async function settle(): Promise<void> {
	for (let i = 0; i < 3; i++) {
		await new Promise<void>(resolve => {
			setImmediate(resolve);
		});
	}
}

export type Rendered = {
	/** The last frame, without colors, trailing spaces trimmed per line. */
	frame(): string;
	/** How many frames ink has rendered so far. */
	renders(): number;
	/** Types each string as one input chunk, letting the app settle after each. */
	press(...inputs: string[]): Promise<void>;
	resize(columns: number, rows: number): Promise<void>;
	unmount(): void;
	/** Settles when the app exits (useApp().exit()) or is unmounted. */
	readonly exited: Promise<unknown>;
	/** Whether the app has exited. */
	hasExited(): boolean;
	readonly stdin: FakeStdin;
};

/** Renders `node` into a fake terminal of `columns` x `rows`, one frame per render (ink's debug mode). */
export function renderAt(node: ReactNode, size: {columns: number; rows: number}): Rendered {
	const stdout = new FakeStdout(size.columns, size.rows);
	const stdin = new FakeStdin();
	let renders = 0;
	const instance = render(node, {
		stdout: stdout as unknown as NodeJS.WriteStream,
		stderr: new FakeStdout(size.columns, size.rows) as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream,
		debug: true,
		exitOnCtrlC: false,
		patchConsole: false,
		onRender() {
			renders++;
		},
	});
	let exited = false;
	const exitPromise = instance.waitUntilExit().finally(() => {
		exited = true;
	});
	return {
		exited: exitPromise,
		hasExited: () => exited,
		frame() {
			const last = stdout.frames.findLast(frame => frame.trim() !== '') ?? '';
			return stripVTControlCharacters(last)
				.split('\n')
				.map(line => line.trimEnd())
				.join('\n')
				.replace(/\n+$/, '');
		},
		renders: () => renders,
		async press(...inputs: string[]) {
			for (const input of inputs) {
				stdin.write(input);
				await settle();
			}
		},
		async resize(columns: number, rows: number) {
			stdout.columns = columns;
			stdout.rows = rows;
			stdout.emit('resize');
			await settle();
		},
		unmount() {
			instance.unmount();
		},
		stdin,
	};
}
