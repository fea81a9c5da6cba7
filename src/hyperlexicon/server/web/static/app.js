// hyperlexicon's page: one small script, no dependencies, nothing fetched from elsewhere.
// The server renders every view as an HTML fragment (/ui/...); this script swaps them in,
// sends edits to the REST API (/api/v1, with If-Match), and holds the /ws dialogue.
"use strict";
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const enc = encodeURIComponent;
  const session = window.sessionStorage;
  const FINAL = ["done", "failed", "cancelled", "interrupted"];
  const state = {
    who: null,
    lexicon: session.getItem("hl.lexicon") || "core",
    ws: null,
    running: new Map(), // request id -> turn element
    jobs: new Map(), // job id -> element showing it
    onJobDone: new Map(), // job id -> callback
    seq: 0,
  };

  // --- talking to the server -------------------------------------------------------------

  class Problem extends Error {
    constructor(p) {
      super(p.detail || p.title || "error");
      this.problem = p;
    }
  }

  function authHeaders(extra = {}) {
    const token = session.getItem("hl.token");
    return token ? { ...extra, Authorization: `Bearer ${token}` } : { ...extra };
  }

  async function request(method, path, { json, body, headers = {} } = {}) {
    const h = authHeaders(headers);
    if (json !== undefined) {
      h["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    }
    let res;
    try {
      res = await fetch(path, { method, headers: h, body, cache: "no-store" });
    } catch (e) {
      throw new Problem({ status: 0, title: "The server cannot be reached", detail: String(e.message || e) });
    }
    if (!res.ok) {
      let p = {};
      try {
        p = await res.json();
      } catch (_) {
        p = {};
      }
      const problem = { status: res.status, title: p.title || res.statusText, detail: p.detail || "" };
      if (res.status === 401 && state.who) signOut(problem.detail);
      throw new Problem(problem);
    }
    return res;
  }
  const getJSON = async (path) => (await request("GET", path)).json();
  const getHTML = async (path, opts = {}) => (await request(opts.method || "GET", path, opts)).text();

  function qs(params = {}) {
    const u = new URLSearchParams({ lexicon: state.lexicon });
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== "") u.set(k, v);
    }
    return "?" + u.toString();
  }

  function problemText(p) {
    return `${p.status ? p.status + " " : ""}${p.title || "Error"}${p.detail ? ": " + p.detail : ""}`;
  }

  // Show a problem (RFC 9457) in the nearest .problem box of `root`, or in the page notice.
  function showProblem(root, err) {
    const p = err instanceof Problem ? err.problem : { title: "Error", detail: String(err) };
    const box = (root && $(".problem", root)) || $("#notice");
    box.hidden = false;
    box.classList.add("problem");
    box.dataset.status = p.status || "";
    box.textContent = problemText(p);
    if (p.status === 412 || p.status === 428) {
      const reload = root && $("[data-action=reload-form]", root);
      if (reload) reload.hidden = false;
    }
  }
  function clearProblem(root) {
    const box = root && $(".problem", root);
    if (box) {
      box.hidden = true;
      box.textContent = "";
    }
    const notice = $("#notice");
    notice.hidden = true;
    notice.textContent = "";
  }
  function notify(text) {
    const n = $("#notice");
    n.classList.remove("problem");
    n.hidden = false;
    n.textContent = text;
  }

  // --- sign-in and roles -----------------------------------------------------------------

  async function boot() {
    let who;
    try {
      who = await getJSON("/api/v1/whoami");
    } catch (e) {
      if (e.problem && e.problem.status === 401) return showLogin();
      return showProblem(null, e);
    }
    state.who = who;
    document.body.dataset.role = who.role;
    checkFonts($("header.top"));
    // edit controls are absent for a role that may not use them (the API refuses anyway)
    for (const el of $$("[data-needs]")) {
      const need = el.dataset.needs;
      if ((need === "editor" && !who.can_edit) || (need === "admin" && !who.can_admin)) el.remove();
    }
    $("#whoami").textContent = `${who.name} (${who.role})`;
    $("#logout").hidden = !who.tokens;
    $("#nav").hidden = false;
    $("#session").hidden = false;
    await loadLexicons();
    route();
  }

  function showLogin(message) {
    showView("login");
    const err = $("#login-error");
    err.hidden = !message;
    err.textContent = message || "";
    $("#token").focus();
  }

  function signOut(message) {
    session.removeItem("hl.token");
    state.who = null;
    if (state.ws) state.ws.close();
    // the page drops controls a role may not use; start afresh for the next person
    if (message === undefined) location.reload();
    else showLogin(message);
  }

  async function loadLexicons() {
    const sel = $("#lexicon-select");
    let names = [state.lexicon];
    try {
      names = (await getJSON("/api/v1/lexicons")).map((l) => l.name);
    } catch (_) {
      /* keep the current one */
    }
    if (!names.includes(state.lexicon)) state.lexicon = names[0] || "core";
    sel.replaceChildren(...names.map((n) => new Option(n, n, false, n === state.lexicon)));
  }

  // --- views -----------------------------------------------------------------------------

  const VIEWS = ["loading", "login", "lexicon", "entry", "edit", "dialogue", "proposals", "versions", "calibration", "io"];
  const NAV = { entry: "lexicon", edit: "lexicon" };

  function showView(view, focus = true) {
    // the first view of a fresh page keeps the focus at the top (where the skip link is);
    // every later change of view moves it to the view's heading
    focus = focus && state.shown;
    state.shown = true;
    for (const v of VIEWS) $(`#view-${v}`).hidden = v !== view;
    for (const a of $$("#nav a")) {
      if (a.dataset.view === (NAV[view] || view)) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    if (focus) {
      const h = $(`#view-${view} h1`);
      if (h) h.focus({ preventScroll: false });
    }
  }

  function focusView(view) {
    const first = !state.shown;
    showView(view, false);
    if (!first) $(`#view-${view} h1`).focus();
  }

  async function fill(target, path, opts) {
    const el = typeof target === "string" ? $(target) : target;
    el.setAttribute("aria-busy", "true");
    try {
      el.innerHTML = await getHTML(path, opts);
    } finally {
      el.removeAttribute("aria-busy");
    }
    checkFonts(el);
    return el;
  }

  // --- missing fonts -----------------------------------------------------------------------
  // Glyphs come from the reader's own fonts (no web fonts), so a machine without them shows
  // empty boxes ("tofu") and nothing says why. Each new character the page shows is drawn on
  // a canvas in the glyph font stack and compared with what that stack draws for U+10FFFD
  // (private use: no font has it); a match, or nothing drawn, means no installed font has
  // the character, and a notice names the font packages to install.

  const fonts = { seen: new Set(), missing: [], reference: null, ctx: null, blank: null };
  const GLYPHS = ".glyph, .form-link, .scene-string, .chip-form, .said";
  const IGNORED = /[\p{M}\p{C}\p{Z}]|[\u0000-\u024f\u0370-\u03ff\u0400-\u04ff]/u;

  function drawn(ch) {
    const { ctx } = fonts;
    ctx.clearRect(0, 0, 48, 48);
    ctx.fillText(ch, 4, 24);
    return `${ctx.measureText(ch).width}|${ctx.getImageData(0, 0, 48, 48).data.join(",")}`;
  }

  function checkFonts(root) {
    const chars = new Set();
    const shown = [...(root.matches(GLYPHS) ? [root] : []), ...$$(GLYPHS, root)];
    for (const el of shown) {
      for (const ch of el.textContent) if (!IGNORED.test(ch) && !fonts.seen.has(ch)) chars.add(ch);
    }
    if (!chars.size) return;
    if (!fonts.ctx) {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 48;
      fonts.ctx = canvas.getContext("2d", { willReadFrequently: true });
      fonts.ctx.font = `32px ${getComputedStyle($(".brand .glyph")).fontFamily}`;
      fonts.ctx.textBaseline = "middle";
      fonts.reference = drawn(String.fromCodePoint(0x10fffd));
      fonts.blank = drawn(" ");
    }
    for (const ch of chars) {
      fonts.seen.add(ch);
      const d = drawn(ch);
      if (d === fonts.reference || d === fonts.blank) fonts.missing.push(ch);
    }
    const notice = $("#fonts-notice");
    if (!fonts.missing.length) return;
    $(".missing-glyphs", notice).textContent = fonts.missing
      .slice(0, 12)
      .map((ch) => `${ch} (U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")})`)
      .join(", ") + (fonts.missing.length > 12 ? ` and ${fonts.missing.length - 12} more` : "");
    notice.hidden = false;
  }

  async function route() {
    if (!state.who) return;
    // a route still waiting for its view when the next one starts must not show its view over
    // the newer one (a slow entry over the dialogue the reader went on to)
    const seq = (state.routes = (state.routes || 0) + 1);
    const current = () => seq === state.routes;
    clearProblem(null);
    if (state.flash) {
      // what the last action did, said once the view it leads to is up
      notify(state.flash);
      state.flash = null;
    }
    const raw = location.hash.replace(/^#\/?/, "");
    const [pathPart, query = ""] = raw.split("?");
    const [view, ...rest] = pathPart.split("/").map((x) => decodeURIComponent(x));
    const params = new URLSearchParams(query);
    try {
      switch (view || "lexicon") {
        case "lexicon":
          showView("lexicon");
          return await search(params.get("offset"));
        case "entry":
          await fill("#entry", `/ui/entries/${enc(rest.join("/"))}${qs()}`);
          return current() && focusView("entry");
        case "new":
        case "edit":
          await fill("#edit", `/ui/entry-form${qs({ form: view === "edit" ? rest.join("/") : "" })}`);
          return current() && focusView("edit");
        case "dialogue":
          showView("dialogue");
          return connect();
        case "proposals":
          showView("proposals");
          return await fill("#proposals", `/ui/proposals${qs({ status: $("#p-status").value })}`);
        case "versions":
          showView("versions");
          $("#diff").replaceChildren();
          return await fill("#versions", `/ui/versions${qs()}`);
        case "diff":
          showView("versions", false);
          state.shown = true;
          await Promise.all([
            fill("#diff", `/ui/diff${qs({ a: rest[0], b: rest[1] || "working" })}`),
            fill("#versions", `/ui/versions${qs()}`),
          ]);
          return current() && $("#diff h2").focus();
        case "calibration":
          showView("calibration");
          return await fill("#calibration", `/ui/calibration${qs()}`);
        case "io":
          showView("io");
          await loadVersionOptions();
          return await fill("#jobs", "/ui/jobs");
        default:
          location.hash = "#/lexicon";
      }
    } catch (e) {
      if (current()) showProblem(null, e);
    }
  }

  // The list from its first page, under the form's filters and order.
  async function firstPage() {
    if (location.hash !== "#/lexicon") location.hash = "#/lexicon";
    else await search();
  }

  // With a token, a view's "As JSON" link fetches the resource with it and shows it here (a
  // link alone would carry no token); without one, the link opens as it is.
  async function showJSON(link) {
    const body = await getJSON(link.getAttribute("href"));
    const dialog = $("#json-view");
    $("#json-h", dialog).textContent = link.getAttribute("href");
    $("pre", dialog).textContent = JSON.stringify(body, null, 2);
    dialog.showModal();
  }

  async function search(offset) {
    const form = $("#search-form");
    const data = Object.fromEntries(new FormData(form));
    const q = (data.q || "").trim();
    await fill("#results", `/ui/entries${qs({ ...data, q, offset: q ? "" : offset })}`);
  }

  async function loadVersionOptions() {
    const sel = $("#x-version");
    const versions = await getJSON(`/api/v1/versions${qs()}`);
    sel.replaceChildren(
      new Option("working state", ""),
      ...versions.reverse().map((v) => new Option(`${v.name} (revision ${v.revision})`, v.name)),
    );
  }

  // --- entries ---------------------------------------------------------------------------

  const lines = (text) => (text || "").split("\n").map((l) => l.trim()).filter(Boolean);

  function parseGlosses(text) {
    const glosses = {};
    for (const line of lines(text)) {
      const m = /^([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\s*:\s*(.+)$/.exec(line);
      if (!m) throw new Problem({ status: 422, title: "Unprocessable content", detail: `glosses: «${line}» is not language: gloss` });
      (glosses[m[1].toLowerCase()] ||= []).push(m[2].trim());
    }
    return glosses;
  }

  // components go to the API as written, one "[lang:]meaning[@form]" a line: the server reads
  // the notation (one parser for the page, the CLI and CSV) and says which line it refused
  const parseComponents = lines;

  function entryBody(form) {
    const f = form.elements;
    const body = {
      form: f.form.value.trim(),
      glosses: parseGlosses(f.glosses.value),
      components: parseComponents(f.components.value),
      registers: $$("input[name=registers]:checked", form).map((x) => x.value),
      weight: Number(f.weight.value),
      status: f.status.value,
      provenance: f.provenance.value,
      notes: f.notes.value.trim(),
      examples: lines(f.examples.value),
    };
    if (f.kind.value) body.kind = f.kind.value;
    return body;
  }

  async function saveEntry(form) {
    const original = form.dataset.original;
    const reason = form.elements.reason.value.trim();
    const body = entryBody(form);
    let res;
    if (original) {
      res = await request("PUT", `/api/v1/entries/${enc(original)}${qs({ reason })}`, {
        json: body,
        headers: { "If-Match": form.dataset.etag },
      });
    } else {
      res = await request("POST", `/api/v1/entries${qs({ reason })}`, { json: body });
    }
    const saved = await res.json();
    go(`#/entry/${enc(saved.form)}`, `Saved ${saved.form} (row version ${saved.row_version}).`);
  }

  // Go to a view and say what was done there; the same view again is loaded afresh.
  function go(hash, message) {
    state.flash = message;
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  async function revert(form) {
    const id = form.dataset.revision;
    const reason = form.elements.reason.value.trim();
    const made = await (await request("POST", `/api/v1/revisions/${enc(id)}/revert${qs({ reason })}`)).json();
    const said = `Revision ${id} reverted as revision ${made.id}.`;
    if (made.op === "delete") go("#/lexicon", `${said} ${made.form} is deleted (revert revision ${made.id} to restore it).`);
    else go(`#/entry/${enc(made.form)}`, said);
  }

  async function deleteEntry(button) {
    const form = button.dataset.form;
    if (!window.confirm(`Delete ${form}? The history keeps it, and a rollback can restore it.`)) return;
    await request("DELETE", `/api/v1/entries/${enc(form)}${qs({ reason: "deleted on the web page" })}`, {
      headers: { "If-Match": button.dataset.etag },
    });
    go("#/lexicon", `Deleted ${form}.`);
  }

  // --- the dialogue over /ws ---------------------------------------------------------------

  function wsURL() {
    const u = new URL("/ws", location.href);
    u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    u.searchParams.set("lexicon", state.lexicon);
    const token = session.getItem("hl.token");
    if (token) u.searchParams.set("token", token);
    return u.toString();
  }

  function setWsState(text) {
    $("#ws-state").textContent = text;
  }

  function connect() {
    if (state.ws && state.ws.readyState <= 1) return;
    const ws = new WebSocket(wsURL());
    state.ws = ws;
    setWsState("connecting…");
    ws.onopen = () => {
      const dialogue = session.getItem(`hl.dialogue.${state.lexicon}`);
      send(dialogue ? { type: "hello", dialogue } : { type: "hello", lexicon: state.lexicon });
      send({ type: "jobs" });
    };
    ws.onmessage = (m) => onEvent(JSON.parse(m.data));
    ws.onclose = (e) => {
      if (state.ws === ws) state.ws = null;
      setWsState(`disconnected${e.reason ? ": " + e.reason : ""}`);
      for (const [id, turn] of state.running) finishTurn(id, turn, "the connection closed");
    };
  }

  function send(msg) {
    state.ws.send(JSON.stringify({ v: 1, ...msg }));
  }

  function onEvent(ev) {
    const turn = ev.id ? state.running.get(ev.id) : null;
    switch (ev.type) {
      case "dialogue":
        session.setItem(`hl.dialogue.${state.lexicon}`, ev.dialogue);
        $("#dialogue-json").href = `/api/v1/dialogues/${enc(ev.dialogue)}`;
        $("#dialogue-json").hidden = false;
        setWsState(`connected · dialogue ${ev.dialogue.slice(0, 8)}`);
        if (!$("#turns").children.length) for (const t of ev.turns) renderTurn(t.request, t.result, t.turn);
        return;
      case "token":
        if (turn) $(".stream", turn).textContent += ev.text;
        return;
      case "lexeme":
        if (turn) {
          const li = document.createElement("li");
          li.className = "chip-form";
          li.textContent = ev.lexeme.form;
          li.title = ev.lexeme.meaning || "";
          $(".chips", turn).append(li);
        }
        return;
      case "result":
        if (turn) {
          state.running.delete(ev.id);
          showResult(turn, ev.result, ev.turn);
          updateSending();
        }
        return;
      case "cancelled":
        if (turn) finishTurn(ev.id, turn, "cancelled");
        return;
      case "error":
        if (turn) finishTurn(ev.id, turn, problemText(ev.error));
        else if (ev.error && ev.error.status === 404 && /dialogue/.test(ev.error.detail || "")) {
          // the stored dialogue is gone (another database?): start a new one
          session.removeItem(`hl.dialogue.${state.lexicon}`);
          send({ type: "hello", lexicon: state.lexicon });
        } else showProblem(null, new Problem(ev.error));
        return;
      case "job":
        return onJob(ev.job);
      default:
        return; // ping, pong, jobs
    }
  }

  function finishTurn(id, turn, message) {
    state.running.delete(id);
    turn.classList.add("failed");
    const p = $(".problem", turn);
    p.hidden = false;
    p.textContent = message;
    updateSending();
  }

  function updateSending() {
    $("#cancel").disabled = state.running.size === 0;
  }

  function newTurn(request) {
    const li = document.createElement("li");
    li.className = "turn";
    const ask = document.createElement("p");
    ask.className = "ask";
    const mode = document.createElement("span");
    mode.className = "mode";
    mode.textContent = request.type;
    const text = document.createElement("span");
    text.className = "glyph said";
    text.textContent =
      [request.image_name ? `[image ${request.image_name}]` : "", request.text].filter(Boolean).join(" ") ||
      request.question || request.hyperstring || (Array.isArray(request.scenes) ? request.scenes.join(" · ") : "") ||
      (request.type === "decode" ? `the ${request.scene || "previous"} scene` : request.type === "compress" ? "the whole dialogue" : "");
    const opts = document.createElement("span");
    opts.className = "opts";
    opts.textContent = ["register", "style", "lang"].filter((k) => request[k]).map((k) => `${k}: ${request[k]}`).join(" · ");
    ask.append(mode, " ", text, " ", opts);
    const stream = document.createElement("p");
    stream.className = "stream glyph";
    const chips = document.createElement("ul");
    chips.className = "chips stream-chips";
    chips.setAttribute("aria-label", "lexemes so far");
    const answer = document.createElement("div");
    answer.className = "answer";
    const problem = document.createElement("p");
    problem.className = "problem";
    problem.setAttribute("role", "alert");
    problem.hidden = true;
    const view = document.createElement("div");
    view.className = "scene-view";
    li.append(ask, stream, chips, answer, problem, view);
    $("#turns").append(li);
    return li;
  }

  function renderTurn(request, result, number) {
    const li = newTurn(request);
    showResult(li, result, number);
  }

  async function showResult(li, result, number) {
    li.dataset.turn = number;
    li.setAttribute("aria-busy", "true");
    try {
      await showAnswer(li, result, number);
    } finally {
      // "done" once the answer and its picture are both on screen
      li.removeAttribute("aria-busy");
      li.classList.add("done");
    }
  }

  async function showAnswer(li, result, number) {
    $(".stream", li).hidden = true;
    $(".stream-chips", li).hidden = true;
    const answer = $(".answer", li);
    const head = document.createElement("p");
    head.className = "turn-head";
    head.textContent = `Turn ${number} · ${result.mode} · ${result.connector}`;
    const hs = document.createElement("p");
    hs.className = "scene-string";
    hs.textContent = result.hyperstring || "";
    answer.replaceChildren(head);
    if (result.hyperstring) answer.append(hs);
    if (result.text && result.text !== result.hyperstring) {
      const out = document.createElement("p");
      out.className = "output";
      out.textContent = result.text;
      answer.append(out);
    }
    if (result.note) {
      const note = document.createElement("p");
      note.className = "hint";
      note.textContent = result.note;
      answer.append(note);
    }
    if (result.hyperstring) {
      const again = document.createElement("button");
      again.type = "button";
      again.className = "small secondary";
      again.dataset.action = "decode-this";
      again.dataset.hyperstring = result.hyperstring;
      again.textContent = "Decode this scene…";
      answer.append(again);
    }
    checkFonts(answer);
    const scene = result.scene;
    if (!scene) return;
    const view = $(".scene-view", li);
    try {
      if (scene.query_id) await fill(view, `/ui/queries/${scene.query_id}${qs()}`);
      else await fill(view, `/ui/scene${qs()}`, { method: "POST", json: { scene, title: result.hyperstring } });
    } catch (e) {
      showProblem(li, e);
    }
  }

  // A chosen file as base64, without the "data:…;base64," prefix.
  function readBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
      reader.onerror = () => reject(new Problem({ title: "The image cannot be read", detail: file.name }));
      reader.readAsDataURL(file);
    });
  }

  async function say(form) {
    const f = form.elements;
    const type = f.type.value;
    const text = f.text.value.trim();
    const image = type === "encode" && f.image.files.length ? f.image.files[0] : null;
    const msg = { type, id: `r${Date.now().toString(36)}${state.seq++}` };
    for (const k of ["register", "lang"]) if (f[k].value) msg[k] = f[k].value;
    if (type === "decode") msg.style = f.style.value;
    const connectors = f.connectors.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (connectors.length) msg.connectors = connectors;
    if (type === "encode") {
      if (!text && !image) return f.text.focus();
      msg.text = text;
      if (image) {
        msg.image_base64 = await readBase64(image);
        msg.image_type = image.type;
        msg.image_name = image.name; // shown in the turn, not sent
      }
    } else if (type === "ask") {
      if (!text) return f.text.focus();
      msg.text = text;
    } else if (type === "decode") {
      if (text) msg.hyperstring = text;
      else msg.scene = "previous";
    } else if (type === "compress") {
      msg.scenes = text ? lines(text) : "dialogue";
    }
    if (!state.ws || state.ws.readyState !== 1) {
      connect();
      return showProblem(form, new Problem({ title: "Not connected yet", detail: "try again in a moment" }));
    }
    clearProblem(form);
    const turn = newTurn(msg);
    state.running.set(msg.id, turn);
    updateSending();
    const { image_name: _, ...wire } = msg;
    send(wire);
    f.text.value = "";
    if (image) f.image.value = "";
  }

  // --- feedback and proposals ----------------------------------------------------------------

  async function feedback(scene, body) {
    const queryId = Number(scene.dataset.query);
    const res = await request("POST", `/api/v1/feedback${qs()}`, { json: { query_id: queryId, ...body } });
    const result = await res.json();
    const holder = scene.parentElement;
    await fill(holder, `/ui/queries/${queryId}${qs()}`);
    const what = `${body.kind}${body.lexeme ? " " + body.lexeme : body.span ? ` «${body.span}»` : " the scene"}`;
    const status = $(".fb-status", holder);
    status.textContent =
      `Feedback #${result.id} recorded: ${what}.` +
      (result.weights_changed ? ` ${result.weights_changed} weight(s) moved.` : "") +
      (result.proposal_id ? ` Proposal #${result.proposal_id}.` : "");
    status.setAttribute("tabindex", "-1");
    status.focus();
  }

  // --- jobs ------------------------------------------------------------------------------------

  function showJob(holder, job, onDone) {
    holder.replaceChildren();
    const label = document.createElement("p");
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute("aria-label", `${job.kind} job progress`);
    const result = document.createElement("pre");
    result.className = "job-result";
    holder.append(label, bar, result);
    holder.dataset.job = job.id;
    state.jobs.set(job.id, holder);
    if (onDone) state.onJobDone.set(job.id, onDone);
    onJob(job);
    poll(job.id, Date.now());
  }

  async function poll(id, started) {
    // progress is pushed over /ws; polling covers a page that is not connected
    if (!state.jobs.has(id) || Date.now() - started > 10 * 60 * 1000) return;
    try {
      onJob(await getJSON(`/api/v1/jobs/${enc(id)}`));
    } catch (_) {
      /* the next push or poll will tell */
    }
    if (state.jobs.has(id)) setTimeout(() => poll(id, started), 700);
  }

  function onJob(job) {
    const holder = state.jobs.get(job.id);
    if (!holder) return;
    const [label, bar, result] = holder.children;
    const { done, total } = job.progress;
    bar.max = total || 1;
    bar.value = total ? done : FINAL.includes(job.state) ? 1 : 0;
    label.textContent = `${job.kind} job ${job.id.slice(0, 8)}: ${job.state} · ${done}/${total ?? "?"}`;
    holder.dataset.state = job.state;
    if (FINAL.includes(job.state)) {
      state.jobs.delete(job.id);
      result.textContent = job.error ? `error: ${job.error}` : jobOutcome(job);
      if (job.error) result.classList.add("problem");
      const then = state.onJobDone.get(job.id);
      state.onJobDone.delete(job.id);
      if (then) then(job);
    }
  }

  // A finished job's result as the view should say it: a calibration in a sentence (the view
  // reloads below it with every threshold in words); other jobs' results as they came.
  function jobOutcome(job) {
    const r = job.result || {};
    if (job.kind === "calibrate") {
      const n = r.pairs || 0;
      return `Calibration #${r.id} stored from ${n} judged lexeme${n === 1 ? "" : "s"}: what it did is under "Latest calibration" below.`;
    }
    return JSON.stringify(job.result, null, 1);
  }

  async function download(version, format) {
    const res = await request("GET", `/api/v1/export${qs({ version, format })}`);
    const blob = await res.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${state.lexicon}${version ? "-" + version : ""}.${format}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    return a.download;
  }

  // --- events ------------------------------------------------------------------------------------

  const SUBMIT = {
    async login(form) {
      const token = form.elements.token.value.trim();
      session.setItem("hl.token", token);
      try {
        await getJSON("/api/v1/whoami");
      } catch (e) {
        session.removeItem("hl.token");
        return showLogin(e.problem && e.problem.status === 401 ? "That token was not accepted." : problemText(e.problem || {}));
      }
      form.reset();
      await boot();
    },
    search: firstPage,
    "save-entry": saveEntry,
    revert,
    say,
    async correct(form) {
      const f = form.elements;
      await feedback(form.closest(".scene"), { kind: "correct", span: f.span.value, correction: f.correction.value });
    },
    async rate(form) {
      const f = form.elements;
      const body = { kind: "rate", rating: Number(f.rating.value) };
      if (f.register.value) body.register = f.register.value;
      await feedback(form.closest(".scene"), body);
    },
    async "proposals-filter"() {
      await fill("#proposals", `/ui/proposals${qs({ status: $("#p-status").value })}`);
    },
    async "edit-proposal"(form) {
      const f = form.elements;
      const body = {
        form: f.form.value.trim(),
        kind: f.kind.value,
        glosses: parseGlosses(f.glosses.value),
        registers: $$("input[name=registers]:checked", form).map((x) => x.value),
      };
      await request("PATCH", `/api/v1/proposals/${form.dataset.proposal}${qs()}`, { json: body });
      notify(`Proposal #${form.dataset.proposal} saved.`);
      await SUBMIT["proposals-filter"]();
    },
    async "create-version"(form) {
      const f = form.elements;
      await request("POST", `/api/v1/versions${qs()}`, { json: { name: f.name.value.trim(), message: f.message.value } });
      notify(`Version ${f.name.value.trim()} created.`);
      form.reset();
      await fill("#versions", `/ui/versions${qs()}`);
    },
    async calibrate(form) {
      const f = form.elements;
      const body = { weights: f.weights.checked };
      if (f.target_precision.value) body.target_precision = Number(f.target_precision.value);
      const job = await (await request("POST", `/api/v1/calibrate${qs()}`, { json: body })).json();
      showJob($(".job", form), job, () => fill("#calibration", `/ui/calibration${qs()}`));
    },
    async import(form) {
      const data = new FormData(form);
      data.set("repair", form.elements.repair.checked ? "true" : "false");
      if (!data.get("format")) data.delete("format");
      const job = await (await request("POST", `/api/v1/import${qs()}`, { body: data })).json();
      showJob($(".job", form), job, () => fill("#jobs", "/ui/jobs"));
    },
    async export(form) {
      const f = form.elements;
      const name = await download(f.version.value, f.format.value);
      $(".status", form).textContent = `Downloaded ${name}.`;
    },
  };

  const CLICK = {
    sort(b) {
      const form = $("#search-form");
      form.elements.sort.value = b.dataset.sort;
      form.elements.order.value = b.dataset.order;
      return firstPage();
    },
    facet(b) {
      const select = $(`#f-${b.dataset.facet}`);
      select.value = b.getAttribute("aria-pressed") === "true" ? "" : b.dataset.value;
      return firstPage();
    },
    "delete-entry": deleteEntry,
    "reload-form": () => route(),
    "close-diff": () => {
      location.hash = "#/versions";
    },
    "decode-this": (b) => {
      const form = $("#say-form");
      form.elements.type.value = "decode";
      form.elements.text.value = b.dataset.hyperstring;
      form.elements.text.focus();
    },
    async "accept-proposal"(b) {
      const r = await (await request("POST", `/api/v1/proposals/${b.dataset.proposal}/accept${qs()}`)).json();
      notify(`Proposal #${r.proposal} accepted as entry ${r.entry_id}.`);
      await SUBMIT["proposals-filter"]();
    },
    async "reject-proposal"(b) {
      await request("POST", `/api/v1/proposals/${b.dataset.proposal}/reject${qs()}`);
      notify(`Proposal #${b.dataset.proposal} rejected.`);
      await SUBMIT["proposals-filter"]();
    },
    async "export-version"(b) {
      const name = await download(b.dataset.version, "yaml");
      notify(`Downloaded ${name}.`);
    },
  };

  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    const handler = SUBMIT[form.dataset.action];
    if (!handler) return;
    ev.preventDefault();
    clearProblem(form);
    const button = $("button[type=submit]", form);
    if (button) button.disabled = true;
    try {
      await handler(form);
    } catch (e) {
      showProblem(form.closest(".proposal") || form, e);
    } finally {
      if (button && button.isConnected) button.disabled = false;
    }
  });

  document.addEventListener("click", async (ev) => {
    const target = ev.target.closest("[data-action], [data-feedback]");
    if (!target || target.tagName === "FORM") return;
    const root = target.closest(".scene, .proposal, .entry, form") || null;
    try {
      if (target.dataset.feedback) {
        const body = { kind: target.dataset.feedback };
        if (target.dataset.lexeme) body.lexeme = target.dataset.lexeme;
        target.disabled = true;
        await feedback(target.closest(".scene"), body);
      } else if (CLICK[target.dataset.action]) {
        ev.preventDefault();
        await CLICK[target.dataset.action](target);
      }
    } catch (e) {
      if (target.isConnected) target.disabled = false;
      showProblem(root, e);
    }
  });

  document.addEventListener("click", async (ev) => {
    const link = ev.target.closest("a.json-link");
    if (!link || !session.getItem("hl.token")) return;
    ev.preventDefault();
    try {
      await showJSON(link);
    } catch (e) {
      showProblem(null, e);
    }
  });

  $("#cancel").addEventListener("click", () => {
    for (const id of state.running.keys()) send({ type: "cancel", target: id });
  });
  $("#new-dialogue").addEventListener("click", () => {
    session.removeItem(`hl.dialogue.${state.lexicon}`);
    $("#turns").replaceChildren();
    if (state.ws) state.ws.close();
    state.ws = null;
    connect();
  });
  $("#say").addEventListener("keydown", (ev) => {
    // Ctrl+Enter sends, as in most chat boxes; Enter alone is a new line
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      $("#say-form").requestSubmit();
    }
  });
  $("#lexicon-select").addEventListener("change", (ev) => {
    state.lexicon = ev.target.value;
    session.setItem("hl.lexicon", state.lexicon);
    $("#turns").replaceChildren();
    if (state.ws) state.ws.close();
    state.ws = null;
    route();
  });
  $("#logout").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", route);
  boot();
})();
