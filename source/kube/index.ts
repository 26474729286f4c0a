export {type ConnectedCluster, type ConnectOptions, connectCluster, labelSelectorOf} from './connect.js';
export {describeKubeError, KubeError, type KubeErrorKind} from './errors.js';
export {type ResolvedConfig, type ResolveOptions, mergeKubeconfigFiles, resolveKubeConfig} from './kubeconfig.js';
export type * from './types.js';
