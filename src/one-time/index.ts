/** The one-time store: its interface and the in-memory default. */
export { isOneTimeStore, type OneTimeStore } from './store.js'
export {
  createMemoryOneTimeStore,
  DEFAULT_MAX_ONE_TIME_ENTRIES,
  type MemoryOneTimeStoreOptions,
} from './memory-store.js'
