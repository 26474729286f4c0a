import type {KubeconfigOptions} from './server.js';

function yamlString(value: string): string {
	return JSON.stringify(value);
}

/** A kubeconfig whose current context points at `url` (plain HTTP, a token user). */
export function kubeconfigYaml(url: string, kubeconfig: KubeconfigOptions = {}): string {
	const name = yamlString(kubeconfig.context ?? 'svctop-demo');
	const namespace = kubeconfig.namespace ?? 'default';
	const lines = [
		'apiVersion: v1',
		'kind: Config',
		'clusters:',
		`- name: ${name}`,
		'  cluster:',
		`    server: ${yamlString(url)}`,
		'contexts:',
		`- name: ${name}`,
		'  context:',
		`    cluster: ${name}`,
		`    user: ${name}`,
		...(namespace === '' ? [] : [`    namespace: ${yamlString(namespace)}`]),
		`current-context: ${name}`,
		'users:',
		`- name: ${name}`,
		'  user:',
		'    token: svctop-demo-token',
		'preferences: {}',
		'',
	];
	return lines.join('\n');
}
