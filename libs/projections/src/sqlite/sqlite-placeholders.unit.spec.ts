import { translatePlaceholders } from './sqlite-placeholders.js';

describe('translatePlaceholders', () => {
  it('turns $n into ?n and reports the highest number', () => {
    expect(translatePlaceholders('SELECT * FROM t WHERE a = $1 AND b = $12 OR c = $1')).toEqual({
      sql: 'SELECT * FROM t WHERE a = ?1 AND b = ?12 OR c = ?1',
      parameterCount: 12,
      positional: false,
    });
  });

  it('uses plain ? when the placeholders come once each, $1 to $n in order', () => {
    expect(translatePlaceholders('INSERT INTO t VALUES ($1, $2), ($3, $4)')).toEqual({
      sql: 'INSERT INTO t VALUES (?, ?), (?, ?)',
      parameterCount: 4,
      positional: true,
    });
    // Out of order, repeated or with a gap: numbered.
    expect(translatePlaceholders('UPDATE t SET a = $2 WHERE b = $1').positional).toBe(false);
    expect(translatePlaceholders('SELECT $1, $1').positional).toBe(false);
    expect(translatePlaceholders('SELECT $1, $3').positional).toBe(false);
    expect(translatePlaceholders('SELECT 1').positional).toBe(false);
  });

  it('leaves string literals, quoted identifiers and comments alone', () => {
    const sql = `SELECT '$1 it''s $2', "col$1", x -- costs $3\n, $1 /* $4 */ FROM t`;
    expect(translatePlaceholders(sql)).toEqual({
      sql: `SELECT '$1 it''s $2', "col$1", x -- costs $3\n, ? /* $4 */ FROM t`,
      parameterCount: 1,
      positional: true,
    });
  });

  it('does not mistake a $ inside an identifier for a placeholder', () => {
    expect(translatePlaceholders('SELECT a$1 FROM t')).toEqual({ sql: 'SELECT a$1 FROM t', parameterCount: 0, positional: false });
  });

  it('refuses $0', () => {
    expect(() => translatePlaceholders('SELECT $0')).toThrow(/Invalid placeholder/);
  });
});
