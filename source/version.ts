import {readFileSync} from 'node:fs';
import process from 'node:process';

/** What `npm run build` knows about this build: packaging/bundle.mjs defines it for esbuild. */
type BuildInfo = {
	readonly name: string;
	readonly version: string;
	readonly description: string;
	readonly commit: string;
};

declare const SVCTOP_BUILD_INFO: BuildInfo | undefined;

/** Run from source (tsx), there is no bundle: read package.json beside the tree; the commit is not known. */
function sourceBuildInfo(): BuildInfo {
	const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Omit<BuildInfo, 'commit'>;
	return {name: packageJson.name, version: packageJson.version, description: packageJson.description, commit: 'unknown'};
}

export const buildInfo: BuildInfo = typeof SVCTOP_BUILD_INFO === 'object' ? SVCTOP_BUILD_INFO : sourceBuildInfo();

/** `svctop --version`: the version, the commit it was built from and the Node.js that runs it (inside a single executable, the embedded one). */
export function versionText(): string {
	return `svctop ${buildInfo.version} (commit ${buildInfo.commit}, Node.js ${process.version})`;
}
