// bench/storage.ts imports the journal from here; the journal itself is lowdb/journal.ts.
export * from './lowdb/journal.js';
