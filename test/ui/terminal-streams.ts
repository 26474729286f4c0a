import {EventEmitter} from 'node:events';

/** An output stream that keeps what was written; a terminal (isTTY) makes ink draw every frame, not only the last. */
export class Sink extends EventEmitter {
	text = '';
	write = (chunk: string, callback?: () => void) => {
		this.text += chunk;
		callback?.();
		return true;
	};

	constructor(public isTTY: boolean, public columns = 100, public rows = 24) {
		super();
	}
}

/** A terminal's keyboard for ink: `type` hands it one chunk of input. */
export class Keyboard extends EventEmitter {
	isTTY = true;
	private data: string | null = null;
	type(data: string) {
		this.data = data;
		this.emit('readable');
	}

	read = () => {
		const {data} = this;
		this.data = null;
		return data;
	};

	setEncoding() {}
	setRawMode() {}
	resume() {}
	pause() {}
	ref() {}
	unref() {}
}
