import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { sqliteReadFile } from './stores.js';

/*
 * The embedded read models live in ruche-read.sqlite, beside the event log's ruche.sqlite; a data
 * directory from before the split keeps them in ruche.sqlite (its sessions and audit with them).
 */
describe('the SQLite read store file', () => {
  let dir: string;
  let config: { sqliteFile: string; sqliteReadFile: string };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ruche-read-file-'));
    config = { sqliteFile: path.join(dir, 'ruche.sqlite'), sqliteReadFile: path.join(dir, 'ruche-read.sqlite') };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const table = (file: string, name: string): void => {
    const db = new Sqlite(file);
    db.exec(`CREATE TABLE ${name} (name TEXT PRIMARY KEY)`);
    db.close();
  };

  it('is its own file in a new data directory, and beside a log that holds no read model', () => {
    expect(sqliteReadFile(config)).toBe(config.sqliteReadFile);
    table(config.sqliteFile, 'es_events');
    expect(sqliteReadFile(config)).toBe(config.sqliteReadFile);
  });

  it("stays in the log's file where an older deployment keeps its read models", () => {
    table(config.sqliteFile, 'projection_checkpoints');
    expect(sqliteReadFile(config)).toBe(config.sqliteFile);
    // Once the read file exists, it is the one.
    writeFileSync(config.sqliteReadFile, '');
    expect(sqliteReadFile(config)).toBe(config.sqliteReadFile);
  });
});
