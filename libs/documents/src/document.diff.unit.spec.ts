import { DIFF_MAX_EDIT_LENGTH, diffRevisions } from './document.diff.js';

const linesOf = (diff: ReturnType<typeof diffRevisions>) => diff.hunks.flatMap((h) => h.lines);

describe('diffRevisions', () => {
  it('gives changed lines with their context, counts, and the unified text', () => {
    const diff = diffRevisions(1, 2, 'a\nb\nc', 'a\nB\nc\nd');
    expect(linesOf(diff)).toEqual([
      { op: 'eq', text: 'a' },
      { op: 'del', text: 'b' },
      { op: 'add', text: 'B' },
      { op: 'eq', text: 'c' },
      { op: 'add', text: 'd' },
    ]);
    expect(diff).toMatchObject({ from: 1, to: 2, added: 2, removed: 1 });
    expect(diff.hunks).toEqual([expect.objectContaining({ oldStart: 1, oldLines: 3, newStart: 1, newLines: 4 })]);
    expect(diff.unified).toBe('--- revision 1\n+++ revision 2\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n');
  });

  it('is empty for identical bodies, and ignores a missing final newline', () => {
    expect(diffRevisions(2, 2, 'same\ntext', 'same\ntext')).toEqual({ from: 2, to: 2, added: 0, removed: 0, hunks: [], unified: '' });
    expect(diffRevisions(1, 2, 'x\ny', 'x\ny\n').hunks).toEqual([]);
  });

  it('keeps three lines of context and splits distant changes into hunks', () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    const after = before.map((l, i) => (i === 1 || i === 25 ? `${l} changed` : l));
    const diff = diffRevisions(1, 2, before.join('\n'), after.join('\n'));
    expect(diff.hunks).toHaveLength(2);
    expect(diff.hunks[1]).toMatchObject({ oldStart: 23, oldLines: 7 });
    expect(diff.hunks[0]!.lines.filter((l) => l.op === 'eq')).toHaveLength(4);
  });

  it('says "every line replaced" instead of searching forever when too much changed', () => {
    const count = DIFF_MAX_EDIT_LENGTH + 10;
    const before = Array.from({ length: count }, (_, i) => `a${i}`).join('\n');
    const after = Array.from({ length: count }, (_, i) => `b${i}`).join('\n');
    const diff = diffRevisions(1, 2, before, after);
    expect(diff).toMatchObject({ added: count, removed: count });
    expect(diff.hunks).toEqual([expect.objectContaining({ oldStart: 1, oldLines: count, newStart: 1, newLines: count })]);
    expect(diff.unified.startsWith(`--- revision 1\n+++ revision 2\n@@ -1,${count} +1,${count} @@\n-a0\n`)).toBe(true);
  });

  it('diffs from and to an empty body', () => {
    expect(diffRevisions(1, 2, '', 'x')).toMatchObject({ added: 1, removed: 0 });
    expect(diffRevisions(2, 1, 'x', '')).toMatchObject({ added: 0, removed: 1 });
  });
});
