import {type ResolveOptions, resolveKubeConfig} from './kubeconfig.js';

/** One context of the kubeconfig, as `kubectl config get-contexts` lists it. */
export type KubeContext = {
	readonly name: string;
	readonly cluster: string;
	readonly user: string;
	/** The context's namespace, '' when it names none. */
	readonly namespace: string;
};

/**
 * The contexts of the kubeconfig svctop was started with (found as kubectl finds it), in the
 * file's order. Throws a KubeError as resolveKubeConfig does.
 */
export function kubeContexts(options: ResolveOptions): KubeContext[] {
	const {kubeConfig} = resolveKubeConfig(options);
	return kubeConfig.getContexts().map(context => ({
		name: context.name,
		cluster: context.cluster,
		user: context.user,
		namespace: context.namespace ?? '',
	}));
}
