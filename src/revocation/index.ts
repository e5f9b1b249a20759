/** Session revocation: the store seam, the in-memory default and the local set both share. */
export { createMemoryRevocationStore, type MemoryRevocationStoreOptions } from './memory-store.js'
export { RevocationSet, isRevocationEntry, type RevocationEntry, type RevocationSubject } from './revocation-set.js'
export type { RevocationStatus, RevocationStore, RevocationVerdict } from './store.js'
