import type { ArtifactHeader, VersionInfo } from "../src/shared/panel-protocol";
import { el, time } from "./dom";
import { renderMarkdown } from "./markdown";

// The artifact's header: key and type, "version n of m" with a switcher, whether the panel follows the
// key's new versions, its created time, links to its flow run and task run, and the description.

export interface HeaderOptions {
  onSelectVersion(id: string): void;
}

export class HeaderView {
  readonly element: HTMLElement;
  private readonly versionSlot: HTMLElement;

  constructor(
    private artifact: ArtifactHeader,
    private readonly o: HeaderOptions,
  ) {
    const a = artifact;
    const title = a.key ?? `Unkeyed ${a.type}`;
    this.versionSlot = el("span", { class: "versions" });
    const meta = el("div", { class: "meta" }, el("span", {}, "Created ", time(a.created)));
    if (a.updated && a.updated !== a.created) meta.append(el("span", {}, "Updated ", time(a.updated)));
    if (a.flowRun) meta.append(el("span", {}, "Flow run ", runLink(a.flowRun.name ?? a.flowRun.id.slice(0, 8), a.flowRun.id)));
    if (a.taskRun && a.flowRun) meta.append(el("span", {}, "Task run ", runLink(a.taskRun.name ?? a.taskRun.id.slice(0, 8), a.flowRun.id, a.taskRun.id)));
    if (!a.flowRun) meta.append(el("span", { class: "muted" }, "Created outside any run"));
    this.element = el(
      "header",
      { class: "artifact-header" },
      el("div", { class: "title-row" }, el("span", { class: `type-badge type-${a.type}` }, a.type), el("h1", { title: a.id }, title), this.versionSlot),
      meta,
    );
    if (a.description) {
      const d = el("div", { class: "description markdown-body" });
      d.innerHTML = renderMarkdown(a.description);
      this.element.append(d);
    }
    this.showVersions(a.versions, a.following);
  }

  showVersions(versions: VersionInfo[], following: boolean): void {
    this.artifact = { ...this.artifact, versions, following };
    this.versionSlot.replaceChildren();
    if (versions.length === 0) return;
    const m = versions.length;
    const index = versions.findIndex((v) => v.id === this.artifact.id);
    const select = el("select", { class: "version-select", "aria-label": "Version" }) as HTMLSelectElement;
    versions.forEach((v, i) => {
      const created = new Date(v.created);
      const when = Number.isNaN(created.getTime()) ? v.created : created.toLocaleString();
      const option = el("option", { value: v.id }, `${m - i}${i === 0 ? " (latest)" : ""} · ${when}`) as HTMLOptionElement;
      option.selected = i === index;
      select.append(option);
    });
    select.addEventListener("change", () => this.o.onSelectVersion(select.value));
    const n = index >= 0 ? m - index : undefined;
    this.versionSlot.append(
      el("label", { class: "version-label" }, "Version ", select),
      el("span", { class: "version-of" }, n !== undefined ? `${n} of ${m}` : `of ${m}`),
    );
    if (following) this.versionSlot.append(el("span", { class: "following", title: "New versions of this key show here as they arrive" }, "Following latest"));
    else if (index > 0) this.versionSlot.append(el("a", { class: "go-latest", role: "link", tabindex: "0", "data-version": versions[0].id }, "Show latest"));
  }
}

function runLink(label: string, flowRunId: string, taskRunId?: string): HTMLElement {
  const attrs: Record<string, string> = { role: "link", tabindex: "0", class: "run-link", "data-flow-run": flowRunId };
  if (taskRunId) attrs["data-task-run"] = taskRunId;
  attrs.title = taskRunId ? `Reveal task run ${taskRunId}` : `Reveal flow run ${flowRunId}`;
  return el("a", attrs, label);
}
