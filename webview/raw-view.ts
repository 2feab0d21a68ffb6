import { el } from "./dom";
import { VirtualList } from "./virtual-list";

// The raw mode: the data as pretty JSON (or the markdown source), copyable. A table's JSON can run to a
// million lines, so past PLAIN_LINES the lines are virtualized like table rows; below it a <pre> keeps
// native selection.

const PLAIN_LINES = 5_000;
const LINE_HEIGHT = 18;

export interface RawViewOptions {
  label: string;
  scrollRow: number;
  onCopy(text: string): void;
  onState(patch: { scrollRow: number }): void;
}

export class RawView {
  readonly element: HTMLElement;
  private readonly content: HTMLElement;
  private readonly copyButton: HTMLElement;
  private text: string | undefined;
  private list: VirtualList | undefined;

  constructor(private readonly o: RawViewOptions) {
    this.copyButton = el("vscode-button", { secondary: "", class: "copy-raw", disabled: "" }, "Copy");
    this.copyButton.addEventListener("click", () => {
      if (this.text !== undefined) this.o.onCopy(this.text);
    });
    this.content = el("div", { class: "raw-content" }, el("p", { class: "muted" }, "Loading the raw data…"));
    this.element = el("div", { class: "raw-view" }, el("div", { class: "raw-tools" }, el("span", { class: "raw-label" }, o.label), el("span", { class: "spacer" }), this.copyButton), this.content);
  }

  get loaded(): boolean {
    return this.text !== undefined;
  }

  setText(text: string): void {
    this.text = text;
    this.copyButton.removeAttribute("disabled");
    this.list?.dispose();
    this.content.replaceChildren();
    const lines = text.split("\n");
    if (lines.length <= PLAIN_LINES) {
      const pre = el("pre", { class: "raw", tabindex: "0" }, text);
      this.content.append(pre);
      return;
    }
    const widest = lines.reduce((w, l) => Math.max(w, l.length), 0);
    const body = el("div", { class: "raw-lines" });
    body.style.width = `${widest + 2}ch`;
    const scroller = el("div", { class: "raw raw-scroller", tabindex: "0" }, body);
    this.content.append(scroller);
    this.list = new VirtualList({
      scroller,
      body,
      rowHeight: LINE_HEIGHT,
      createRow: () => el("div", { class: "raw-line" }),
      fillRow: (row, i) => {
        row.textContent = lines[i];
      },
    });
    this.list.reset(lines.length);
    if (this.o.scrollRow > 0) this.list.scrollToRow(this.o.scrollRow);
    scroller.addEventListener("scroll", () => this.o.onState({ scrollRow: this.list?.firstVisible() ?? 0 }), { passive: true });
  }

  dispose(): void {
    this.list?.dispose();
  }
}
