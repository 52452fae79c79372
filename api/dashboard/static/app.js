// The dashboard: a view per URL under /api/dashboard, each drawn from the management API.

import {
  API, ROOT, ApiError, api, badge, confirmDialog, duration, enc, facts, failure, h, json, link,
  notice, relative, table, time,
} from "./ui.js";
import { drawGraph, legend } from "./graph.js";

const view = document.getElementById("view");
const STATUSES = ["Pending", "Running", "Suspended", "Completed", "Failed", "Terminated"];
const ACTIVE = ["Pending", "Running", "Suspended"];
const ENDED = ["Completed", "Failed", "Terminated"];
let refreshTimer = null;
let generation = 0;
let flash = null; // {id, text}: an action's answer, kept for the instance's redrawn page

// --- routing ------------------------------------------------------------------------------

const routes = [
  [/^\/?$/, instancesView], [/^\/instances\/?$/, instancesView],
  [/^\/instances\/([^/]+)$/, instanceView],
  [/^\/approvals\/?$/, approvalsView], [/^\/documents\/([^/]+)$/, documentView],
  [/^\/messages\/?$/, messagesView],
  [/^\/workflows\/?$/, workflowsView], [/^\/workflows\/([^/]+)$/, workflowView],
  [/^\/activities\/?$/, activitiesView], [/^\/activities\/([^/]+)$/, activitiesView],
  [/^\/entities\/?$/, entitiesView], [/^\/entities\/([^/]+)$/, entitiesView],
  [/^\/entities\/([^/]+)\/([^/]+)$/, entityView],
];

async function render() {
  clearInterval(refreshTimer);
  refreshTimer = null;
  const mine = ++generation;
  const path = location.pathname.slice(ROOT.length);
  const params = new URLSearchParams(location.search);
  markNav(path);
  for (const [pattern, draw] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    const args = match.slice(1).map(decodeURIComponent);
    try {
      const content = await draw(params, ...args);
      if (mine !== generation) return; // the reader moved on meanwhile
      view.replaceChildren(...[content].flat());
    } catch (error) {
      if (mine !== generation) return;
      if (!(error instanceof ApiError)) console.warn(error);
      view.replaceChildren(h("h1", {}, "Something went wrong"), ...failure(
        error instanceof ApiError ? error : new ApiError(0, { detail: String(error) }), render));
    }
    return;
  }
  view.replaceChildren(h("h1", {}, "Not found"), notice("The dashboard has no such page."));
}

function markNav(path) {
  const section = path.split("/")[1] || "instances";
  const active = { documents: "approvals" }[section] || section;
  for (const a of document.querySelectorAll("header.top nav a")) {
    const here = a.pathname === `${ROOT}/${active}`;
    if (here) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}

export function go(url, replace = false) {
  history[replace ? "replaceState" : "pushState"](null, "", url);
  render().then(() => view.focus({ preventScroll: true }));
  window.scrollTo(0, 0);
}

document.addEventListener("click", (event) => {
  const a = event.target.closest("a[href]");
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
      event.shiftKey || a.target) return;
  if (a.origin === location.origin && a.pathname.startsWith(ROOT) && a.hasAttribute("data-nav")) {
    event.preventDefault();
    go(a.pathname + a.search);
  } else if (a.origin === location.origin && a.closest("header.top") && a.pathname.startsWith(ROOT)) {
    event.preventDefault();
    go(a.pathname + a.search);
  }
});
window.addEventListener("popstate", () => render());

function autoRefresh(seconds, draw) {
  const box = h("input", { type: "checkbox", id: "auto-refresh", checked: localStorage.getItem("workflows.refresh") !== "off" });
  const start = () => {
    clearInterval(refreshTimer);
    refreshTimer = box.checked ? setInterval(draw, seconds * 1000) : null;
  };
  box.addEventListener("change", () => {
    localStorage.setItem("workflows.refresh", box.checked ? "on" : "off");
    start();
  });
  queueMicrotask(start);
  return h("label", { for: "auto-refresh" }, box, ` Refresh every ${seconds} s`);
}

// --- instances ----------------------------------------------------------------------------

function localInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

async function instancesView(params) {
  const filters = {};
  for (const k of ["workflow", "status", "createdFrom", "createdTo", "instanceIdPrefix"]) {
    if (params.get(k)) filters[k] = params.get(k);
  }
  const workflows = await api("/workflows").catch(() => ({ items: [] }));
  const counts = h("ul", { class: "counts", "aria-label": "Instances per status" });
  const body = h("div", {});
  const pager = h("div", { class: "pager" });
  const stamp = h("span", { class: "muted", "aria-live": "polite" });

  const draw = async () => {
    const query = new URLSearchParams({ ...filters, top: params.get("top") || "50" });
    if (params.get("continuationToken")) query.set("continuationToken", params.get("continuationToken"));
    const countQuery = new URLSearchParams(filters);
    countQuery.delete("status");
    const [page, tally] = await Promise.all([api(`/instances?${query}`), api(`/operations/instance-counts?${countQuery}`)]);
    counts.replaceChildren(...STATUSES.map((status) => {
      const next = new URLSearchParams(filters);
      if (filters.status === status) next.delete("status"); else next.set("status", status);
      return h("li", {}, h("a", { href: `${ROOT}/instances?${next}`, "data-nav": "", "aria-current": filters.status === status ? "true" : null,
        "data-status": status }, h("strong", {}, tally.counts[status] ?? 0), h("span", {}, status)));
    }), ...(tally.complete ? [] : [h("li", { class: "muted" }, `counted the first ${tally.total}`)]));
    body.replaceChildren(table(["Workflow", "Instance", "Status", "State", "Waiting for", "Deadline", "Created", "Last updated"],
      page.items.map((item) => h("tr", { "data-instance": item.instanceId },
        h("td", {}, item.workflow ? link(`/workflows/${enc(item.workflow)}`, item.workflow) : "—",
          item.version ? h("span", { class: "muted" }, ` ${item.version}`) : null),
        h("td", { class: "id" }, link(`/instances/${enc(item.instanceId)}`, item.instanceId)),
        h("td", {}, badge(item.runtimeStatus)),
        h("td", {}, item.state ?? "—"),
        h("td", {}, item.waitingFor ?? "—"),
        h("td", {}, item.deadline ? [time(item.deadline), h("br"), h("span", { class: "muted" }, relative(item.deadline))] : "—"),
        h("td", {}, time(item.createdTime)),
        h("td", {}, time(item.lastUpdatedTime)))), "Instances, oldest first"));
    const nav = [];
    if (params.get("continuationToken")) {
      nav.push(link(`/instances?${new URLSearchParams(filters)}`, "First page"));
    }
    if (page.continuationToken) {
      const next = new URLSearchParams({ ...filters, continuationToken: page.continuationToken });
      nav.push(link(`/instances?${next}`, "Next page", { class: "button", id: "next-page" }));
    }
    pager.replaceChildren(...nav, h("span", { class: "muted" }, `${page.items.length} shown`));
    stamp.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  };
  await draw();

  const field = (name, label, control) => h("label", {}, label, control);
  const workflowSelect = h("select", { name: "workflow", id: "filter-workflow" }, h("option", { value: "" }, "Any workflow"),
    workflows.items.map((w) => h("option", { value: w.name, selected: w.name === filters.workflow }, w.name)));
  const statusSelect = h("select", { name: "status", id: "filter-status" }, h("option", { value: "" }, "Any status"),
    STATUSES.map((st) => h("option", { value: st, selected: st === filters.status }, st)));
  const from = h("input", { type: "datetime-local", name: "createdFrom", id: "filter-from", value: localInput(filters.createdFrom) });
  const to = h("input", { type: "datetime-local", name: "createdTo", id: "filter-to", value: localInput(filters.createdTo) });
  const prefix = h("input", { type: "search", name: "instanceIdPrefix", id: "filter-prefix", value: filters.instanceIdPrefix || "",
    placeholder: "e.g. 2a9c3f0e", maxlength: 256 });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter instances", onsubmit: (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (workflowSelect.value) next.set("workflow", workflowSelect.value);
    if (statusSelect.value) next.set("status", statusSelect.value);
    if (from.value) next.set("createdFrom", new Date(from.value).toISOString());
    if (to.value) next.set("createdTo", new Date(to.value).toISOString());
    if (prefix.value.trim()) next.set("instanceIdPrefix", prefix.value.trim());
    go(`${ROOT}/instances${next.size ? `?${next}` : ""}`);
  } },
  field("workflow", "Workflow", workflowSelect), field("status", "Status", statusSelect),
  field("createdFrom", "Created from", from), field("createdTo", "Created to", to),
  field("instanceIdPrefix", "Instance id starts with", prefix),
  h("div", { class: "toolbar" }, h("button", { type: "submit", class: "primary", id: "apply-filters" }, "Apply"),
    link("/instances", "Clear")));
  return [h("h1", {}, "Instances"), counts, form,
    h("div", { class: "toolbar" }, autoRefresh(5, () => draw().catch((error) => {
      stamp.textContent = `Refresh failed at ${new Date().toLocaleTimeString()}: ${error.message}`;
    })), stamp), body, pager];
}

// --- one instance ---------------------------------------------------------------------------

async function instanceView(params, id) {
  const [instance, timeline] = await Promise.all([api(`/instances/${enc(id)}`), api(`/instances/${enc(id)}/timeline`)]);
  let definition = null;
  if (instance.workflow) {
    const q = instance.version ? `?version=${enc(instance.version)}` : "";
    definition = await api(`/workflows/${enc(instance.workflow)}${q}`).catch(() => null);
  }
  const status = instance.runtimeStatus;
  const visited = new Set(timeline.states.map((x) => x.id));
  const last = timeline.states.at(-1)?.id;
  const marks = { visited, current: ACTIVE.includes(status) ? last : null, failed: status === "Failed" ? last : null };
  // What the last action said stays on the redrawn page (it is redrawn to show the result).
  const message = h("div", { id: "action-result", "aria-live": "polite" },
    flash && flash.id === id ? notice(flash.text, "ok") : null);
  flash = null;
  const parts = [
    h("p", {}, link("/instances", "← Instances")),
    h("h1", {}, "Instance ", h("span", { class: "mono" }, id)),
    facts([
      ["Status", badge(status)],
      ["Workflow", instance.workflow ? link(`/workflows/${enc(instance.workflow)}`, `${instance.workflow} ${instance.version || ""}`) : "—"],
      ["Current state", instance.state ?? "—"],
      ["Waiting for", instance.waitingFor ?? "—"],
      ["Deadline", instance.deadline ? h("span", { id: "deadline" }, time(instance.deadline), " (", relative(instance.deadline), ")") : "—"],
      ["Created", time(instance.createdTime)],
      ["Last updated", time(instance.lastUpdatedTime)],
      ["Error", instance.error ?? undefined],
    ]),
  ];
  parts.push(h("h2", {}, "Graph"));
  if (definition) {
    parts.push(legend(), h("div", { class: "graph", id: "instance-graph" }, drawGraph(definition.graph, marks)));
  } else {
    parts.push(notice("The definition of this instance could not be read; the timeline below still shows what ran."));
  }
  parts.push(message, actionsPanel(instance, message));
  parts.push(h("h2", {}, "Timeline"), timelineTable(timeline, marks.current));
  parts.push(h("h2", {}, "Data"), json("Input", instance.input), json("Output", instance.output),
    json("Custom status", instance.customStatus));
  return parts;
}

// A timer that has not fired but belongs to a state the instance has left (an activity's
// timeout, raced and won by the activity) is shown as not needed, not as pending.
function timelineTable(timeline, current) {
  const times = timeline.entries.flatMap((e) => [e.scheduledAt, e.completedAt, e.createdAt, e.firedAt, e.at].filter(Boolean))
    .map((t) => new Date(t).getTime());
  const start = Math.min(...times, Date.now()), end = Math.max(...times, Date.now());
  const span = Math.max(end - start, 1);
  const rows = timeline.entries.map((e) => {
    const from = e.scheduledAt || e.createdAt || e.at;
    const until = e.completedAt || e.firedAt;
    const ms = e.durationMs ?? (from && until ? new Date(until) - new Date(from) : null);
    const unfired = e.kind === "timer" && !e.fired;
    const pendingTimer = unfired && current !== null && e.state === current;
    const left = from ? (new Date(from).getTime() - start) / span * 100 : 0;
    const open = from && (pendingTimer || e.outcome === "running") ? Date.now() - new Date(from) : null;
    const width = Math.min(Math.max((ms ?? open ?? 0) / span * 100, 0.5), 100 - left);
    const what = e.name || e.runtimeStatus || "";
    return h("tr", { "data-kind": e.kind },
      h("td", {}, e.kind), h("td", {}, what, e.error ? h("div", { class: "error-text" }, `${e.error}${e.cause ? `: ${e.cause}` : ""}`) : null),
      h("td", {}, e.state ?? "—"), h("td", {}, time(from)),
      h("td", {}, ms !== null ? duration(ms) : pendingTimer && e.fireAt ? ["fires ", time(e.fireAt)]
        : (e.outcome === "running" ? "running" : "—")),
      h("td", {}, e.outcome ?? (e.kind === "timer" ? (e.fired ? "fired" : pendingTimer ? "pending" : "not needed") : "")),
      h("td", { class: "bar-cell", "aria-hidden": "true" }, h("div", { class: `bar ${e.outcome || ""}`,
        style: null, "data-left": left.toFixed(2), "data-width": width.toFixed(2) })));
  });
  const wrap = table(["Kind", "What", "State", "Started", "Duration", "Outcome", "When"], rows, "The history, in order");
  // Position the Gantt bars from data attributes (no inline styles: the page's policy forbids them).
  for (const bar of wrap.querySelectorAll(".bar")) {
    bar.style.marginLeft = `${bar.dataset.left}%`;
    bar.style.width = `${bar.dataset.width}%`;
  }
  return wrap;
}

function actionsPanel(instance, message) {
  const id = instance.instanceId, status = instance.runtimeStatus;
  const act = async (label, path, options, after) => {
    try {
      const answer = await api(path, options);
      message.replaceChildren(notice(`${label}: accepted.`, "ok"));
      flash = { id, text: `${label}: accepted.` };
      if (after) after(answer); else setTimeout(() => render(), 600);
    } catch (error) {
      message.replaceChildren(...failure(error, () => {}));
    }
  };
  const control = (action, label, enabled, text, danger = false) => h("button", {
    type: "button", id: `action-${action}`, class: danger ? "danger" : "", disabled: !enabled,
    onclick: async () => {
      const reason = await confirmDialog(`${label} ${id}?`, text, { reason: true, danger, action: label });
      if (reason !== null) act(label, `/instances/${enc(id)}/${action}`, { method: "POST", body: { reason } });
    } }, label);
  const eventName = h("input", { id: "event-name", required: true, maxlength: 128,
    value: typeof instance.waitingFor === "string" ? instance.waitingFor : "" });
  const eventData = h("textarea", { id: "event-data", rows: 4, spellcheck: "false", placeholder: '{"approved": true}' });
  const eventError = h("p", { class: "error-text", "aria-live": "assertive" });
  const eventForm = h("form", { class: "event-form", id: "raise-event", onsubmit: async (event) => {
    event.preventDefault();
    let data = null;
    if (eventData.value.trim()) {
      try { data = JSON.parse(eventData.value); } catch (error) {
        eventError.textContent = `The event data is not JSON: ${error.message}`;
        eventData.focus();
        return;
      }
    }
    eventError.textContent = "";
    const name = eventName.value.trim();
    if (await confirmDialog(`Raise ${name}?`, `Send the event ${name} to ${id}.`, { action: "Raise" }) !== null) {
      act(`Event ${name}`, `/instances/${enc(id)}/events/${enc(name)}`, { method: "POST", body: data === null ? "" : JSON.stringify(data), raw: true });
    }
  } },
  h("label", { for: "event-name" }, "Event name"), eventName,
  h("label", { for: "event-data" }, "Event data (JSON, empty for null)"), eventData, eventError,
  h("div", {}, h("button", { type: "submit", class: "primary", disabled: !ACTIVE.includes(status) }, "Raise event")));
  return h("section", { "aria-labelledby": "actions-title" }, h("h2", { id: "actions-title" }, "Actions"),
    h("div", { class: "actions-panel" },
      control("terminate", "Terminate", ACTIVE.includes(status), "The instance ends as Terminated; it cannot go on.", true),
      control("suspend", "Suspend", status === "Running" || status === "Pending", "The instance stops until resumed; events wait for it."),
      control("resume", "Resume", status === "Suspended", "The instance goes on from where it was suspended."),
      control("rewind", "Rewind", status === "Failed", "The failed instance goes back to before its failure and runs on."),
      h("button", { type: "button", id: "action-restart", onclick: async () => {
        if (await confirmDialog(`Restart ${id}?`, "A new instance starts with the same input.", { action: "Restart" }) !== null) {
          act("Restart", `/instances/${enc(id)}/restart`, { method: "POST", body: {} },
            (answer) => go(`${ROOT}/instances/${enc(answer.instanceId)}`));
        }
      } }, "Restart"),
      h("button", { type: "button", id: "action-purge", class: "danger", disabled: !ENDED.includes(status), onclick: async () => {
        if (await confirmDialog(`Purge ${id}?`, "The instance and its history are deleted for good.", { danger: true, action: "Purge" }) !== null) {
          act("Purge", `/instances/${enc(id)}`, { method: "DELETE" }, () => go(`${ROOT}/instances`));
        }
      } }, "Purge")),
    h("details", { id: "raise-event-panel" }, h("summary", {}, "Raise an event"), eventForm));
}

// --- approvals and documents ------------------------------------------------------------------

async function approvalsView() {
  const page = await api("/approvals?limit=200");
  const rows = page.items.map((item) => h("tr", { "data-document": item.documentId },
    h("td", {}, link(`/documents/${enc(item.documentId)}`, `${item.databaseName ?? "?"}.${item.physicalName ?? "?"}`),
      h("div", { class: "muted mono" }, item.documentId)),
    h("td", {}, item.changeType ?? "—"), h("td", {}, item.requestedBy ?? "—"),
    h("td", {}, `${item.tier}${item.tierName ? ` · ${item.tierName}` : ""}`),
    h("td", {}, item.waitingFor.map((w) => h("div", {}, h("strong", {}, w.role), ": ",
      w.approvers.map((a) => a.name).join(", ") || h("span", { class: "muted" }, "nobody can decide")))),
    h("td", {}, time(item.deadline), item.escalations ? h("div", { class: "muted" }, `escalated ${item.escalations}×`) : null),
    h("td", {}, item.overdue ? badge("overdue") : duration(item.secondsLeft * 1000)),
    h("td", {}, link(`/instances/${enc(item.instanceId)}`, "instance"))));
  return [h("h1", {}, "Approvals"), h("p", { class: "muted" }, `${page.total} waiting for decisions, nearest deadline first.`),
    table(["Document", "Change", "Requested by", "Tier", "Roles still open", "Deadline", "Time left", ""], rows)];
}

async function documentView(params, id) {
  const [doc, trail] = await Promise.all([api(`/documents/${enc(id)}`), api(`/documents/${enc(id)}/events`)]);
  const v = trail.verification;
  const check = v.ok ? notice(`The audit trail verifies: ${v.length} events, each chained to the one before.`, "ok")
    : notice(`The audit trail does NOT verify: broken at event ${v.brokenAt} (${v.reason}).`, "bad");
  const approval = doc.approval;
  const filed = doc.status === "filed" || doc.links?.library;
  return [
    h("p", {}, link("/approvals", "← Approvals")),
    h("h1", {}, `${doc.databaseName}.${doc.physicalName}`),
    facts([
      ["Document", h("span", { class: "mono" }, doc.documentId)],
      ["Status", badge(doc.status)], ["Change", doc.changeType], ["Requested by", doc.requestedBy],
      ["Revision", doc.revision],
      ["Tier", approval ? `${approval.tier}${approval.tierName ? ` · ${approval.tierName}` : ""}` : "—"],
      ["Roles still open", approval ? (approval.pendingRoles.join(", ") || "none") : "—"],
      ["Deadline", approval ? [time(approval.deadline), " (", relative(approval.deadline), ")"] : "—"],
      ["Instance", link(`/instances/${enc(doc.instanceId)}`, doc.instanceId)],
      ["Filed document", filed ? h("a", { href: `${API}/documents/${enc(id)}/file` }, "download the filed version") : "not filed"],
    ]),
    h("h2", {}, "Audit trail"), check,
    table(["#", "Event", "Recorded", "Data", "Hash"], trail.events.map((e) => h("tr", { "data-event": e.type },
      h("td", {}, e.version), h("td", {}, e.type), h("td", {}, time(e.recordedAt)),
      h("td", {}, json("data", e.data)), h("td", { class: "id" }, e.hash.slice(0, 12))))),
  ];
}

// --- messages ---------------------------------------------------------------------------------

function bodyOf(record) {
  if (record.bodyEncoding === "base64") return `(base64) ${record.body}`;
  try { return JSON.stringify(JSON.parse(record.body), null, 2); } catch { return record.body; }
}

function foldedBody(path) {
  const pre = h("pre", {}, "…");
  const details = h("details", {}, h("summary", {}, "Body"), pre);
  details.addEventListener("toggle", async () => {
    if (!details.open || pre.dataset.loaded) return;
    try { pre.textContent = bodyOf(await api(path)); pre.dataset.loaded = "1"; } catch (error) { pre.textContent = error.message; }
  });
  return details;
}

async function messagesView() {
  const [quarantine, dead] = await Promise.all([api("/quarantine?limit=100"), api("/dead-letters?limit=100")]);
  const result = h("div", { "aria-live": "polite" });
  const qRows = quarantine.items.map((m) => h("tr", { "data-message": m.messageId },
    h("td", {}, time(m.quarantinedAt)), h("td", {}, m.source), h("td", {}, badge(m.reason)),
    h("td", {}, describe(m.details)), h("td", { class: "id" }, m.messageId, foldedBody(`/quarantine/${enc(m.messageId)}`))));
  const dRows = dead.items.map((m) => h("tr", { "data-dead-letter": m.id },
    h("td", {}, time(m.recordedAt)), h("td", {}, m.source), h("td", {}, badge(m.reason)),
    h("td", {}, m.description, h("div", { class: "muted" }, `${m.deliveryCount} deliveries`)),
    h("td", { class: "id" }, m.messageId, foldedBody(`/dead-letters/${enc(m.id)}`)),
    h("td", {}, m.resubmittedAt ? ["resubmitted ", time(m.resubmittedAt)] : h("button", { type: "button", class: "resubmit", onclick: async () => {
      if (await confirmDialog("Resubmit this message?", `Hand ${m.messageId} back to the ingress of ${m.source}, once.`, { action: "Resubmit" }) === null) return;
      try {
        const answer = await api(`/dead-letters/${enc(m.id)}/resubmit`, { method: "POST" });
        result.replaceChildren(notice(`Resubmitted: ${answer.resubmitOutcome?.action ?? "done"}.`, "ok"));
        setTimeout(() => render(), 800);
      } catch (error) { result.replaceChildren(...failure(error, () => {})); }
    } }, "Resubmit"))));
  return [h("h1", {}, "Messages"), result,
    h("h2", {}, `Quarantined (${quarantine.total})`), h("p", { class: "muted" }, "Messages that can never succeed: refused at ingress with a reason, not retried."),
    table(["When", "Queue", "Reason", "Description", "Message"], qRows),
    h("h2", {}, `Dead letters (${dead.total})`), h("p", { class: "muted" }, "Messages Service Bus gave up on after retries; resubmit once the cause is fixed."),
    table(["When", "Queue", "Reason", "Description", "Message", ""], dRows)];
}

function describe(details) {
  if (!details || typeof details !== "object") return String(details ?? "");
  if (Array.isArray(details.errors)) {
    // A message may already begin with its field ("changeType: is required"): not twice.
    return details.errors.map((e) => (String(e.message ?? "").startsWith(`${e.field}:`) ? e.message
      : `${e.field}: ${e.message}`)).join("; ");
  }
  return details.error || details.message || details.detail || JSON.stringify(details).slice(0, 200);
}

// --- definitions, activities, entities -------------------------------------------------------------

async function workflowsView() {
  const list = await api("/workflows");
  return [h("h1", {}, "Definitions"), table(["Workflow", "Description", "Versions", "Latest"], list.items.map((w) => h("tr", {},
    h("td", {}, link(`/workflows/${enc(w.name)}`, w.name)), h("td", {}, w.description ?? "—"),
    h("td", {}, w.versions.map((x) => `${x.version} (${x.source})`).join(", ")), h("td", {}, w.latest ?? "—"))))];
}

async function workflowView(params, name) {
  const version = params.get("version");
  const [doc, list] = await Promise.all([api(`/workflows/${enc(name)}${version ? `?version=${enc(version)}` : ""}`), api("/workflows")]);
  const versions = list.items.find((w) => w.name === name)?.versions || [];
  const select = h("select", { id: "version", onchange: () => go(`${ROOT}/workflows/${enc(name)}?version=${enc(select.value)}`) },
    versions.map((x) => h("option", { value: x.version, selected: x.version === doc.version }, `${x.version} (${x.source})`)));
  return [h("p", {}, link("/workflows", "← Definitions")), h("h1", {}, name),
    h("p", {}, doc.document?.description ?? ""),
    h("div", { class: "toolbar" }, h("label", { for: "version" }, "Version "), select,
      link(`/instances?workflow=${enc(name)}`, "Its instances")),
    facts([["Version", doc.version], ["Hash", h("span", { class: "mono" }, doc.hash ?? "—")], ["Source", doc.source ?? "—"]]),
    h("div", { class: "graph", id: "definition-graph" }, drawGraph(doc.graph)), json("Definition (JSON)", doc.document)];
}

async function activitiesView(params, only) {
  const list = await api("/activities");
  const items = only ? list.items.filter((a) => a.name === only) : list.items;
  return [h("h1", {}, "Activities"), h("p", { class: "muted" }, "What each activity takes and returns (the activity registry)."),
    table(["Activity", "Description", "Schemas"], items.map((a) => h("tr", { id: `activity-${a.name}` },
      h("td", { class: "id" }, link(`/activities/${enc(a.name)}`, a.name)), h("td", {}, a.description),
      h("td", {}, json("Input", a.input), json("Output", a.output)))))];
}

async function entitiesView(params, name = "device") {
  const input = h("input", { id: "entity-name", value: name, required: true, maxlength: 128 });
  const form = h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); go(`${ROOT}/entities/${enc(input.value.trim())}`); } },
    h("label", { for: "entity-name" }, "Entity name "), input, h("button", { type: "submit", class: "primary" }, "List"));
  const query = new URLSearchParams({ top: "100" });
  if (params.get("continuationToken")) query.set("continuationToken", params.get("continuationToken"));
  const page = await api(`/entities/${enc(name)}?${query}`);
  const next = page.continuationToken ? link(`/entities/${enc(name)}?continuationToken=${enc(page.continuationToken)}`, "Next page", { class: "button" }) : null;
  return [h("h1", {}, "Entities"), form, table(["Key", "Last operation"], page.items.map((e) => h("tr", {},
    h("td", { class: "id" }, link(`/entities/${enc(name)}/${enc(e.key)}`, e.key)), h("td", {}, time(e.lastOperationTime))))),
  h("div", { class: "pager" }, next)];
}

async function entityView(params, name, key) {
  const entity = await api(`/entities/${enc(name)}/${enc(key)}`);
  const state = entity.state;
  const parts = [h("p", {}, link(`/entities/${enc(name)}`, `← ${name} entities`)), h("h1", {}, `${name} `, h("span", { class: "mono" }, key))];
  if (state && Array.isArray(state.events)) {
    const counters = Object.entries(state).filter(([, v]) => typeof v !== "object");
    parts.push(facts(counters.map(([k, v]) => [k, String(v)])));
    parts.push(h("h2", {}, `Events (${state.events.length})`), table(["Event", "Occurred", "Received", "Data"], state.events.map((e) => h("tr", {},
      h("td", { class: "id" }, e.eventId ?? e.id ?? "—"), h("td", {}, time(e.occurredAt)), h("td", {}, time(e.receivedAt)), h("td", {}, json("event", e))))));
  }
  parts.push(json("State", state, !(state && Array.isArray(state.events))));
  return parts;
}

render();
