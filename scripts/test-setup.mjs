#!/usr/bin/env node
// Before the tests (`npm test` runs this first): the system packages the tests drive for real.
// - chromium (the studio's browser tests, through puppeteer-core), redis-server (scale-out) and
//   python3-opencv with opencv-data (the likeness judge, an independent face and eye detector):
//   required. Missing ones are installed with apt-get when this runs as root on Debian, saying
//   what it installs; otherwise it stops with one line naming the packages to install.
// - Mesa's CPU Vulkan driver (lavapipe) for the WebGPU tests: best effort, from the backports
//   suite of the machine's own Debian source (bookworm's own Mesa is too old for Dawn). Without
//   it the WebGPU tests are reported as skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const canApt = root && has('apt-get');
const say = (line) => process.stderr.write(`[test setup] ${line}\n`);

function apt(args, quiet = true) {
  execFileSync('apt-get', args, { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const missing = [];
if (!has('chromium')) missing.push('chromium', 'fonts-liberation');
if (!has('redis-server')) missing.push('redis-server');
// The likeness judge (scripts/likeness/judge.py): OpenCV's Haar cascades, for Debian's own Python.
const cv2 = spawnSync('/usr/bin/python3', ['-c', 'import cv2, numpy'], { stdio: 'ignore' }).status === 0;
if (!cv2) missing.push('python3-opencv');
if (!existsSync('/usr/share/opencv4/haarcascades/haarcascade_eye.xml')) missing.push('opencv-data');
if (missing.length > 0) {
  if (!canApt) {
    say(`missing system packages: ${missing.join(' ')} (install them with: sudo apt-get install ${missing.join(' ')})`);
    process.exit(1);
  }
  say(`installing ${missing.join(', ')} with apt-get (the browser, Redis and likeness tests use them)...`);
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
}

realPhotos();

const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.json';
const codename = /VERSION_CODENAME=(\w+)/.exec(existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '')?.[1];
if (!existsSync(LAVAPIPE) && canApt && codename === 'bookworm') {
  try {
    const source = backportsSource(codename);
    if (!source) throw new Error(`no Debian source for ${codename} in /etc/apt`);
    say(`installing mesa-vulkan-drivers from ${codename}-backports (the WebGPU tests use it)...`);
    writeFileSync(source.file, source.text);
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', '-t', `${codename}-backports`, 'mesa-vulkan-drivers']);
  } catch (error) {
    say(`lavapipe could not be installed (${error.message.split('\n')[0]}): the WebGPU tests will be skipped`);
  }
}

/**
 * The machine's own Debian source for `codename`, with the suite changed to its backports: the
 * same mirror, components and key, wherever the machine gets its packages from.
 */
function backportsSource(codename) {
  const dir = '/etc/apt/sources.list.d';
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.list') || f.endsWith('.sources'))
          .map((f) => path.join(dir, f))
      : []),
  ].filter((f) => existsSync(f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      // deb822 stanzas: the one whose Suites include the release itself.
      for (const stanza of text.split(/\n\s*\n/)) {
        const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
        if (!/^Types:.*\bdeb\b/m.test(stanza) || !suites.includes(codename)) continue;
        const lines = stanza
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .map((l) => (l.startsWith('Suites:') ? `Suites: ${codename}-backports` : l));
        return { file: path.join(dir, 'toonbot-backports.sources'), text: `${lines.join('\n')}\n` };
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line.trim());
        if (m && m[3] === codename) return { file: path.join(dir, 'toonbot-backports.list'), text: `deb ${m[1] ?? ''}${m[2]} ${codename}-backports ${m[4]}\n` };
      }
    }
  }
  return undefined;
}

/**
 * The likeness measure's real group photos (scripts/likeness/real-photos.json): the example faces
 * of Debian's dlib package, downloaded as a package file (`apt-get download`, no root needed, no
 * install) and unpacked into the repository's .cache. Photos already there with the right
 * checksums are kept; nothing is fetched then.
 */
function realPhotos() {
  const root = path.join(import.meta.dirname, '..');
  const manifest = JSON.parse(readFileSync(path.join(root, 'scripts/likeness/real-photos.json'), 'utf8'));
  const cache = path.join(root, manifest.cache);
  const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const good = (photo) => existsSync(path.join(cache, photo.file)) && sha256(path.join(cache, photo.file)) === photo.sha256;
  if (manifest.photos.every(good)) return;
  const fail = (why) => {
    say(
      `the likeness test's real group photos could not be fetched (${why}): install apt and dpkg, or copy ${manifest.photos.map((p) => p.file).join(', ')} from Debian's libdlib package's examples/faces into ${manifest.cache}`,
    );
    process.exit(1);
  };
  if (!has('apt-get') || !has('dpkg-deb')) fail('no apt-get or dpkg-deb');
  const work = mkdtempSync(path.join(tmpdir(), 'toonbot-photos-'));
  // apt downloads as its own user (_apt) where it can.
  chmodSync(work, 0o777);
  try {
    const find = () =>
      spawnSync('apt-cache', ['search', '--names-only', manifest.package], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((line) => line.split(' ')[0])
        .filter(Boolean)
        .sort()
        .pop();
    let pkg = find();
    const download = () => pkg && spawnSync('apt-get', ['download', '-qq', pkg], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] }).status === 0;
    if (!download()) {
      // A fresh machine may have no package lists yet.
      if (!canApt) fail(`no package ${manifest.package} in apt's lists (run apt-get update as root)`);
      apt(['update', '-qq']);
      pkg = find();
      if (!download()) fail(`apt-get download ${pkg ?? manifest.package} failed`);
    }
    say(`unpacking the likeness test's real group photos from ${pkg}...`);
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    const tree = path.join(work, 'tree');
    mkdirSync(tree);
    execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./$3/*.jpg"', 'sh', path.join(work, deb), tree, manifest.dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const docs = path.join(tree, 'usr/share/doc');
    const faces = readdirSync(docs)
      .map((d) => path.join(docs, d, 'examples/faces'))
      .find((d) => existsSync(d));
    if (!faces) fail(`${pkg} has no examples/faces`);
    mkdirSync(cache, { recursive: true });
    for (const photo of manifest.photos) {
      const from = path.join(faces, photo.file);
      if (!existsSync(from) || sha256(from) !== photo.sha256) fail(`${photo.file} in ${pkg} is missing or not the one the floors were set on`);
      copyFileSync(from, path.join(cache, photo.file));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
