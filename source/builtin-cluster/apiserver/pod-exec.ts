import {spawn} from 'node:child_process';
import {constants} from 'node:os';
import type {WebSocketConnection} from './websocket.js';

/**
 * The pods/exec session over the channel protocol (v4/v5.channel.k8s.io): every message starts
 * with its channel (0 stdin, 1 stdout, 2 stderr, 3 the final Status as JSON, 255 close of a
 * channel in v5), as kubelet's streaming server speaks it.
 */

export const execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** What a stand-in exec answers (the demo serves its own rule dump this way). */
export type ExecAnswer = {readonly stdout: string; readonly stderr?: string; readonly exitCode: number; /** The program is not in the image (runc's start failure). */ readonly notFound?: boolean};

/** The pod an exec runs in, as the hook and the launcher see it. */
export type ExecPod = {readonly namespace: string; readonly name: string; readonly nodeName: string | undefined; readonly hostNetwork: boolean};

/** Answers an exec in-process instead of running a program. */
export type ExecHook = (pod: ExecPod, argv: readonly string[]) => ExecAnswer | Promise<ExecAnswer>;

/** A real program to run for the exec: argv only, never a shell string. */
export type ExecLaunch = {readonly argv: readonly string[]};

const stdoutChannel = 1;
const stderrChannel = 2;
const statusChannel = 3;
const closeChannel = 255;

function framed(channel: number, data: Buffer | string): Buffer {
	const payload = typeof data === 'string' ? Buffer.from(data) : data;
	return Buffer.concat([Buffer.from([channel]), payload]);
}

/** The Status kubelet sends on channel 3 when the command ends. */
export function execStatus(argv: readonly string[], exitCode: number): object {
	if (exitCode === 0) {
		return {metadata: {}, status: 'Success'};
	}

	return {
		metadata: {},
		status: 'Failure',
		message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${exitCode}`,
		reason: 'NonZeroExitCode',
		details: {causes: [{reason: 'ExitCode', message: String(exitCode)}]},
	};
}

/** The Status for a command that could not start (runc's words for a missing program). */
export function execStartFailure(argv: readonly string[], reason: string): object {
	const message = reason === 'ENOENT'
		? `OCI runtime exec failed: exec failed: unable to start container process: exec: "${argv[0] ?? ''}": executable file not found in $PATH: unknown`
		: `OCI runtime exec failed: exec failed: unable to start container process: ${reason}: unknown`;
	return {metadata: {}, status: 'Failure', message, reason: 'InternalError', details: {causes: [{message}]}, code: 500};
}

function finishWith(connection: WebSocketConnection, status: object): void {
	connection.send(framed(statusChannel, JSON.stringify(status)));
	connection.close(1000);
}

/** Plays an in-process answer over the connection. */
export function answerExec(connection: WebSocketConnection, argv: readonly string[], answer: ExecAnswer): void {
	if (answer.notFound) {
		finishWith(connection, execStartFailure(argv, 'ENOENT'));
		return;
	}

	if (answer.stdout !== '') {
		connection.send(framed(stdoutChannel, answer.stdout));
	}

	if (answer.stderr) {
		connection.send(framed(stderrChannel, answer.stderr));
	}

	finishWith(connection, execStatus(argv, answer.exitCode));
}

/**
 * Runs `launch.argv` and streams it over the connection; the program is killed when the client
 * goes away or `kill()` is called (the pod was deleted or hit its deadline).
 */
export function runExec(connection: WebSocketConnection, argv: readonly string[], launch: ExecLaunch, wantsStdin: boolean): {kill(): void} {
	const [file, ...args] = launch.argv;
	const child = spawn(file!, args, {stdio: [wantsStdin ? 'pipe' : 'ignore', 'pipe', 'pipe']});
	let done = false;
	child.stdout!.on('data', (chunk: Buffer) => connection.send(framed(stdoutChannel, chunk)));
	child.stderr!.on('data', (chunk: Buffer) => connection.send(framed(stderrChannel, chunk)));
	child.stdin?.on('error', () => undefined);
	child.on('error', error => {
		if (!done) {
			done = true;
			finishWith(connection, execStartFailure(argv, (error as NodeJS.ErrnoException).code ?? error.message));
		}
	});
	child.on('close', (code, signal) => {
		if (!done) {
			done = true;
			const signalNumber = signal === null ? 0 : (constants.signals as Record<string, number>)[signal] ?? 9;
			finishWith(connection, execStatus(argv, code ?? 128 + signalNumber));
		}
	});
	connection.onMessage(message => {
		const channel = message[0];
		if (channel === 0) {
			child.stdin?.write(message.subarray(1));
		} else if (channel === closeChannel && message[1] === 0) {
			child.stdin?.end();
		}
	});
	const kill = (): void => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGKILL');
		}
	};

	connection.onClose(kill);
	return {kill};
}
