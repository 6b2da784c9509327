import fs from 'node:fs';
import { validate } from 'dockerfile-utils';

/**
 * The image's Dockerfile, linted with dockerfile-utils (the checks of the VS Code Docker
 * extension): no engine runs on these machines, so `docker build` cannot tell us about an unknown
 * instruction, a bad flag or a malformed argument; this does, without one.
 */
const lint = (content: string) => validate(content).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);

describe('docker/Dockerfile', () => {
  it('has no lint diagnostics, of any severity', () => {
    expect(lint(fs.readFileSync('docker/Dockerfile', 'utf8'))).toEqual([]);
  });

  it('is checked by a linter that does find mistakes', () => {
    const broken = [
      'FROM node:22-bookworm-slim AS build',
      'COPY --chwon=node:node package.json ./',
      'EXPOSE three-thousand',
      'HEALTHCHECK --interval=soon CMD ["node", "-e", "0"]',
      'RUNN npm ci',
    ].join('\n');
    expect(lint(broken)).toEqual([
      'line 2: Unknown flag: chwon',
      'line 3: Invalid containerPort: three-thousand',
      'line 4: time: invalid duration soon',
      'line 5: Unknown instruction: RUNN',
    ]);
  });
});
