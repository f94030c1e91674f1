import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { storeConformance } from './conformance.js';

storeConformance('MemoryStore', {
  create: async () => new MemoryStore(),
  reopen: async (s) => {
    await s.close();
    return (s as MemoryStore).snapshot();
  },
});
