// The Restate services both the driver and the cold-start script serve: durable handlers whose steps
// (ctx.run) are journaled by the Restate server before the handler goes on.

// The SDK calls Promise.withResolvers, which Node 22 has and Node 20 (this project's) does not.
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new this((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};

import * as restate from "@restatedev/restate-sdk";
import { payload } from "./protocol.mjs";

export { restate };

const inc = async (x) => x + 1;

export const bench = restate.service({
  name: "bench",
  handlers: {
    three: async (ctx, x) => {
      x = await ctx.run("inc", () => inc(x));
      x = await ctx.run("inc", () => inc(x));
      return ctx.run("inc", () => inc(x));
    },
    noopSeq: async (ctx, n) => {
      for (let i = 0; i < n; i++) await ctx.run("noop", async () => i);
      return n;
    },
    noopFan: async (ctx, n) => {
      await restate.RestatePromise.all(Array.from({ length: n }, (_, i) => ctx.run("noop", async () => i)));
      return n;
    },
    persist: async (ctx, n) => {
      for (let i = 0; i < n; i++) await ctx.run("keep", async () => payload(i));
      return n;
    },
  },
});

export const cold = restate.service({
  name: "cold",
  handlers: {
    trivial: async (ctx) => ctx.run("one", async () => 1),
  },
});

/** Registers the endpoint at `uri` with the server (the server discovers its services over HTTP). */
export async function register(adminUrl, uri) {
  const res = await fetch(`${adminUrl}/deployments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ uri, force: true }),
  });
  if (!res.ok) throw new Error(`registering ${uri} with Restate failed: ${res.status} ${await res.text()}`);
}

/** Calls a handler through the server's ingress and resolves to its JSON result. */
export async function call(ingressUrl, service, handler, body) {
  const res = await fetch(`${ingressUrl}/${service}/${handler}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${service}/${handler} failed: ${res.status} ${await res.text()}`);
  return res.json();
}
