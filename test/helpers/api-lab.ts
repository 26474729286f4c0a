import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, afterEach, before} from 'node:test';
import type {ApiServer} from '../../source/builtin-cluster/apiserver/index.js';
import type {ConnectedCluster} from '../../source/kube/connect.js';

export type ApiLab = {
	/** A temporary directory for kubeconfigs and dumps, removed after the file's tests. */
	directory: string;
	/** The API server of the current test, closed after it. */
	api: ApiServer | undefined;
	/** The cluster source of the current test, stopped after it. */
	cluster: ConnectedCluster | undefined;
};

/** Registers the hooks every API-server test file repeats: a directory per file, the server and source stopped after each test. */
export function apiLab(prefix: string): ApiLab {
	const lab: ApiLab = {directory: '', api: undefined, cluster: undefined};
	before(async () => {
		lab.directory = await mkdtemp(path.join(tmpdir(), prefix));
	});
	after(async () => {
		await rm(lab.directory, {recursive: true, force: true});
	});
	afterEach(async () => {
		await lab.cluster?.stop();
		lab.cluster = undefined;
		await lab.api?.close();
		lab.api = undefined;
	});
	return lab;
}
