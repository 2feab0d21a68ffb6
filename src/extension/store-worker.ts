import { serveStore } from "../store/worker-main";
import { STORE_EXTRAS } from "./store-extras";

// The entry of dist/store-worker.js: the extension's store runs in this worker thread (StoreService
// starts it), serving the store's methods and the extension's reads that run next to it.

serveStore(STORE_EXTRAS);
