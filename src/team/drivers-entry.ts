// The entry of dist/team-drivers.js: the driver and the queue, bundled once, required only in team mode.
import * as pg from "pg";
import PgBoss from "pg-boss";

export { pg, PgBoss };
