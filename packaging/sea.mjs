/*
 * Builds the single executables dist/svctop-linux-<arch> from build/sea/svctop.mjs (packaging/bundle.mjs
 * --sea) with Node's own `--build-sea`, and writes dist/SHA256SUMS for every executable in dist/.
 * The embedded Node is the project's own (the `node` devDependency, its version from package-lock.json),
 * and the same Node builds the executables, as the blob must be made by the Node it is injected into.
 * When that is the Node running this script it is used as it is; otherwise, and for the other
 * architecture, the binary comes from the npm registry's per-platform package (node-linux-<arch>),
 * unpacked under build/sea/ (the other architecture's is never run).
 *
 *   node packaging/sea.mjs [--arch x64,arm64]     (default: both)
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = path.join(root, 'build/sea');
const dist = path.join(root, 'dist');
const script = path.join(work, 'svctop.mjs');
const architectures = ['x64', 'arm64'];

function fail(message) {
	process.stderr.write(`package: ${message}\n`);
	process.exit(1);
}

function requestedArchitectures() {
	const index = process.argv.indexOf('--arch');
	const wanted = index === -1 ? architectures : process.argv[index + 1]?.split(',') ?? [];
	for (const arch of wanted) {
		if (!architectures.includes(arch)) {
			fail(`--arch takes ${architectures.join(', ')} (got "${arch}")`);
		}
	}

	return wanted;
}

/** The version of the project's own Node, as npm ci installs it. */
function projectNodeVersion() {
	const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
	const version = lock.packages?.['node_modules/node']?.version;
	if (!version) {
		fail('package-lock.json has no node devDependency to embed');
	}

	// `node --build-sea` came with Node 25.5.
	const [major, minor] = version.split('.').map(Number);
	if (major < 25 || (major === 25 && minor < 5)) {
		fail(`node --build-sea needs Node 25.5 or newer; the project's node is ${version}`);
	}

	return version;
}

function checkHost() {
	if (process.platform !== 'linux' || !architectures.includes(process.arch)) {
		fail(`builds from linux-x64 or linux-arm64 only (this is ${process.platform}-${process.arch})`);
	}
}

/** The unpacked node binary of the per-platform npm package, cached under build/sea/. */
function registryNode(arch, version) {
	const directory = path.join(work, `node-v${version}-linux-${arch}`);
	const binary = path.join(directory, 'package/bin/node');
	if (existsSync(binary)) {
		return binary;
	}

	mkdirSync(directory, {recursive: true});
	const spec = `node-linux-${arch}@${version}`;
	process.stderr.write(`package: fetching ${spec} from the npm registry\n`);
	const packed = spawnSync('npm', ['pack', spec, '--silent', '--pack-destination', directory], {encoding: 'utf8'});
	const tarball = packed.stdout.trim().split('\n').at(-1);
	if (packed.status !== 0 || !tarball) {
		fail(`npm pack ${spec} failed: ${packed.stderr.trim().split('\n').at(-1) ?? packed.status}`);
	}

	execFileSync('tar', ['-xzf', path.join(directory, tarball), '-C', directory, 'package/bin/node']);
	rmSync(path.join(directory, tarball));
	return binary;
}

/** Debug symbols are a fifth of Node's binary; llvm-strip (both architectures) drops them when it is there. */
function strippedCopy(binary, arch) {
	const copy = path.join(work, `node-linux-${arch}`);
	copyFileSync(binary, copy);
	chmodSync(copy, 0o755);
	const strip = spawnSync('llvm-strip', [copy], {encoding: 'utf8'});
	if (strip.error || strip.status !== 0) {
		process.stderr.write(`package: llvm-strip not available, linux-${arch} keeps Node's debug symbols\n`);
	}

	return copy;
}

/** The project's Node for `arch`: the one running this script when it is that Node, else the registry's. */
function projectNode(arch, version) {
	return arch === process.arch && process.versions.node === version ? process.execPath : registryNode(arch, version);
}

function buildExecutable(arch, version) {
	const node = projectNode(arch, version);
	const output = path.join(dist, `svctop-linux-${arch}`);
	const config = path.join(work, `sea-config-${arch}.json`);
	writeFileSync(config, JSON.stringify({
		main: script,
		mainFormat: 'module',
		executable: strippedCopy(node, arch),
		output,
		disableExperimentalSEAWarning: true,
		useSnapshot: false,
		useCodeCache: false,
	}, null, '\t'));
	const built = spawnSync(projectNode(process.arch, version), ['--build-sea', config], {encoding: 'utf8'});
	rmSync(path.join(work, `node-linux-${arch}`));
	if (built.status !== 0 || !existsSync(output)) {
		fail(`node --build-sea for linux-${arch} failed:\n${built.stdout}${built.stderr}`);
	}

	return output;
}

/** sha256sum's format, so `sha256sum -c SHA256SUMS` checks a download. */
function writeChecksums() {
	const lines = readdirSync(dist)
		.filter(name => name.startsWith('svctop-linux-'))
		.sort()
		.map(name => `${createHash('sha256').update(readFileSync(path.join(dist, name))).digest('hex')}  ${name}\n`);
	writeFileSync(path.join(dist, 'SHA256SUMS'), lines.join(''));
}

checkHost();
const version = projectNodeVersion();
if (!existsSync(script)) {
	fail(`${path.relative(root, script)} is missing; \`npm run package\` builds it first`);
}

mkdirSync(dist, {recursive: true});
for (const arch of requestedArchitectures()) {
	const output = buildExecutable(arch, version);
	process.stderr.write(`package: ${path.relative(root, output)} (Node v${version}, ${(statSync(output).size / 1e6).toFixed(1)} MB)\n`);
}

writeChecksums();
