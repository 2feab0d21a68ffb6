// A list that keeps only the rows in view (plus a few) in the DOM, absolutely positioned in a tall body, so
// 100,000 rows cost what 50 do. Rows have one fixed height. Browsers cap an element's height (Chromium at
// about 33 million px), so past MAX_BODY the body stays that tall and scrolling maps proportionally onto
// the rows: 10 million rows still scroll end to end.

const MAX_BODY = 8_000_000;
const OVERSCAN = 8;
const MAX_POOL = 100;

export interface VirtualListOptions {
  /** The element that scrolls (overflow: auto). */
  scroller: HTMLElement;
  /** Inside the scroller; gets the height of all rows (position: relative). */
  body: HTMLElement;
  /** A sticky header above the body in the scroller: rows under it are not in view. */
  header?: HTMLElement;
  rowHeight: number;
  createRow(): HTMLElement;
  fillRow(el: HTMLElement, index: number): void;
}

export class VirtualList {
  private count = 0;
  private readonly shown = new Map<number, HTMLElement>();
  private readonly pool: HTMLElement[] = [];
  private readonly resize: ResizeObserver;

  constructor(private readonly o: VirtualListOptions) {
    o.scroller.addEventListener("scroll", () => this.render(false), { passive: true });
    this.resize = new ResizeObserver(() => this.render(false));
    this.resize.observe(o.scroller);
  }

  get length(): number {
    return this.count;
  }

  /** New row count, or the same rows in another order: every row shown is filled again. */
  reset(count: number): void {
    this.count = count;
    this.o.body.style.height = `${Math.min(count * this.o.rowHeight, MAX_BODY)}px`;
    this.render(true);
  }

  /** More rows at the end (the ones shown keep their content). */
  grow(count: number): void {
    this.count = count;
    this.o.body.style.height = `${Math.min(count * this.o.rowHeight, MAX_BODY)}px`;
    this.render(false);
  }

  /** The first row in view, for saving the scroll position independent of pixel mapping. */
  firstVisible(): number {
    return Math.floor(this.virtualTop() / this.o.rowHeight);
  }

  scrollToRow(index: number): void {
    const { scroller, rowHeight } = this.o;
    const content = this.count * rowHeight;
    const bodyHeight = Math.min(content, MAX_BODY);
    const view = this.viewHeight();
    const ratio = content > bodyHeight && content > view ? (bodyHeight - view) / (content - view) : 1;
    scroller.scrollTop = this.bodyStart() + index * rowHeight * ratio;
    this.render(false);
  }

  dispose(): void {
    this.resize.disconnect();
  }

  /** The scrollTop at which the body's first pixel shows just below the sticky header. */
  private bodyStart(): number {
    return this.o.body.offsetTop - (this.o.header?.offsetHeight ?? 0);
  }

  /** The height of the scroller's visible part that rows can show in. */
  private viewHeight(): number {
    return (this.o.scroller.clientHeight || 600) - (this.o.header?.offsetHeight ?? 0);
  }

  /** The body's y at the top of what is in view. */
  private inBody(): number {
    return Math.max(0, this.o.scroller.scrollTop - this.bodyStart());
  }

  /** The pixel offset of the view's top into the full (unscaled) list of rows. */
  private virtualTop(): number {
    const inBody = this.inBody();
    const content = this.count * this.o.rowHeight;
    const bodyHeight = Math.min(content, MAX_BODY);
    const view = this.viewHeight();
    if (content <= bodyHeight || bodyHeight <= view) return inBody;
    return (inBody * (content - view)) / (bodyHeight - view);
  }

  private render(refill: boolean): void {
    const { body, rowHeight } = this.o;
    // Reads first, then writes: one layout per render.
    const inBody = this.inBody();
    const top = this.virtualTop();
    const view = this.viewHeight();
    const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
    const last = Math.min(this.count, Math.ceil((top + view) / rowHeight) + OVERSCAN);
    for (const [i, el] of this.shown) {
      if (i < first || i >= last || refill) {
        this.shown.delete(i);
        this.pool.push(el);
      }
    }
    for (let i = first; i < last; i++) {
      let el = this.shown.get(i);
      if (!el) {
        el = this.pool.pop() ?? this.o.createRow();
        this.o.fillRow(el, i);
        el.hidden = false;
        if (!el.parentNode) body.appendChild(el);
        this.shown.set(i, el);
      }
      el.style.transform = `translateY(${inBody + i * rowHeight - top}px)`;
    }
    // Spare rows stay for reuse but hidden, so find-in-page and screen readers see only real rows.
    for (const el of this.pool) el.hidden = true;
    for (const el of this.pool.splice(MAX_POOL)) el.remove();
  }
}
