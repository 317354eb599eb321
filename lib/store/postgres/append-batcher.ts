/**
 * Group commit of appendMessage: the calls of one event-loop turn go to the database together, as
 * one call of the `append_messages_context` function (one round trip, one statement, so one
 * transaction), at most MAX_BATCH messages each and at most WRITE_BATCHES batches in flight; what
 * arrives while they are all busy waits for the next one. Each promise resolves after the COMMIT
 * that holds its message, and a batch that fails rejects exactly its own messages.
 */
import { ChatClosedError, StoreUnavailableError, type Message, type NewMessage } from '../store.js';
import type { Database } from './database.js';
import type { AppendRow } from './rows.js';

/** Most messages one append_messages call carries. */
const MAX_BATCH = 500;
/**
 * Batches in flight at once: enough to overlap one batch's round trip and commit with the next
 * one's work, few enough that under load messages gather into large batches (one transaction for
 * many), and that the pool keeps connections for reads.
 */
const WRITE_BATCHES = 3;

type Appended = { message: Message; duplicate: boolean };

interface Pending {
  input: NewMessage;
  resolve(result: Appended): void;
  reject(error: unknown): void;
}

export class AppendBatcher {
  #db: Database;
  #append: string;
  #queue: Pending[] = [];
  #batchesInFlight = 0;
  /** The batches in flight, for drain() to wait for. */
  #writing = new Set<Promise<void>>();
  #flushScheduled = false;
  /** Appends with a clientId queued or in flight, by chat, side and clientId: a second one shares the first's write. */
  #appending = new Map<string, Promise<Appended>>();

  constructor(db: Database) {
    this.#db = db;
    this.#append = `SELECT * FROM ${db.s}.append_messages_context($1::bigint[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::jsonb[], $7::bigint)`;
  }

  /** Queues the message for the next batch (the batch's query waits for the migration). */
  append(input: NewMessage): Promise<Appended> {
    if (input.clientId === undefined) return this.#enqueue(input);
    const key = `${input.chatId}\u0000${input.from}\u0000${input.clientId}`;
    const first = this.#appending.get(key);
    // The same key already on its way: its write is this one's, as a duplicate.
    if (first) return first.then(({ message }) => ({ message: { ...message }, duplicate: true }));
    const write = this.#enqueue(input);
    this.#appending.set(key, write);
    const forget = () => {
      if (this.#appending.get(key) === write) this.#appending.delete(key);
    };
    write.then(forget, forget);
    return write;
  }

  /** Resolves once every message accepted so far is written (or failed). */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#writing.size > 0) {
      this.#flush();
      await Promise.allSettled([...this.#writing]);
    }
  }

  #enqueue(input: NewMessage): Promise<Appended> {
    // A copy: the caller may change its object while the message waits for its batch.
    const copy: NewMessage = { chatId: input.chatId, from: input.from, text: input.text, clientDate: input.clientDate };
    if (input.clientId !== undefined) copy.clientId = input.clientId;
    if (input.context !== undefined) copy.context = input.context;
    return new Promise((resolve, reject) => {
      this.#queue.push({ input: copy, resolve, reject });
      this.#scheduleFlush();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#queue.length === 0 || this.#batchesInFlight >= WRITE_BATCHES) return;
    this.#flushScheduled = true;
    // After the current turn: everything that arrived in it goes in the same batch.
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    while (this.#queue.length > 0 && this.#batchesInFlight < WRITE_BATCHES) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      this.#batchesInFlight++;
      const written: Promise<void> = this.#write(batch).finally(() => {
        this.#batchesInFlight--;
        this.#writing.delete(written);
        this.#scheduleFlush();
      });
      this.#writing.add(written);
    }
  }

  /** One round trip for the whole batch; settles every promise of it. */
  async #write(batch: Pending[]): Promise<void> {
    let rows: AppendRow[];
    try {
      rows = await this.#db.query<AppendRow>(
        this.#append,
        [
          batch.map((p) => p.input.chatId),
          batch.map((p) => p.input.from),
          batch.map((p) => p.input.text),
          batch.map((p) => p.input.clientDate),
          batch.map((p) => p.input.clientId ?? null),
          batch.map((p) => (p.input.context ? JSON.stringify(p.input.context) : null)),
          Date.now(),
        ],
        'ahchat-append',
      );
    } catch (error) {
      // The database is away: every message of this batch fails, none is confirmed. Any other
      // error is one message's fault (an input the database refuses): each goes again on its own,
      // so the others are not refused with it.
      if (error instanceof StoreUnavailableError || batch.length === 1) {
        for (const p of batch) p.reject(error);
      } else {
        await Promise.all(batch.map((p) => this.#write([p])));
      }
      return;
    }
    const byOrd = new Map<number, AppendRow>();
    for (const row of rows) byOrd.set(Number(row.o_ord), row);
    batch.forEach((p, i) => {
      const row = byOrd.get(i + 1);
      if (!row) return p.reject(new Error(`appendMessage: no answer for message ${i + 1} of a batch`));
      if (row.o_outcome === 'missing') return p.reject(new Error(`appendMessage: no chat with id ${p.input.chatId}`));
      if (row.o_outcome === 'closed') return p.reject(new ChatClosedError(p.input.chatId));
      const message: Message = {
        id: row.o_id!,
        chatId: Number(row.o_chat_id),
        from: row.o_from!,
        text: row.o_text!,
        createdAt: Number(row.o_created_at),
        clientDate: row.o_client_date!,
      };
      if (row.o_client_id !== null) message.clientId = row.o_client_id;
      if (row.o_context) message.context = row.o_context;
      p.resolve({ message, duplicate: row.o_outcome === 'duplicate' });
    });
  }
}
