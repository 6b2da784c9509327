/** A person who may be mentioned: a member of the space the text was written in. */
export interface MentionCandidate {
  userId: string;
  displayName: string;
  email: string;
}

const WORD = /[\p{L}\p{N}_]/u;

/** Text compared without case and in one Unicode form ("É" typed two ways is one letter). */
function fold(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase('fr');
}

/**
 * Where a name typed at `index` ends well: at the end of the text, or before a character that
 * cannot continue it (a space, punctuation). A `.` or `-` ends it only when no letter follows,
 * so "@marie.curie." names marie.curie but "@marie.curie2" does not name marie.curie.
 */
function endsAt(text: string, index: number): boolean {
  const next = text[index];
  if (next === undefined) return true;
  if (WORD.test(next)) return false;
  if (next === '.' || next === '-') {
    const after = text[index + 1];
    return after === undefined || !WORD.test(after);
  }
  return true;
}

/**
 * The people `body` mentions with `@`: by display name ("@Marie Curie") or by the local part of
 * their e-mail ("@marie.curie"), without case. An `@` inside a word (an e-mail address) is no
 * mention; where several names match at one `@` ("@Marie" and "@Marie Curie"), the longest wins.
 */
export function findMentions(body: string, candidates: readonly MentionCandidate[]): Set<string> {
  const found = new Set<string>();
  if (!body.includes('@') || candidates.length === 0) return found;
  const text = fold(body);
  const names = candidates.flatMap((candidate) => {
    const local = candidate.email.slice(0, Math.max(0, candidate.email.lastIndexOf('@')));
    return [fold(candidate.displayName.trim()), fold(local)]
      .filter((name) => name.length > 0)
      .map((name) => ({ name, userId: candidate.userId }));
  });
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    const before = at > 0 ? text[at - 1]! : '';
    if (before && (WORD.test(before) || before === '.' || before === '-')) continue;
    let longest = 0;
    let who: string[] = [];
    for (const { name, userId } of names) {
      if (name.length < longest || !text.startsWith(name, at + 1) || !endsAt(text, at + 1 + name.length)) continue;
      if (name.length > longest) {
        longest = name.length;
        who = [];
      }
      who.push(userId);
    }
    for (const userId of who) found.add(userId);
  }
  return found;
}
