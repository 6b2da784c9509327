import fs from 'node:fs';
import path from 'node:path';

/**
 * The domain never imports a framework, a driver or I/O: infrastructure depends on the domain,
 * never the reverse. Domain files are the non-test files of the context libraries outside nest/.
 */
const DOMAIN_LIBS = ['domain-kit', 'identity', 'spaces'];
const FORBIDDEN = /from\s+['"](@nestjs\/|pg['"]|better-sqlite3|socket\.io|express|node:(fs|net|http|child_process)|fs['"]|#ruche\/(eventstore|projections|platform))/;

function domainFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'nest' ? [] : domainFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

describe('module boundaries', () => {
  const files = DOMAIN_LIBS.flatMap((lib) => domainFiles(path.join('libs', lib, 'src')));

  it('finds the domain files', () => {
    expect(files.length).toBeGreaterThan(8);
  });

  it.each(DOMAIN_LIBS)('keeps libs/%s free of framework, driver and I/O imports', (lib) => {
    const offenders = files
      .filter((f) => f.includes(`libs/${lib}/`) && !f.endsWith('index.ts'))
      .flatMap((f) =>
        fs
          .readFileSync(f, 'utf8')
          .split('\n')
          .filter((line) => FORBIDDEN.test(line))
          .map((line) => `${f}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it('calls no clock inside decisions', () => {
    const code = (f: string): string =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
        .join('\n');
    const offenders = files.filter((f) => /Date\.now\(\)|new Date\(\)/.test(code(f)));
    expect(offenders).toEqual([]);
  });
});
