// The dashboard page: plain DOM, no framework, no build step. Every value from a report is set as
// text (textContent / text nodes); nothing is ever parsed as HTML.

const STATUS = { fail: "不通过", warn: "有警告", pass: "通过", unreadable: "无法读取" };
const SEVERITY = { error: "错误", warning: "警告", info: "提示" };
const TRIAGE = { open: "待处理", confirmed: "已确认", dismissed: "已驳回" };
const KINDS = ["人民政府", "部门", "乡镇", "街道", "机关", "其他"];

const state = { config: null, me: null, year: null };

// --- DOM -------------------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "onclick" || name === "onchange" || name === "onsubmit") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "href") el.setAttribute("href", safeHref(value));
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Links inside the page only (hash routes); anything else is dropped.
function safeHref(value) {
  const text = String(value);
  return text.startsWith("#/") ? text : "#/";
}

function show(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes);
}

function fail(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.hidden = !message;
}

// --- the API ---------------------------------------------------------------------------------

function token() {
  return sessionStorage.getItem("nianbao.token");
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, { ...options, headers, credentials: "same-origin" });
  if (response.status === 401) {
    signIn();
    throw new Error("请先登录");
  }
  if (!response.ok) {
    let message = `请求失败（${response.status}）`;
    try {
      message = (await response.json()).message || message;
    } catch (_) {
      /* not JSON */
    }
    throw new Error(message);
  }
  return options.raw ? response : response.json();
}

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) search.set(name, value);
  return search.toString();
}

// --- signing in ------------------------------------------------------------------------------

function signIn() {
  if (state.config && state.config.local) {
    window.location.assign("/local/sign-in");
    return;
  }
  const auth = state.config && state.config.auth;
  if (!auth) return;
  const redirect = `${window.location.origin}/`;
  const url = new URL(auth.authorize_url);
  url.search = query({ response_type: "token", client_id: auth.client_id, redirect_uri: redirect, scope: "openid email" });
  window.location.assign(url.toString());
}

function takeToken() {
  // Cognito's hosted UI comes back with #id_token=...&access_token=...
  if (!window.location.hash.includes("id_token=")) return;
  const params = new URLSearchParams(window.location.hash.slice(1));
  sessionStorage.setItem("nianbao.token", params.get("id_token"));
  history.replaceState(null, "", "/#/");
}

function signOut() {
  sessionStorage.removeItem("nianbao.token");
  if (state.config.local) {
    window.location.assign("/local/sign-out");
    return;
  }
  const auth = state.config.auth;
  if (!auth || !auth.logout_url) {
    window.location.assign("/");
    return;
  }
  const url = new URL(auth.logout_url);
  url.search = query({ client_id: auth.client_id, logout_uri: `${window.location.origin}/` });
  window.location.assign(url.toString());
}

// --- pieces ----------------------------------------------------------------------------------

function badge(status) {
  return h("span", { class: `badge ${status}` }, STATUS[status] || status);
}

function counts(c = {}) {
  return `错误 ${c.error || 0} · 警告 ${c.warning || 0} · 提示 ${c.info || 0}`;
}

function route() {
  const hash = window.location.hash.slice(1) || "/";
  const [path, search = ""] = hash.split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(search) };
}

function go(path, params = {}) {
  const search = query(params);
  window.location.hash = `${path}${search ? `?${search}` : ""}`;
}

async function download(path, fallbackName) {
  const response = await api(path, { raw: true });
  const blob = await response.blob();
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = disposition.match(/filename="([^"]+)"/);
  const link = h("a", {});
  link.href = URL.createObjectURL(blob);
  link.download = match ? match[1] : fallbackName;
  document.body.append(link);
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(link.href);
    link.remove();
  }, 1000);
}

// --- the overview -----------------------------------------------------------------------------

async function overview() {
  const data = await api(`/api/overview?${query({ year: state.year })}`);
  const statuses = h(
    "div",
    { class: "tiles" },
    Object.entries(STATUS).map(([status, label]) =>
      h(
        "a",
        { class: `tile ${status}`, href: `#/reports?${query({ status, year: state.year })}`, dataset: { status } },
        h("strong", {}, data.statuses[status] || 0),
        h("span", {}, label),
      ),
    ),
    h("a", { class: "tile missing", href: "#/missing" }, h("strong", {}, data.missing), h("span", {}, "未报送")),
  );
  const most = Math.max(1, ...data.rules.map((r) => r.count));
  const chart = data.rules.length
    ? h(
        "ol",
        { class: "bars", "aria-label": "未驳回的错误，按问题代码" },
        data.rules.map((rule) => {
          const bar = h("span", { class: "bar" });
          bar.style.width = `${Math.round((100 * rule.count) / most)}%`;
          return h(
            "li",
            {},
            h(
              "a",
              { href: `#/reports?${query({ rule: rule.code, year: state.year })}`, dataset: { rule: rule.code } },
              h("span", { class: "rule" }, rule.title, h("code", {}, rule.code)),
              bar,
              h("span", { class: "count" }, rule.count),
            ),
          );
        }),
      )
    : h("p", { class: "muted" }, "没有未处理的错误。");
  const divisions = h(
    "table",
    { class: "grid divisions" },
    h("thead", {}, h("tr", {}, ["区划", "已报送", "未报送", "不通过或无法读取", "通过或仅有警告"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      data.divisions.map((d) =>
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: `#/reports?${query({ q: d.division, year: state.year })}` }, d.division)),
          h("td", { class: "num" }, d.filed),
          h("td", { class: "num" }, d.missing),
          h("td", { class: "num" }, d.failing),
          h("td", { class: "num" }, d.passing),
        ),
      ),
    ),
  );
  show(
    h("h2", {}, `${data.scope} · ${data.year} 年度`),
    statuses,
    h("section", {}, h("h3", {}, "错误最多的问题"), chart),
    h("section", {}, h("h3", {}, "下级区划"), divisions),
    uploadPanel(),
  );
}

// --- the list --------------------------------------------------------------------------------

async function reports(params) {
  const filters = {
    year: params.get("year") || state.year,
    status: params.get("status") || "",
    rule: params.get("rule") || "",
    kind: params.get("kind") || "",
    q: params.get("q") || "",
  };
  const field = (name, control) => h("label", {}, name, control);
  const status = h("select", { name: "status" }, h("option", { value: "" }, "全部"), Object.entries(STATUS).map(([v, t]) => h("option", { value: v, selected: v === filters.status }, t)));
  const kind = h("select", { name: "kind" }, h("option", { value: "" }, "全部"), KINDS.map((k) => h("option", { value: k, selected: k === filters.kind }, k)));
  const rule = h("input", { name: "rule", value: filters.rule, placeholder: "如 T3_RESULTS_TOTAL", size: 22 });
  const text = h("input", { name: "q", type: "search", value: filters.q, placeholder: "单位名称" });
  const form = h(
    "form",
    {
      class: "filters",
      onsubmit: (event) => {
        event.preventDefault();
        go("/reports", { year: filters.year, status: status.value, kind: kind.value, rule: rule.value.trim(), q: text.value.trim() });
      },
    },
    field("状态", status),
    field("类别", kind),
    field("问题代码", rule),
    field("搜索", text),
    h("button", { type: "submit" }, "筛选"),
    h("button", { type: "button", id: "export-csv", onclick: () => download(`/api/export?${query({ ...filters, format: "csv" })}`, "nianbao.csv").catch((e) => fail(e.message)) }, "导出 CSV"),
    h("button", { type: "button", id: "export-xlsx", onclick: () => download(`/api/export?${query({ ...filters, format: "xlsx" })}`, "nianbao.xlsx").catch((e) => fail(e.message)) }, "导出 Excel"),
  );
  const body = h("tbody", {});
  const more = h("button", { type: "button", hidden: true }, "下一页");
  let cursor = params.get("cursor") || "";
  async function load() {
    const data = await api(`/api/reports?${query({ ...filters, cursor })}`);
    for (const row of data.items) {
      body.append(
        h(
          "tr",
          { dataset: { report: row.report_id } },
          h("td", {}, h("a", { href: `#/reports/${encodeURIComponent(row.report_id)}` }, row.body_name || row.agency || row.body_id)),
          h("td", {}, row.kind || ""),
          h("td", {}, row.division),
          h("td", {}, badge(row.status)),
          h("td", {}, counts(row.counts)),
        ),
      );
    }
    if (!body.children.length) body.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "没有符合条件的报告。")));
    cursor = data.cursor || "";
    more.hidden = !cursor;
  }
  more.addEventListener("click", () => load().catch((e) => fail(e.message)));
  show(
    h("h2", {}, `报告列表 · ${filters.year} 年度`),
    form,
    h("table", { class: "grid reports" }, h("thead", {}, h("tr", {}, ["单位", "类别", "区划", "状态", "问题"].map((t) => h("th", {}, t)))), body),
    more,
  );
  await load();
}

async function missing() {
  const data = await api(`/api/missing?${query({ year: state.year, limit: 200 })}`);
  show(
    h("h2", {}, `未报送 · ${data.year} 年度`),
    data.items.length
      ? h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["单位", "类别", "区划"].map((t) => h("th", {}, t)))), h("tbody", {}, data.items.map((b) => h("tr", {}, h("td", {}, b.name), h("td", {}, b.kind), h("td", {}, b.division)))))
      : h("p", { class: "muted" }, "名册中的单位都已报送。"),
  );
}

// --- one report ------------------------------------------------------------------------------

function cellClass(cell, selected) {
  if (cell.findings.includes(selected)) return "cell selected";
  if (cell.findings.length) return "cell flagged";
  if (selected && cell.related.includes(selected)) return "cell related";
  return "cell";
}

function table3(view, selected) {
  if (!view.read) return h("p", { class: "muted" }, "未读出表三。");
  return h(
    "table",
    { class: "grid official", id: "table3" },
    h("thead", {}, h("tr", {}, h("th", {}, "项目"), view.columns.map((c) => h("th", { dataset: { column: c.key } }, c.label)))),
    h(
      "tbody",
      {},
      view.rows.map((row) =>
        h(
          "tr",
          { class: row.findings.length ? "row flagged" : "row" },
          h("th", { scope: "row" }, row.label),
          row.cells.map((cell) => h("td", { class: cellClass(cell, selected), dataset: { row: row.key, column: cell.column } }, cell.value ?? "")),
        ),
      ),
    ),
  );
}

function table4(view, selected) {
  if (!view.read) return h("p", { class: "muted" }, "未读出表四。");
  return h(
    "table",
    { class: "grid official", id: "table4" },
    h(
      "thead",
      {},
      h("tr", {}, view.groups.map((g) => h("th", { colspan: g.span }, g.label))),
      h("tr", {}, view.blocks.map((b) => h("th", { colspan: 5 }, b.label))),
      h("tr", {}, view.columns.map((c) => h("th", { dataset: { column: c.key } }, c.label))),
    ),
    h("tbody", {}, h("tr", {}, view.cells.map((cell) => h("td", { class: cellClass(cell, selected), dataset: { row: "cases", column: cell.column } }, cell.value ?? "")))),
  );
}

function triageControls(data, finding, reload) {
  if (!data.current || finding.severity === "info") return h("span", { class: "muted" }, TRIAGE[finding.triage]);
  const reason = h("input", { class: "reason", placeholder: "驳回理由", size: 16 });
  const decide = (stateName) => async () => {
    try {
      fail("");
      await api(`/api/reports/${encodeURIComponent(data.report.report_id)}/findings/${encodeURIComponent(finding.fingerprint)}/triage`, {
        method: "POST",
        json: { state: stateName, reason: reason.value },
      });
      await reload(finding.fingerprint);
    } catch (error) {
      fail(error.message);
    }
  };
  return h(
    "span",
    { class: "triage" },
    h("span", { class: `triage-state ${finding.triage}` }, TRIAGE[finding.triage]),
    finding.triage === "open"
      ? [h("button", { type: "button", class: "confirm", onclick: decide("confirmed") }, "确认"), reason, h("button", { type: "button", class: "dismiss", onclick: decide("dismissed") }, "驳回")]
      : h("button", { type: "button", class: "reopen", onclick: decide("open") }, "撤销"),
  );
}

async function pageImage(data, finding) {
  const figure = h("figure", { class: "page" });
  const where = finding && finding.location;
  const number = where && where.page ? where.page : data.pages[0];
  if (!data.renders_pages || !number) return figure;
  const image = h("img", { alt: `原文第 ${number} 页` });
  const frame = h("div", { class: "frame" }, image);
  figure.append(h("figcaption", {}, `原文第 ${number} 页`), frame);
  const response = await api(`/api/reports/${encodeURIComponent(data.report.report_id)}/pages/${number}`, { raw: true });
  image.src = URL.createObjectURL(await response.blob());
  if (where && where.bbox && where.page_size && where.page === number) {
    // the box is in PDF points from the bottom left; the image is the whole page
    const [x0, y0, x1, y1] = where.bbox;
    const [width, height] = where.page_size;
    const box = h("div", { class: "box", id: "cell-box" });
    box.style.left = `${(100 * x0) / width}%`;
    box.style.width = `${(100 * (x1 - x0)) / width}%`;
    box.style.top = `${(100 * (height - y1)) / height}%`;
    box.style.height = `${(100 * (y1 - y0)) / height}%`;
    frame.append(box);
  }
  return figure;
}

async function report(id, selected) {
  const data = await api(`/api/reports/${encodeURIComponent(id)}`);
  const first = data.findings.find((f) => f.severity === "error" && f.location.row && f.location.column) || data.findings.find((f) => f.severity === "error");
  selected = selected || (first && first.fingerprint);
  const chosen = data.findings.find((f) => f.fingerprint === selected);
  const reload = (fingerprint) => report(id, fingerprint).catch((e) => fail(e.message));
  const r = data.report;
  const original = h(
    "button",
    {
      type: "button",
      id: "original",
      onclick: async () => {
        try {
          const link = await api(`/api/reports/${encodeURIComponent(id)}/original`);
          window.location.assign(link.url);
        } catch (error) {
          fail(error.message);
        }
      },
    },
    "下载原文件",
  );
  const findings = h(
    "ol",
    { class: "findings" },
    data.findings.map((f) =>
      h(
        "li",
        { class: `finding ${f.severity}${f.fingerprint === selected ? " selected" : ""}`, dataset: { fingerprint: f.fingerprint, code: f.code } },
        h(
          "button",
          { type: "button", class: "pick", onclick: () => reload(f.fingerprint) },
          h("span", { class: "severity" }, SEVERITY[f.severity] || f.severity),
          h("code", {}, f.code),
          h("span", { class: "title" }, f.title),
        ),
        h("p", { class: "message" }, f.message),
        f.evidence ? h("p", { class: "evidence" }, f.evidence) : null,
        triageControls(data, f, reload),
      ),
    ),
  );
  show(
    h(
      "div",
      { class: "report-head" },
      h("h2", {}, r.body_name || r.agency || r.key, " ", badge(r.status)),
      h("p", {}, `报告中的机关：${r.agency || "未读出"} · 年度：${r.year || "未读出"} · 区划：${r.division} · 核查编号：${r.report_id}`),
      h("p", { class: "muted" }, `文件：${r.key} · 收到：${r.received_at} · ${counts(r.counts)}`),
      data.current ? null : h("p", { class: "warning" }, "这不是该单位本年度的当前报告（已有更新的上传）。"),
      original,
    ),
    h("div", { class: "report-body" }, h("section", { class: "left" }, h("h3", {}, "问题"), data.findings.length ? findings : h("p", { class: "muted" }, "没有发现问题。")), h("section", { class: "right" }, h("h3", {}, "表三 收到和处理政府信息公开申请情况"), table3(data.table3, selected), h("h3", {}, "表四 政府信息公开行政复议、行政诉讼情况"), table4(data.table4, selected), await pageImage(data, chosen))),
    h(
      "section",
      {},
      h("h3", {}, "本年度的各次上传"),
      h("ul", {}, data.versions.map((v) => h("li", {}, h("a", { href: `#/reports/${encodeURIComponent(v.report_id)}` }, `${v.received_at} ${v.key}`), " ", badge(v.effective_status || v.status), v.superseded_by ? "（已被取代）" : "（当前）"))),
      h("h3", {}, "处理记录"),
      data.triage.length ? h("ul", { class: "audit" }, data.triage.map((d) => h("li", {}, `${d.at} ${d.who}：${d.code || ""} ${TRIAGE[d.state]}${d.reason ? `（${d.reason}）` : ""}`))) : h("p", { class: "muted" }, "暂无。"),
    ),
  );
  const cell = document.querySelector("td.selected");
  if (cell) cell.scrollIntoView({ block: "center" });
}

// --- uploading --------------------------------------------------------------------------------

function uploadPanel() {
  const file = h("input", { type: "file", id: "upload-file", accept: ".pdf,.docx,.doc,.html,.htm,.txt,.md" });
  const year = h("input", { type: "number", id: "upload-year", value: state.year, min: 2000, max: 2100 });
  const status = h("p", { class: "muted", id: "upload-status" });
  const send = async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    try {
      const since = new Date().toISOString();
      const post = await api("/api/uploads", { method: "POST", json: { filename: chosen.name, year: Number(year.value) } });
      if (chosen.size > post.max_bytes) throw new Error("文件过大");
      const form = new FormData();
      for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
      form.append("file", chosen);
      status.textContent = "正在上传……";
      const response = await fetch(post.url, { method: "POST", body: form });
      if (!response.ok) throw new Error(`上传失败（${response.status}）`);
      status.textContent = "已上传，正在核查……";
      for (let attempt = 0; attempt < 120; attempt += 1) {
        const result = await api(`/api/uploads?${query({ key: post.key, since: since.slice(0, 19) })}`);
        if (result.stored) {
          status.replaceChildren("核查完成：", badge(result.status), " ", h("a", { href: `#/reports/${encodeURIComponent(result.report_id)}` }, "查看结果"));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      status.textContent = "核查尚未完成，请稍后在报告列表中查看。";
    } catch (error) {
      fail(error.message);
    }
  };
  return h(
    "section",
    { class: "upload" },
    h("h3", {}, `上传报告（存入本区划 ${state.me.division} 的目录）`),
    h("form", { onsubmit: send }, h("label", {}, "年度 ", year), file, h("button", { type: "submit" }, "上传")),
    status,
  );
}

// --- start -----------------------------------------------------------------------------------

async function render() {
  fail("");
  const { parts, params } = route();
  try {
    if (parts[0] === "reports" && parts[1]) await report(decodeURIComponent(parts[1]));
    else if (parts[0] === "reports") await reports(params);
    else if (parts[0] === "missing") await missing();
    else await overview();
  } catch (error) {
    fail(error.message);
  }
}

async function start() {
  takeToken();
  state.config = await (await fetch("/config.json")).json();
  state.year = Number(sessionStorage.getItem("nianbao.year")) || state.config.year;
  document.getElementById("local-banner").hidden = !state.config.local;
  try {
    state.me = await api("/api/me");
  } catch (error) {
    if (!state.config.local && !token()) return signIn();
    show(h("p", {}, error.message));
    if (state.config.local) {
      const link = document.createElement("a");
      link.setAttribute("href", "/local/sign-in");
      link.textContent = "本地登录";
      document.getElementById("main").append(link);
    }
    return;
  }
  document.getElementById("who").textContent = `${state.me.who}（${state.me.division}）`;
  const year = document.getElementById("year");
  year.value = state.year;
  year.addEventListener("change", () => {
    state.year = Number(year.value);
    sessionStorage.setItem("nianbao.year", String(state.year));
    render();
  });
  const out = document.getElementById("sign-out");
  out.hidden = false;
  out.addEventListener("click", signOut);
  window.addEventListener("hashchange", render);
  await render();
}

start();
