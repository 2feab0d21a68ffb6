import { strict as assert } from "node:assert";
import { artifact, useBrowser, PanelPage } from "./harness";

// Artifacts hold whatever a flow wrote. Hostile markdown and data must render inert everywhere the panel
// shows text (description, markdown body, table headers and cells, link text and URL, image source): no
// script runs, no dialog opens, no element that could run or load something exists, and the CSP never
// has to step in (nothing even tries).

const PAYLOADS = [
  "<script>window.__pwned = 'script'</script>",
  '<img src=x onerror="window.__pwned = \'img\'">',
  '<svg onload="window.__pwned = \'svg\'"><script>window.__pwned = "svg-script"</script></svg>',
  "[click me](javascript:window.__pwned='link')",
  "[upper](JAVASCRIPT:window.__pwned='upper')",
  "[entity](&#106;avascript:window.__pwned='entity')",
  "[spaced](  javascript:window.__pwned='spaced')",
  "[vb](vbscript:msgbox(1))",
  "[html](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0nZGF0YSc8L3NjcmlwdD4=)",
  "![svg image](data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4=)",
  "![js image](javascript:alert(1))",
  "![http image](http://images.test/tracker.png)",
  '<iframe src="javascript:alert(1)"></iframe><object data="x"></object><embed src="x">',
  '<a href="javascript:alert(1)">raw anchor</a>',
  "<details open ontoggle=alert(1)>x</details>",
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
  '<style>body { display: none }</style><link rel="stylesheet" href="https://evil.test/x.css">',
  "<form action=https://evil.test><button>go</button></form>",
  "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
  "`<script>alert(1)</script>` and <scr<script>ipt>alert(1)</script>",
  "[file](file:///etc/passwd)",
].join("\n\n");

describe("hostile artifact content (webview)", function () {
  this.timeout(60_000);
  const browser = useBrowser();

  it("renders hostile markdown, tables, links and images inert", async () => {
    const p = await PanelPage.open(browser());
    const shows = [
      artifact("markdown", PAYLOADS, { key: "evil-markdown", description: PAYLOADS }),
      artifact("table", PAYLOADS.split("\n\n").map((cell, i) => ({ [`<img src=x onerror="window.__pwned='header'">`]: cell, n: i })), { description: PAYLOADS }),
      artifact("link", { url: "javascript:window.__pwned='link-artifact'", text: '<img src=x onerror="window.__pwned=\'link-text\'">' }),
      artifact("link", "[<b>bold</b>](javascript:alert(1))"),
      artifact("image", "javascript:alert(1)"),
      artifact("image", '"><img src=x onerror=alert(1)>'),
    ];
    let load = 0;
    for (const a of shows) {
      // The host's own image check would refuse these; pass them through to test the webview's.
      await p.show(a, { resolveImage: (s) => ({ src: s }) }, ++load);
      // Click everything that looks like a link, and every raw toggle.
      for (const link of await p.page.locator("a").all()) await link.click({ force: true, timeout: 2000 }).catch(() => undefined);
      await p.page.click(".mode-raw");
      await p.page.click(".mode-rendered");
      const report = await p.page.evaluate(() => {
        const all = [...document.querySelectorAll("*")];
        const attrs = all.flatMap((e) => [...e.attributes].map((a) => ({ tag: e.tagName.toLowerCase(), name: a.name, value: a.value })));
        return {
          pwned: (window as unknown as { __pwned?: string }).__pwned,
          scripts: document.scripts.length,
          dangerous: all.filter((e) => /^(iframe|object|embed|svg|math|style|form|meta|link|base|details)$/i.test(e.tagName) && !e.closest("head")).map((e) => e.tagName),
          handlers: attrs.filter((a) => a.name.startsWith("on")),
          hrefs: attrs.filter((a) => a.name === "href" && a.tag === "a"),
          scriptUrls: attrs.filter((a) => /^\s*(javascript|vbscript|data:text|file):/i.test(a.value)),
          images: [...document.images].map((i) => i.getAttribute("src")),
          violations: (window as unknown as { __violations: string[] }).__violations,
        };
      });
      const what = `${a.type} ${a.key ?? ""}`;
      assert.equal(report.pwned, undefined, `${what}: a payload ran`);
      assert.equal(report.scripts, 1, `${what}: only the panel's own script`);
      assert.deepEqual(report.dangerous, [], what);
      assert.deepEqual(report.handlers, [], what);
      assert.deepEqual(report.hrefs, [], `${what}: links carry data-href, never href`);
      assert.deepEqual(report.scriptUrls, [], what);
      for (const src of report.images) assert.match(src ?? "", /^(https:|data:image\/(png|jpeg|gif|webp);)/, `${what}: image ${src}`);
      assert.deepEqual(report.violations, [], `${what}: the CSP never had to block anything`);
    }
    // The markdown's text is still all there, escaped, for the reader to see.
    await p.show(shows[0], {}, ++load);
    assert.match(await p.text(".markdown-body"), /<script>window.__pwned = 'script'<\/script>/);
    // Whatever was clicked, only safe schemes (or nothing) reached the host, which validates again.
    for (const m of await p.postedOf("openLink")) assert.doesNotMatch(m.href, /^\s*(javascript|vbscript|data):/i, m.href);
    assert.deepEqual(p.dialogs, [], "no dialog opened");
    assert.deepEqual(p.errors, []);
    await p.close();
  });
});
