import { strict as assert } from "node:assert";
import {
  argumentsFromParameters, bindArguments, defaultParameters, describeParameters, flowParameters, paramSpec, parameterNames,
  type AnyFunction,
} from "../../src/engine/params";
import { validateParameters } from "../../src/extension/parameters";

// Real functions, compiled by tsx (esbuild) the same way user flow files are.
// Note: esbuild renames a positional parameter that shadows a top-level name of the file (`a` → `a2`),
// so these avoid top-level names that collide with parameter names.
const hello = async ({ name = "world" }: { name?: string } = {}) => `hello ${name}`;
const plus = (a: number, b = 2) => a + b;
function withRest(first: string, ...others: number[]) { return [first, others]; }
const notLiteral = ({ when = new Date(), label = "x" }: { when?: Date; label?: string }) => `${label}${when.getTime()}`;
const noParams = async () => 42;
const openPattern = ({ id, ...extra }: { id: number; [k: string]: unknown }) => ({ id, extra });
const single = (opts: { name?: string }) => opts.name ?? "none";

async function call(fn: (...args: any[]) => unknown, args: unknown[], optionDefaults?: Record<string, unknown>) {
  const bound = bindArguments(paramSpec(fn), args, optionDefaults);
  return { parameters: bound.parameters, result: await fn(...bound.callArgs) };
}

describe("params: paramSpec", () => {
  it("reads a destructured object with a literal default", () => {
    const spec = paramSpec(hello);
    assert.equal(spec.kind, "object");
    assert.deepEqual(spec.names, ["name"]);
    assert.deepEqual(spec.defaults, { name: "world" });
    assert.equal(spec.open, false);
    assert.equal(paramSpec(hello), spec, "cached per function");
  });

  it("reads positional names, defaults and rest", () => {
    assert.deepEqual({ ...paramSpec(plus) }, {
      kind: "positional", names: ["a", "b"], rest: undefined, defaults: { b: 2 }, unknownDefaults: [], open: false,
      argumentDefaultUnknown: false,
    });
    const r = paramSpec(withRest);
    assert.deepEqual([r.kind, r.names, r.rest], ["positional", ["first"], "others"]);
    assert.deepEqual(parameterNames(r), ["first", "others"]);
  });

  it("handles arrows without parentheses, generators, async generators", () => {
    const bare = paramSpec(new Function("return x => x * 2")() as AnyFunction);
    assert.deepEqual([bare.kind, bare.names], ["positional", ["x"]]);
    const asyncBare = paramSpec(new Function("return async y => y")() as AnyFunction);
    assert.deepEqual(asyncBare.names, ["y"]);
    function* gen(count = 3) { yield count; }
    async function* agen({ limit = 10 }: { limit?: number }) { yield limit; }
    assert.deepEqual(paramSpec(gen).defaults, { count: 3 });
    assert.deepEqual([paramSpec(agen).kind, paramSpec(agen).defaults], ["object", { limit: 10 }]);
  });

  it("handles object methods, getters, computed names, class and private methods", () => {
    const obj = {
      async run(x: number, y = "k") { return `${x}${y}`; },
      *items(n = -1) { yield n; },
      ["com" + "puted"](z = [1, { w: true }]) { return z; },
      get size() { return 1; },
    };
    class Job {
      static make(kind: string, retries = 0) { return { kind, retries }; }
      #secret(token = `abc`) { return token; }
      peek() { return this.#secret; }
    }
    assert.deepEqual(paramSpec(obj.run).names, ["x", "y"]);
    assert.deepEqual(paramSpec(obj.items).defaults, { n: -1 });
    assert.deepEqual(paramSpec((obj as unknown as Record<string, AnyFunction>).computed).defaults, { z: [1, { w: true }] });
    assert.equal(paramSpec(Object.getOwnPropertyDescriptor(obj, "size")!.get!).kind, "none");
    assert.deepEqual(paramSpec(Job.make).defaults, { retries: 0 });
    assert.deepEqual(paramSpec(new Job().peek()).defaults, { token: "abc" });
  });

  it("knows literal defaults only: negatives, null, templates, arrays, objects", () => {
    const fn = ({ a = -1.5, b = null, c = `t`, d = [1, "x"], e = { f: false }, g = Math.PI, h = `x${1}` }) => [a, b, c, d, e, g, h];
    const spec = paramSpec(fn);
    assert.deepEqual(spec.defaults, { a: -1.5, b: null, c: "t", d: [1, "x"], e: { f: false } });
    assert.deepEqual(spec.unknownDefaults, ["g", "h"]);
  });

  it("does not crash on nested destructuring", () => {
    const nested = ({ a: { b }, c: [d] = [1] }: { a: { b: number }; c?: number[] }) => b + d;
    const spec = paramSpec(nested);
    assert.deepEqual([spec.kind, spec.names, spec.defaults], ["object", ["a", "c"], { c: [1] }]);
    const pos = paramSpec(([x, y]: number[], { z }: { z: number }) => x + y + z);
    assert.deepEqual([pos.kind, pos.names], ["positional", ["arg0", "arg1"]]);
  });

  it("treats native, bound and unparsable functions as unknown, without throwing", () => {
    assert.equal(paramSpec([].push).kind, "unknown");
    assert.equal(paramSpec(plus.bind(null)).kind, "unknown");
    const weird = () => 1;
    Object.defineProperty(weird, "toString", { value: () => "not ( javascript" });
    assert.equal(paramSpec(weird).kind, "none", "reads the real source, not an overridden toString");
    const proxy = new Proxy(plus, {});
    assert.equal(paramSpec(proxy).kind, "unknown");
    assert.equal(bindArguments(paramSpec(proxy), [1, 2]).parameters.arg1, 2);
    assert.deepEqual(bindArguments(paramSpec(proxy), [{ k: 1 }]).parameters, { k: 1 });
  });

  it("marks an object pattern with a rest element as open", () => {
    const spec = paramSpec(openPattern);
    assert.deepEqual([spec.kind, spec.names, spec.open, spec.rest], ["object", ["id"], true, "extra"]);
  });
});

describe("params: bindArguments", () => {
  it("seed case: {} and no argument give the default, {name} wins", async () => {
    assert.deepEqual(await call(hello, [{}]), { parameters: { name: "world" }, result: "hello world" });
    assert.deepEqual(await call(hello, []), { parameters: { name: "world" }, result: "hello world" });
    assert.deepEqual(await call(hello, [{ name: "foo" }]), { parameters: { name: "foo" }, result: "hello foo" });
    assert.deepEqual((await call(hello, [{ name: undefined }])).parameters, { name: "world" });
  });

  it("explicit values win over option defaults, which win over signature defaults", async () => {
    assert.deepEqual((await call(hello, [{}], { name: "opt" })).parameters, { name: "opt" });
    assert.deepEqual((await call(hello, [], { name: "opt" })).result, "hello opt");
    assert.deepEqual((await call(hello, [{ name: "x" }], { name: "opt" })).parameters, { name: "x" });
    assert.deepEqual(await call(plus, [1], { b: 5 }), { parameters: { a: 1, b: 5 }, result: 6 });
  });

  it("does not mutate the caller's object", () => {
    const input = { other: 1 };
    bindArguments(paramSpec(hello), [input]);
    assert.deepEqual(input, { other: 1 });
  });

  it("names positional arguments and applies trailing defaults", async () => {
    assert.deepEqual(await call(plus, [1]), { parameters: { a: 1, b: 2 }, result: 3 });
    assert.deepEqual(await call(plus, [1, 10]), { parameters: { a: 1, b: 10 }, result: 11 });
    assert.deepEqual(bindArguments(paramSpec(plus), [1, 2, 3]).parameters, { a: 1, b: 2, arg2: 3 });
  });

  it("collects a rest parameter", async () => {
    assert.deepEqual(await call(withRest, ["x", 1, 2]), { parameters: { first: "x", others: [1, 2] }, result: ["x", [1, 2]] });
    assert.deepEqual((await call(withRest, ["x"])).parameters, { first: "x", others: [] });
  });

  it("binds methods", async () => {
    const obj = { async run(x: number, y = "k") { return `${x}${y}`; } };
    assert.deepEqual(await call(obj.run, [1]), { parameters: { x: 1, y: "k" }, result: "1k" });
  });

  it("leaves a non-literal default absent and to the function", async () => {
    const { parameters, result } = await call(notLiteral, [{}]);
    assert.deepEqual(parameters, { label: "x" });
    assert.match(String(result), /^x\d+$/);
    const late = (n: number, at = Date.now()) => [n, at];
    const bound = bindArguments(paramSpec(late), [1]);
    assert.deepEqual([bound.parameters, bound.callArgs], [{ n: 1 }, [1]]);
  });

  it("gives {} for a function without parameters", async () => {
    assert.deepEqual(await call(noParams, []), { parameters: {}, result: 42 });
  });

  it("uses the one plain object of a single-identifier function as its parameters", async () => {
    const arg = { name: "ann" };
    const bound = bindArguments(paramSpec(single), [arg]);
    assert.deepEqual(bound.parameters, { name: "ann" });
    assert.notEqual(bound.parameters, arg, "a snapshot, not the caller's object");
    assert.equal(bound.callArgs[0], arg, "fn still gets the caller's object");
    assert.deepEqual(bindArguments(paramSpec((n: number) => n), [5]).parameters, { n: 5 });
    assert.deepEqual(bindArguments(paramSpec(single), [Object.create(null)]).parameters, {});
    class Box { v = 1; }
    assert.deepEqual(bindArguments(paramSpec(single), [new Box()]).parameters.opts, new Box());
  });

  it("gives each call its own copy of an array or object default", async () => {
    const push = ({ list = [] as number[] }) => { list.push(1); return list.length; };
    assert.equal((await call(push, [{}])).result, 1);
    assert.equal((await call(push, [{}])).result, 1);
  });

  it("uses the whole-argument literal default when called with nothing", async () => {
    const fn = ({ a = 1, b = 2 } = { a: 10 }) => a + b;
    assert.deepEqual(await call(fn, []), { parameters: { a: 10, b: 2 }, result: 12 });
    assert.deepEqual(await call(fn, [{}]), { parameters: { a: 1, b: 2 }, result: 3 });
  });

  it("records what fn reads from a non-plain object and passes it untouched", () => {
    class Opts { name = "inst"; }
    const o = new Opts();
    const bound = bindArguments(paramSpec(hello), [o]);
    assert.deepEqual(bound.parameters, { name: "inst" });
    assert.equal(bound.callArgs[0], o);
  });

});

describe("params: argumentsFromParameters", () => {
  it("builds the object for an object spec with defaults", async () => {
    const spec = paramSpec(hello);
    assert.equal(await hello(...(argumentsFromParameters(spec, { name: "cli" }) as [])), "hello cli");
    assert.deepEqual(argumentsFromParameters(spec, {}), [{ name: "world" }]);
    assert.deepEqual(argumentsFromParameters(spec, {}, { name: "opt" }), [{ name: "opt" }]);
  });

  it("throws for an unknown name, naming the flow and what it takes", () => {
    const fn = ({ name = "world", count = 1 }) => `${name}${count}`;
    assert.throws(() => argumentsFromParameters(paramSpec(fn), { nme: "x" }, undefined, 'Flow "my-flow"'),
      { message: 'Flow "my-flow" has no parameter "nme"; it takes: name, count' });
    assert.throws(() => argumentsFromParameters(paramSpec(plus), { c: 1 }, undefined, 'Flow "plus"'), /Flow "plus" has no parameter "c"; it takes: a, b/);
    assert.throws(() => argumentsFromParameters(paramSpec(noParams), { x: 1 }, undefined, 'Flow "np"'), /takes no parameters/);
  });

  it("accepts any key for an open pattern", () => {
    assert.deepEqual(argumentsFromParameters(paramSpec(openPattern), { id: 1, other: 2 }), [{ id: 1, other: 2 }]);
    assert.equal(describeParameters(paramSpec(openPattern)), "takes: id, ...extra");
  });

  it("orders positional parameters, applies defaults, spreads rest and extras", () => {
    assert.deepEqual(argumentsFromParameters(paramSpec(plus), { b: 5, a: 1 }), [1, 5]);
    assert.deepEqual(argumentsFromParameters(paramSpec(plus), { a: 1 }), [1, 2]);
    assert.deepEqual(argumentsFromParameters(paramSpec(plus), { a: 1, arg3: 4 }), [1, 2, undefined, 4]);
    assert.deepEqual(argumentsFromParameters(paramSpec(withRest), { first: "f", others: [1, 2] }), ["f", 1, 2]);
    assert.deepEqual(argumentsFromParameters(paramSpec(withRest), { others: 7 }), [undefined, 7]);
  });

  it("round-trips recorded parameters", () => {
    for (const [fn, args] of [[hello, [{ name: "r" }]], [plus, [1, 9]], [withRest, ["a", 1]], [single, [{ name: "s" }]], [(n: number) => n, [3]]] as const) {
      const spec = paramSpec(fn);
      const { parameters, callArgs } = bindArguments(spec, [...args]);
      assert.deepEqual(argumentsFromParameters(spec, parameters), callArgs);
    }
  });

  it("gives UI prefill defaults", () => {
    assert.deepEqual(defaultParameters(paramSpec(hello)), { name: "world" });
    assert.deepEqual(defaultParameters(paramSpec(plus), { a: 4 }), { a: 4, b: 2 });
    assert.deepEqual(defaultParameters(paramSpec(notLiteral)), { label: "x" });
  });
});

describe("params: flowParameters, the specs a flow process reports", () => {
  it("lists each parameter with what a run given none records for it", () => {
    assert.deepEqual(flowParameters(paramSpec(plus), { a: 4 }), {
      kind: "positional", open: false, parameters: [{ name: "a", required: false, default: 4 }, { name: "b", required: false, default: 2 }],
    });
    assert.deepEqual(flowParameters(paramSpec(withRest)).parameters, [{ name: "first", required: true }, { name: "others", required: false, default: [], rest: true }]);
    assert.deepEqual(flowParameters(paramSpec(notLiteral)).parameters, [{ name: "when", required: false }, { name: "label", required: false, default: "x" }]);
    assert.deepEqual(flowParameters(paramSpec(single), { name: "opt" }), { kind: "positional", open: true, parameters: [{ name: "name", required: false, default: "opt" }] });
  });

  it("leaves out a default that is not plain JSON, which the prompt could not show as it is", () => {
    const odd = ({ big = 10n, nan = NaN, ok = 1 }) => [big, nan, ok];
    assert.deepEqual(flowParameters(paramSpec(odd)).parameters, [{ name: "big", required: false }, { name: "nan", required: false }, { name: "ok", required: false, default: 1 }]);
  });

  it("names the options' parameters too, which a run then accepts", () => {
    const fn = ({ a = 1 }: { a?: number }) => a;
    assert.deepEqual(flowParameters(paramSpec(fn), { b: 2 }).parameters.map((p) => p.name), ["a", "b"]);
    assert.deepEqual(argumentsFromParameters(paramSpec(fn), { b: 3 }, { b: 2 }), [{ a: 1, b: 3 }]);
  });

  it("is one rule: the Run with parameters… prompt refuses exactly the names a run refuses", () => {
    const fns: AnyFunction[] = [hello, plus, withRest, notLiteral, noParams, openPattern, single, (n: number) => n];
    const names = [[], ["name"], ["nme"], ["a", "b"], ["c"], ["first", "others"], ["others"], ["arg0"], ["arg1"], ["arg2", "a"], ["id", "zz"], ["when", "label"], ["n"]];
    for (const fn of fns) {
      for (const keys of names) {
        const values = Object.fromEntries(keys.map((k) => [k, 1]));
        const prompt = validateParameters(JSON.stringify(values), flowParameters(paramSpec(fn)));
        let run: string | undefined;
        try {
          argumentsFromParameters(paramSpec(fn), values);
        } catch (err) {
          run = (err as Error).message;
        }
        assert.equal(prompt === undefined, run === undefined, `${fn.toString().slice(0, 40)} with ${keys.join(", ")}: prompt says ${prompt}, run says ${run}`);
      }
    }
  });
});
