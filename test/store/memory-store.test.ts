import { memoryStore } from '../../lib/store/memory-store.js';
import { storeContract } from './contract.js';
import { inboxContract } from './inbox-contract.js';

storeContract('memoryStore', async () => {
  const store = memoryStore();
  return { store, cleanup: () => store.close() };
});

inboxContract('memoryStore', async () => {
  const store = memoryStore();
  return { store, cleanup: () => store.close() };
});
