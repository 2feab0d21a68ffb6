import { teamDrivers } from "./drivers";
import { CHANGES_CHANNEL } from "./pg-schema";
import { teamPool } from "./pg-pool";

// Live changes in team mode: one connection LISTENs on the channel every commit of runs or artifacts
// notifies (pg-writer.ts, pg-store.ts), so the editor's trees refresh when any machine writes, without
// polling. A lost connection is re-established after a pause, and a change is assumed meanwhile.

export interface ChangeListener {
  close(): void;
}

export function listenForChanges(url: string, onChange: (kinds: string) => void, onError: (err: Error) => void = () => undefined): ChangeListener {
  let closed = false;
  let client: InstanceType<ReturnType<typeof teamDrivers>["pg"]["Client"]> | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (closed) return;
    try {
      await teamPool(url); // the schema exists before anyone listens
      const { pg } = teamDrivers();
      const c = new pg.Client({ connectionString: url, application_name: "flowline-listen" });
      client = c;
      c.on("notification", (n) => {
        if (n.channel === CHANGES_CHANNEL) onChange(n.payload ?? "");
      });
      c.on("error", (err) => again(err));
      await c.connect();
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
      if (closed) void c.end();
    } catch (err) {
      again(err as Error);
    }
  };
  const again = (err: Error): void => {
    if (closed || retry) return;
    onError(err);
    void client?.end().catch(() => undefined);
    client = undefined;
    retry = setTimeout(() => {
      retry = undefined;
      onChange("runs,artifacts"); // whatever happened while it was away
      void connect();
    }, 2000);
    retry.unref?.();
  };
  void connect();
  return {
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      void client?.end().catch(() => undefined);
    },
  };
}
