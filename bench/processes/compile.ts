// Worker processes run plain JavaScript, as a deployed worker does: the bench transpiles src/ and
// bench/processes/ once per run into a folder under node_modules/.cache (so that packages
// resolve as from the repository) and removes it at the end. Under tsx, a process would carry
// its loader thread and compiler too, some 35 MB of RSS that no user's worker has.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// What a worker process imports: the product and the process entry with its workers.
const SOURCE_FOLDERS = ['src', path.join('bench', 'processes')];
const ENTRY = path.join('bench', 'processes', 'worker-process.js');

let compiled: { folder: string; entry: string } | null = null;

/** The transpiled worker-process entry, built on first use. */
export function workerProcessEntry(): string {
  if (compiled !== null) return compiled.entry;
  const folder = path.join(
    ROOT,
    'node_modules',
    '.cache',
    'ticketrail-bench',
    `run-${process.pid}`,
  );
  rmSync(folder, { recursive: true, force: true });
  for (const source of SOURCE_FOLDERS) transpileFolder(source, folder);
  // The package.json beside the output makes Node read the .js files as ES modules.
  writeFileSync(path.join(folder, 'package.json'), '{ "type": "module" }\n');
  compiled = { folder, entry: path.join(folder, ENTRY) };
  return compiled.entry;
}

/** Removes what workerProcessEntry() built, if anything. */
export function removeCompiled(): void {
  if (compiled === null) return;
  rmSync(compiled.folder, { recursive: true, force: true });
  compiled = null;
}

function transpileFolder(relative: string, outRoot: string): void {
  for (const entry of readdirSync(path.join(ROOT, relative), { withFileTypes: true })) {
    const child = path.join(relative, entry.name);
    if (entry.isDirectory()) {
      transpileFolder(child, outRoot);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const { outputText } = ts.transpileModule(readFileSync(path.join(ROOT, child), 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
        fileName: child,
      });
      const out = path.join(outRoot, child.replace(/\.ts$/, '.js'));
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, outputText);
    }
  }
}
