import {createHash} from 'node:crypto';
import type {IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';

/**
 * The server side of RFC 6455, as small as the exec subresource needs: the handshake with
 * sub-protocol choice, masked client frames (fragments, ping, close) and unmasked binary frames out.
 */
export type WebSocketConnection = {
	/** The sub-protocol agreed on, '' when the client offered none we speak. */
	readonly protocol: string;
	/** Sends one binary message. Ignored once closed. */
	send(data: Buffer): void;
	/** Sends a close frame and ends the socket. */
	close(code?: number): void;
	onMessage(listener: (data: Buffer) => void): void;
	onClose(listener: () => void): void;
};

const handshakeGuid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const maxMessageBytes = 16 * 1024 * 1024;

/** True when the request asks to switch to WebSocket. */
export function isWebSocketUpgrade(request: IncomingMessage): boolean {
	return (request.headers.upgrade ?? '').toLowerCase() === 'websocket' && typeof request.headers['sec-websocket-key'] === 'string';
}

/** The first protocol the client offers that the server speaks, in the client's order (as kube-apiserver picks). */
export function chooseProtocol(offered: string | undefined, supported: readonly string[]): string {
	for (const protocol of (offered ?? '').split(',').map(each => each.trim())) {
		if (supported.includes(protocol)) {
			return protocol;
		}
	}

	return '';
}

/** Encodes one unmasked frame (server to client). */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
	let header: Buffer;
	if (payload.length < 126) {
		header = Buffer.from([0x80 | opcode, payload.length]);
	} else if (payload.length < 65_536) {
		header = Buffer.alloc(4);
		header[0] = 0x80 | opcode;
		header[1] = 126;
		header.writeUInt16BE(payload.length, 2);
	} else {
		header = Buffer.alloc(10);
		header[0] = 0x80 | opcode;
		header[1] = 127;
		header.writeBigUInt64BE(BigInt(payload.length), 2);
	}

	return Buffer.concat([header, payload]);
}

type Frame = {readonly fin: boolean; readonly opcode: number; readonly payload: Buffer; readonly size: number};

/** Reads one frame from the front of `buffer`; undefined when it has not fully arrived. */
export function decodeFrame(buffer: Buffer): Frame | undefined | 'too-large' {
	if (buffer.length < 2) {
		return undefined;
	}

	const masked = (buffer[1]! & 0x80) !== 0;
	let length = buffer[1]! & 0x7F;
	let offset = 2;
	if (length === 126) {
		if (buffer.length < 4) {
			return undefined;
		}

		length = buffer.readUInt16BE(2);
		offset = 4;
	} else if (length === 127) {
		if (buffer.length < 10) {
			return undefined;
		}

		const long = buffer.readBigUInt64BE(2);
		if (long > BigInt(maxMessageBytes)) {
			return 'too-large';
		}

		length = Number(long);
		offset = 10;
	}

	if (length > maxMessageBytes) {
		return 'too-large';
	}

	const maskOffset = offset;
	if (masked) {
		offset += 4;
	}

	if (buffer.length < offset + length) {
		return undefined;
	}

	const payload = Buffer.from(buffer.subarray(offset, offset + length));
	if (masked) {
		for (let index = 0; index < payload.length; index++) {
			payload[index]! ^= buffer[maskOffset + (index % 4)]!;
		}
	}

	return {fin: (buffer[0]! & 0x80) !== 0, opcode: buffer[0]! & 0x0F, payload, size: offset + length};
}

/** Completes the handshake on an upgrade request's socket and returns the connection. */
export function acceptWebSocket(request: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly string[]): WebSocketConnection {
	const key = request.headers['sec-websocket-key'] as string;
	const accept = createHash('sha1').update(key + handshakeGuid).digest('base64');
	const protocol = chooseProtocol(request.headers['sec-websocket-protocol'] as string | undefined, supported);
	socket.write([
		'HTTP/1.1 101 Switching Protocols',
		'Upgrade: websocket',
		'Connection: Upgrade',
		`Sec-WebSocket-Accept: ${accept}`,
		...(protocol === '' ? [] : [`Sec-WebSocket-Protocol: ${protocol}`]),
		'',
		'',
	].join('\r\n'));

	const messageListeners: Array<(data: Buffer) => void> = [];
	const closeListeners: Array<() => void> = [];
	let pending: Buffer = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0);
	let fragments: Buffer[] = [];
	let closed = false;

	const finish = (): void => {
		if (closed) {
			return;
		}

		closed = true;
		for (const listener of closeListeners) {
			listener();
		}
	};

	const close = (code = 1000): void => {
		if (!closed && socket.writable) {
			const payload = Buffer.alloc(2);
			payload.writeUInt16BE(code, 0);
			socket.end(encodeFrame(0x8, payload));
		}

		finish();
	};

	const readFrames = (): void => {
		for (;;) {
			const frame = decodeFrame(pending);
			if (frame === 'too-large') {
				close(1009);
				return;
			}

			if (frame === undefined) {
				return;
			}

			pending = pending.subarray(frame.size);
			if (frame.opcode === 0x8) {
				close();
				return;
			}

			if (frame.opcode === 0x9) {
				socket.write(encodeFrame(0xA, frame.payload));
				continue;
			}

			if (frame.opcode === 0xA) {
				continue;
			}

			fragments.push(frame.payload);
			if (frame.fin) {
				const message = Buffer.concat(fragments);
				fragments = [];
				for (const listener of messageListeners) {
					listener(message);
				}
			}
		}
	};

	socket.on('data', (chunk: Buffer) => {
		pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
		readFrames();
	});
	socket.on('close', finish);
	socket.on('error', finish);
	// Frames that came with the upgrade request are read once the caller has attached its listeners.
	queueMicrotask(readFrames);

	return {
		protocol,
		send(data) {
			if (!closed && socket.writable) {
				socket.write(encodeFrame(0x2, data));
			}
		},
		close,
		onMessage: listener => messageListeners.push(listener),
		onClose: listener => closeListeners.push(listener),
	};
}
