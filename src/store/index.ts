// The Flowline store (docs/STORE.md): an index, segments and payload files under a Flowline home,
// folded from the engines' journals.
//
//   openStore(home, opts?)  Promise<Store>    creates folders; converts a 1.0 database on first open
//   store.sync()            folds every journal, crash-marks dead writers' runs, applies retention
//   reads (no lock): listFlowRuns, getFlowRun, listTaskRuns, getTaskRun, getStateHistory, getLogs,
//     listArtifacts, getArtifactVersions, listArtifactKeys, getArtifact, findArtifact, homeSize
//   writes (under the lock): markRuns, deleteArtifact, deleteArtifactKey, prune

export type * from "./types";
export { openStore, Store, type OpenStoreOptions } from "./store";
export { StoreLookupError } from "./reads";
export { NewerSchemaError, INDEX_SCHEMA_VERSION as SCHEMA_VERSION } from "./schema";
export { CorruptDatabaseError } from "./db-file";
export { StoreBusyError, StoreConflictError } from "./lock";
export type { StoreApi } from "./api";
export { setSqlWasmPath } from "./sqljs";
