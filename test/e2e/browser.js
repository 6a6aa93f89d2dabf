// browser.js drives the system's Chromium through playwright-core (no
// browser download) for the Go tests: one JSON command per stdin line,
// one JSON answer per stdout line, in order.
//
// Usage: node browser.js CHROMIUM USER_DATA_DIR
// Commands, each with an id echoed in its answer {"id":…,"ok":…,"value"|"error":…}:
//   {"op":"open","page":P,"url":U[,"width":W,"height":H]}
//                                                   a new tab P showing U (viewport W×H px)
//   {"op":"waitText","page":P,"selector":S,"text":T,"timeout_ms":N}
//                                                   S's text contains T; answers the text
//   {"op":"waitGone","page":P,"selector":S,"timeout_ms":N}
//                                                   no element matches S any more
//   {"op":"text"|"html","page":P,"selector":S}      textContent / innerHTML of S
//   {"op":"attr","page":P,"selector":S,"name":A}    S's attribute A ("" when absent)
//   {"op":"rects","page":P,"selector":S}            [{x,y,width,height}] of every match of S
//   {"op":"eval","page":P,"js":E}                   the value of the expression E in the page
//   {"op":"fill","page":P,"selector":S,"text":T}    types T into the input S
//   {"op":"click","page":P,"selector":S}
//   {"op":"screenshot","page":P,"path":F}           a full-page PNG
//   {"op":"eval","page":P,"script":S}               evaluates the expression S in the page; answers its value
// Page errors and console messages are printed as {"ev":"console",…}.
// Closing stdin closes the browser.
"use strict";

const readline = require("readline");
const { chromium } = require("playwright-core");

const [executablePath, userDataDir] = process.argv.slice(2);
const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

async function main() {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath, headless: true, args: flags, viewport: { width: 1000, height: 700 },
  });
  const pages = new Map();
  const page = (name) => {
    const p = pages.get(name);
    if (!p) throw new Error("no page " + name);
    return p;
  };
  const ops = {
    async open(c) {
      const p = await context.newPage();
      p.on("console", (m) => print({ ev: "console", page: c.page, type: m.type(), text: m.text() }));
      p.on("pageerror", (e) => print({ ev: "console", page: c.page, type: "pageerror", text: String(e) }));
      pages.set(c.page, p);
      if (c.width) await p.setViewportSize({ width: c.width, height: c.height || 700 });
      await p.goto(c.url);
    },
    async waitText(c) {
      const h = await page(c.page).waitForFunction(([sel, text]) => {
        const el = document.querySelector(sel);
        return el && el.textContent.includes(text) ? el.textContent : false;
      }, [c.selector, c.text], { timeout: c.timeout_ms || 10000 });
      return h.jsonValue();
    },
    async waitGone(c) {
      await page(c.page).waitForFunction((sel) => !document.querySelector(sel), c.selector,
        { timeout: c.timeout_ms || 10000 });
    },
    async attr(c) {
      return (await page(c.page).locator(c.selector).getAttribute(c.name)) || "";
    },
    rects: (c) => page(c.page).$$eval(c.selector, (els) => els.map((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    })),
    eval: (c) => page(c.page).evaluate(c.js),
    text: (c) => page(c.page).locator(c.selector).textContent(),
    html: (c) => page(c.page).locator(c.selector).innerHTML(),
    fill: (c) => page(c.page).locator(c.selector).fill(c.text),
    click: (c) => page(c.page).locator(c.selector).click(),
    async screenshot(c) {
      await page(c.page).screenshot({ path: c.path, fullPage: true });
    },
  };

  // Commands run one after another, in the order they came.
  let queue = Promise.resolve();
  const lines = readline.createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    queue = queue.then(async () => {
      let c = {};
      try {
        c = JSON.parse(line);
        const op = ops[c.op];
        if (!op) throw new Error("unknown op " + c.op);
        const value = await op(c);
        print({ id: c.id, ok: true, value: value === undefined ? null : value });
      } catch (e) {
        print({ id: c.id, ok: false, error: String(e && e.message ? e.message : e) });
      }
    });
  });
  lines.on("close", () => {
    queue.then(() => context.close()).then(() => process.exit(0), () => process.exit(1));
  });
}

main().catch((e) => {
  print({ ev: "fatal", error: String(e && e.stack ? e.stack : e) });
  process.exit(1);
});
