import { formatPatch, structuredPatch, type StructuredPatch } from 'diff';

/** One line of a hunk: kept (`eq`), removed from `from` (`del`) or added in `to` (`add`). */
export interface DiffLine {
  op: 'add' | 'del' | 'eq';
  text: string;
}

/** A run of changes with up to DIFF_CONTEXT_LINES unchanged lines around them, as in a unified diff. */
export interface DiffHunk {
  /** First line of the hunk in `from` (1-based; 0 when the hunk starts before any line of it). */
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

/** A line diff between two revisions' bodies: the structured hunks and the same as a unified diff. */
export interface RevisionDiff {
  from: number;
  to: number;
  added: number;
  removed: number;
  hunks: DiffHunk[];
  /** The unified diff text (`--- revision N` / `+++ revision M`), for tools and people who read it. */
  unified: string;
}

export const DIFF_CONTEXT_LINES = 3;

/**
 * Beyond this many changed lines, jsdiff's Myers search stops (its cost grows with lines × edits)
 * and the diff says "every line replaced": two unrelated 200 kB bodies cannot hold a request.
 */
export const DIFF_MAX_EDIT_LENGTH = 1000;

/** The body as lines, each ending in '\n', so a missing final newline never shows as a change. */
const normalised = (body: string): string => (body === '' || body.endsWith('\n') ? body : `${body}\n`);

function wholeReplacement(oldBody: string, newBody: string): StructuredPatch {
  const oldLines = oldBody === '' ? [] : oldBody.slice(0, -1).split('\n');
  const newLines = newBody === '' ? [] : newBody.slice(0, -1).split('\n');
  return {
    oldFileName: '',
    newFileName: '',
    oldHeader: undefined,
    newHeader: undefined,
    hunks: [
      {
        oldStart: oldLines.length === 0 ? 0 : 1,
        oldLines: oldLines.length,
        newStart: newLines.length === 0 ? 0 : 1,
        newLines: newLines.length,
        lines: [...oldLines.map((l) => `-${l}`), ...newLines.map((l) => `+${l}`)],
      },
    ],
  };
}

/**
 * The line diff from revision `from` (body `oldBody`) to revision `to` (body `newBody`), computed
 * by jsdiff (the `diff` package). Deterministic: no clock-based timeout, a bound on edits instead.
 */
export function diffRevisions(from: number, to: number, oldBody: string, newBody: string): RevisionDiff {
  const before = normalised(oldBody);
  const after = normalised(newBody);
  const oldName = `revision ${from}`;
  const newName = `revision ${to}`;
  const patch =
    structuredPatch(oldName, newName, before, after, undefined, undefined, {
      context: DIFF_CONTEXT_LINES,
      maxEditLength: DIFF_MAX_EDIT_LENGTH,
    }) ?? { ...wholeReplacement(before, after), oldFileName: oldName, newFileName: newName };
  let added = 0;
  let removed = 0;
  const hunks = patch.hunks.map((hunk) => ({
    oldStart: hunk.oldStart,
    oldLines: hunk.oldLines,
    newStart: hunk.newStart,
    newLines: hunk.newLines,
    lines: hunk.lines.flatMap((line): DiffLine[] => {
      const text = line.slice(1);
      switch (line[0]) {
        case '+':
          added++;
          return [{ op: 'add', text }];
        case '-':
          removed++;
          return [{ op: 'del', text }];
        case ' ':
          return [{ op: 'eq', text }];
        default:
          // '\ No newline at end of file' cannot occur on normalised bodies.
          return [];
      }
    }),
  }));
  const unified = patch.hunks.length === 0 ? '' : formatPatch(patch, { includeIndex: false, includeUnderline: false, includeFileHeaders: true });
  return { from, to, added, removed, hunks, unified };
}
