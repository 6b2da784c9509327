import fs from 'node:fs';
import path from 'node:path';

/**
 * The domain never imports a framework, a driver or I/O: infrastructure depends on the domain,
 * never the reverse. Domain files are the non-test files of the domain libraries outside nest/;
 * a library's root entry (`#ruche/<lib>`) exposes only them, its Nest side being
 * `#ruche/<lib>/nest`. Decisions and projections replay the log: neither reads a clock nor
 * draws a random number.
 */
const LIBS = 'libs';
/** The bounded contexts DESIGN.md lists, and the kit their domain code shares. */
const LISTED_DOMAIN_LIBS = ['domain-kit', 'spaces', 'forums', 'faq', 'documents', 'indicators', 'identity'];
const FORBIDDEN = /from\s+['"](@nestjs\/|pg['"]|better-sqlite3|socket\.io|express|node:(fs|net|http|child_process)|fs['"]|#ruche\/(eventstore|projections|platform))/;
const NEST_EXPORT = /from\s+['"](\.\/nest(\/[^'"]*)?|#ruche\/[a-z0-9-]+\/nest)['"]/;
const CLOCK_OR_RANDOMNESS: Array<[string, RegExp]> = [
  ['Date.now()', /\bDate\.now\s*\(/],
  ['new Date() without argument', /\bnew Date\s*\(\s*\)/],
  ['performance.now()', /\bperformance\.now\s*\(/],
  ['process.hrtime', /\bprocess\.hrtime\b/],
  ['Math.random()', /\bMath\.random\s*\(/],
  ['randomUUID', /\brandomUUID\b/],
  ['crypto random bytes', /\b(randomBytes|randomInt|getRandomValues)\b/],
  ['uuid generation', /from\s+['"]uuid['"]|\buuidv\d\b/],
];

/** libs/<x> whose src has a nest/ side or that is listed above: the libraries with domain files. */
function domainLibraries(): string[] {
  return fs
    .readdirSync(LIBS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(LIBS, entry.name, 'src')))
    .map((entry) => entry.name)
    .filter((lib) => LISTED_DOMAIN_LIBS.includes(lib) || fs.existsSync(path.join(LIBS, lib, 'src', 'nest')))
    .sort();
}

function sourceFiles(dir: string, options: { skipNest: boolean }): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return options.skipNest && entry.name === 'nest' ? [] : sourceFiles(full, options);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

/** The file's lines that are not comments, with their line numbers. */
function codeLines(file: string): Array<[number, string]> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line, index): [number, string] => [index + 1, line])
    .filter(([, line]) => !/^\s*(\*|\/\/|\/\*)/.test(line));
}

const libraries = domainLibraries();
const domainFiles = libraries.flatMap((lib) => sourceFiles(path.join(LIBS, lib, 'src'), { skipNest: true }));
const projectionFiles = sourceFiles(LIBS, { skipNest: false }).filter((f) => f.endsWith('.projection.ts'));

describe('module boundaries', () => {
  it('finds the domain libraries, their domain files and every projection file', () => {
    expect(libraries).toEqual(expect.arrayContaining(['domain-kit', 'identity', 'spaces']));
    expect(domainFiles.length).toBeGreaterThan(8);
    expect(projectionFiles).toEqual(
      expect.arrayContaining([
        path.join(LIBS, 'identity/src/nest/users.projection.ts'),
        path.join(LIBS, 'spaces/src/nest/spaces.projection.ts'),
      ]),
    );
  });

  it.each(libraries)('keeps libs/%s free of framework, driver and I/O imports outside nest/', (lib) => {
    const offenders = domainFiles
      .filter((f) => f.startsWith(path.join(LIBS, lib, 'src') + path.sep))
      .flatMap((f) =>
        codeLines(f)
          .filter(([, line]) => FORBIDDEN.test(line))
          .map(([n, line]) => `${f}:${n}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it.each(libraries)('keeps the Nest side of libs/%s out of its root entry (src/index.ts)', (lib) => {
    const index = path.join(LIBS, lib, 'src', 'index.ts');
    const offenders = codeLines(index)
      .filter(([, line]) => NEST_EXPORT.test(line))
      .map(([n, line]) => `${index}:${n}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });

  it('calls no clock and no randomness in decisions and projections', () => {
    const offenders = [...new Set([...domainFiles, ...projectionFiles])].flatMap((f) =>
      codeLines(f).flatMap(([n, line]) =>
        CLOCK_OR_RANDOMNESS.filter(([, pattern]) => pattern.test(line)).map(([what]) => `${f}:${n}: ${what}: ${line.trim()}`),
      ),
    );
    expect(offenders).toEqual([]);
  });
});

/**
 * Every file a module loads, following its value imports (not `import type`) through relative
 * paths and the package's `#ruche/…` entries (their TypeScript sources); packages are leaves.
 * Answers each file with the packages it imports.
 */
function loadedFrom(entry: string): Map<string, string[]> {
  const imports = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { imports: Record<string, { source: string }> }).imports;
  const resolve = (from: string, specifier: string): string | undefined => {
    if (specifier.startsWith('.')) return path.normalize(path.join(path.dirname(from), specifier.replace(/\.js$/, '.ts')));
    if (!specifier.startsWith('#')) return undefined;
    const exact = imports[specifier];
    if (exact) return path.normalize(exact.source);
    const lib = /^#ruche\/([^/]+)$/.exec(specifier);
    return lib ? path.normalize(imports['#ruche/*']!.source.replace('*', lib[1]!)) : undefined;
  };
  const seen = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const packages: string[] = [];
    seen.set(file, packages);
    const source = fs.readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
      const target = resolve(file, match[1]!);
      if (target) visit(target);
      else if (!match[1]!.startsWith('node:')) packages.push(match[1]!);
    }
  };
  visit(path.normalize(entry));
  return seen;
}

describe('what projecting loads', () => {
  it("loads no framework: the app's projections, as a replay thread or a test's child process imports them", () => {
    const loaded = loadedFrom('apps/api/src/app-projections.ts');
    // The walk reaches every context's projections.
    expect([...loaded.keys()]).toEqual(expect.arrayContaining([path.join(LIBS, 'forums/src/nest/forum-topics.projection.ts'), path.join(LIBS, 'search/src/nest/search.projection.ts')]));
    const framework = /^(@nestjs\/|class-validator|class-transformer|rxjs|@socket\.io\/|socket\.io)/;
    const offenders = [...loaded].flatMap(([file, packages]) => packages.filter((name) => framework.test(name)).map((name) => `${file}: ${name}`));
    expect(offenders).toEqual([]);
  });
});
