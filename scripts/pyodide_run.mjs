// Runs a Python file inside one of the Pyodide versions the platform runs (Node, offline).
//
//   node scripts/pyodide_run.mjs --versions
//       prints the installed versions, one JSON object a line: {"package", "version", "python"}
//   node scripts/pyodide_run.mjs [--mount DIR]... VERSION SCRIPT.py [ARGS...]
//       runs SCRIPT.py as __main__ with sys.argv = [SCRIPT.py, ...ARGS]; exits with its status
//
// VERSION is a Pyodide version or its prefix ("0.26", "0.28.3", "314"). Every version is an
// npm package in package.json: "pyodide" and aliases such as "pyodide-0.28": "npm:pyodide@0.28.3".
// Inside Python: the repository (and each --mount DIR) is mounted at its own host path, so
// paths agree on both sides; the working directory is the repository; worker/ is on sys.path
// (import swerve_edge), and so is .cache/pyodide/site (pure-Python test wheels, `make install`).
// `import swerve_host; swerve_host.run(json.dumps(argv), stdin_text)` runs a host command
// synchronously and returns JSON {"status", "stdout", "stderr"} (the tests' compiler bridge).
// Nothing is downloaded: loadPyodide reads the npm package's own files.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const SITE = join(ROOT, ".cache", "pyodide", "site");

/** The Pyodide packages package.json names, with their versions and Python versions. */
export function installedVersions() {
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const names = Object.keys(manifest.devDependencies || {}).filter((n) => /^pyodide(-.+)?$/.test(n));
  const found = [];
  for (const name of names) {
    const folder = join(ROOT, "node_modules", name);
    if (!existsSync(join(folder, "package.json"))) continue;
    const { version } = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
    const lock = JSON.parse(readFileSync(join(folder, "pyodide-lock.json"), "utf8"));
    found.push({ package: name, version, python: lock.info.python, folder });
  }
  return found.sort((a, b) => compareVersions(a.version, b.version));
}

function compareVersions(a, b) {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) - (pb[i] || 0);
  }
  return 0;
}

/** The installed Pyodide whose version is ``wanted`` or starts with ``wanted.``. */
export function findVersion(wanted) {
  const all = installedVersions();
  const match = all.find((v) => v.version === wanted || v.version.startsWith(`${wanted}.`));
  if (!match) {
    const have = all.map((v) => v.version).join(", ") || "none";
    throw new Error(`Pyodide ${wanted} is not installed (installed: ${have}); run make install`);
  }
  return match;
}

function hostRun(argvJson, input) {
  const argv = JSON.parse(argvJson);
  const result = spawnSync(argv[0], argv.slice(1), {
    cwd: ROOT,
    input: input || "",
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const status = result.error ? 127 : result.status;
  const stderr = result.error ? String(result.error) : result.stderr;
  return JSON.stringify({ status, stdout: result.stdout || "", stderr });
}

/** A ready Pyodide of ``version`` with the repository and ``mounts`` mounted at their own paths. */
export async function loadSwervePyodide(version, mounts = []) {
  const found = findVersion(version);
  const { loadPyodide } = await import(pathToFileURL(join(found.folder, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({
    indexURL: found.folder + "/",
    env: { HOME: "/home/pyodide", PYTHONHASHSEED: "0" },
  });
  // Unbuffered pass-through (copied: Pyodide reuses its buffer).
  pyodide.setStdout({ write: (buf) => (process.stdout.write(Buffer.from(buf)), buf.length) });
  pyodide.setStderr({ write: (buf) => (process.stderr.write(Buffer.from(buf)), buf.length) });
  for (const dir of [ROOT, ...mounts].map((d) => resolve(d))) {
    pyodide.FS.mkdirTree(dir);
    pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: dir }, dir);
  }
  const shared = join(ROOT, "..", "shared");
  if (existsSync(shared) && !mounts.some((d) => resolve(d) === resolve(shared))) {
    pyodide.FS.mkdirTree(resolve(shared));
    pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: resolve(shared) }, resolve(shared));
  }
  pyodide.registerJsModule("swerve_host", { run: hostRun });
  // JSON string literals are Python string literals too.
  pyodide.runPython(`
import os, sys
sys.dont_write_bytecode = True  # the repository is mounted: leave no Pyodide .pyc files in it
sys.path[:0] = [p for p in ${JSON.stringify([join(ROOT, "worker"), SITE])} if os.path.isdir(p)]
os.chdir(${JSON.stringify(ROOT)})
`);
  return { pyodide, ...found };
}

/** Run ``script`` as __main__ with ``args``; resolves to its exit status. */
export async function runScript(pyodide, script, args) {
  return pyodide.runPythonAsync(`
import runpy, sys, traceback
sys.argv = ${JSON.stringify([resolve(script), ...args])}
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
    _status = 0
except SystemExit as _exit:
    _status = _exit.code if isinstance(_exit.code, int) else (0 if _exit.code is None else 1)
    if not isinstance(_exit.code, (int, type(None))):
        print(_exit.code, file=sys.stderr)
except BaseException:
    traceback.print_exc()
    _status = 1
sys.stdout.flush()
sys.stderr.flush()
_status
`);
}

async function main(argv) {
  if (argv[0] === "--versions") {
    for (const { package: name, version, python } of installedVersions()) {
      console.log(JSON.stringify({ package: name, version, python }));
    }
    return 0;
  }
  const mounts = [];
  while (argv[0] === "--mount") {
    mounts.push(argv[1]);
    argv = argv.slice(2);
  }
  const [version, script, ...args] = argv;
  if (!version || !script) {
    console.error("usage: node scripts/pyodide_run.mjs [--mount DIR]... VERSION SCRIPT.py [ARGS...]");
    return 2;
  }
  const { pyodide } = await loadSwervePyodide(version, mounts);
  return runScript(pyodide, script, args);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (status) => process.exit(status),
    (error) => {
      console.error(String(error && error.stack ? error.stack : error));
      process.exit(1);
    },
  );
}
