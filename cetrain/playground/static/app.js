// cetrain playground: draws the numbers the server's JSON API sends and sends clicks and
// settings back. No maths beyond mapping numbers to pixels lives here: every probability, loss,
// calibration bin and metric comes from cetrain's Python core (the JSON API is in the
// README's playground section). Plain JS, no framework, no request leaves this server.
"use strict";

const API = "/api/";
// Fallbacks for facts the server may send (state.colors, state.datasets, state.max_classes):
// the Okabe-Ito class colours of cetrain.plots.style, and the generated two-feature datasets.
const FALLBACK_COLORS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00"];
const FALLBACK_DATASETS = ["moons", "circles", "blobs", "xor", "spiral", "linear"];
const FALLBACK_MAX_CLASSES = 6;
const MODEL_COLORS = ["#0072B2", "#D55E00"]; // first and compared model: blue and vermillion
const DARK = "#222222";
// Shown first; the others (tol, dtype, the split...) under "more settings".
const MAIN_SETTINGS = ["model", "loss", "lr", "momentum", "l2", "l1", "poly", "class_weight"];
const TERMINAL = new Set(["converged", "stalled", "diverged", "max_iter", "interrupted"]);

const $ = (id) => document.getElementById(id);

const ui = {
  server: null, // the last state from the API
  frame: null, // the last frame (state.frame or a step's answer)
  settingsKey: "", // names of the settings the form was built from
  selectedClass: 0,
  playing: false,
  frames: 0,
  drag: null, // {index, moved, pointerId}
  lossHover: null, // epoch index under the mouse on the loss chart
  histories: [], // each model's history so far (a step's frame may carry only its epochs)
};

// --- the API: one request at a time, in order; every error reaches the status line ---------

class ApiError extends Error {}

let queue = Promise.resolve();

let pending = 0;

// data-busy="no" once every request asked for is answered and drawn (tests wait on it)
function enqueue(task) {
  pending += 1;
  document.body.dataset.busy = "yes";
  const result = queue.then(task).finally(() => {
    pending -= 1;
    if (!pending) document.body.dataset.busy = "no";
  });
  queue = result.catch(() => undefined);
  return result;
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, options);
  } catch (error) {
    throw new ApiError(
      `cannot reach the playground server (${error.message}); is cetrain playground still running?`,
    );
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (error) {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string" ? data.error : text.slice(0, 300);
    throw new ApiError(message || `the server answered ${response.status} ${response.statusText}`);
  }
  if (data === null || typeof data !== "object") {
    throw new ApiError(`the server's answer to ${method} /api/${path} is not a JSON object`);
  }
  return data;
}

// Run a user's action: its error stops play and is shown, never dropped.
function act(task) {
  return enqueue(task).catch((error) => {
    stop();
    showStatus(error.message || String(error), "error");
  });
}

// An action's note, unless the server has one of its own about the state (no points yet, a
// setting the points cannot take), which matters more.
function note(message) {
  showStatus((ui.server && ui.server.message) || message);
}

function showStatus(message, kind = "info") {
  const line = $("status");
  line.textContent = message;
  line.className = `status ${kind}`;
  line.dataset.kind = kind;
}

// --- state and frames ----------------------------------------------------------------------

function applyState(state) {
  ui.server = state;
  ui.frame = state.frame || null;
  ui.histories = ui.frame ? [ui.frame.history, ui.frame.compare && ui.frame.compare.history] : [];
  buildClasses();
  buildSettings();
  writeUrl();
  drawAll();
}

function applyFrame(frame) {
  // a step's frame may carry only its own epochs' history: append it to what came before
  ui.histories = [frame, frame.compare].map((f, m) => f && mergeHistory(ui.histories[m], f.history));
  ui.frame = frame;
  if (ui.server) {
    ui.server.frame = frame;
    ui.server.epoch = frame.epoch;
    ui.server.status = frame.status;
  }
  // a divergence of either model stops play; otherwise play goes on until both have finished
  const models = [frame, frame.compare].filter(Boolean);
  const who = (m) => (models.length > 1 ? ` (${effectiveConfig(m === 1).loss || `model ${m + 1}`})` : "");
  const diverged = models.findIndex((f) => f.status === "diverged");
  if (diverged >= 0) {
    stop();
    const f = models[diverged];
    showStatus(`Diverged${who(diverged)} at epoch ${f.epoch}: ${f.message || "the loss became non-finite"}`, "diverged");
  } else if (models.every((f) => TERMINAL.has(f.status))) {
    stop();
    const why = models.map((f, m) => `${f.status}${who(m)}${f.message ? ` (${f.message})` : ""}`);
    showStatus(`Stopped at epoch ${frame.epoch}: ${why.join("; ")}`);
  } else if (frame.message) {
    showStatus(frame.message);
  }
}

// History (columns of equal length keyed by name, with "epoch") of `older` up to the first
// epoch of `newer`, then `newer`.
function mergeHistory(older, newer) {
  if (!newer || !Array.isArray(newer.epoch)) return older || null;
  if (!newer.epoch.length) return older || newer; // a finished model: no new epochs
  if (!older || !Array.isArray(older.epoch)) return newer;
  const keep = older.epoch.filter((e) => e < newer.epoch[0]).length;
  const merged = {};
  for (const key of Object.keys(newer)) {
    const before = Array.isArray(older[key]) ? older[key].slice(0, keep) : null;
    merged[key] = Array.isArray(newer[key]) && before ? before.concat(newer[key]) : newer[key];
  }
  return merged;
}

const points = () => (ui.server && Array.isArray(ui.server.points) ? ui.server.points : []);
const colors = () => (ui.server && ui.server.colors) || FALLBACK_COLORS;
const classColor = (k) => colors()[((k % colors().length) + colors().length) % colors().length];
const maxClasses = () => (ui.server && ui.server.max_classes) || FALLBACK_MAX_CLASSES;

function bounds() {
  const b = ui.server && ui.server.bounds;
  const ok = b && b.length === 2 && b.every((r) => r && isFinite(r[0]) && isFinite(r[1]) && r[1] > r[0]);
  return ok ? b : [[-3, 3], [-3, 3]];
}

// --- data plane ----------------------------------------------------------------------------

function buildClasses() {
  const box = $("classes");
  const names = (ui.server && ui.server.classes) || [];
  const count = Math.max(maxClasses(), names.length);
  if (box.childElementCount === count && box.dataset.names === names.join("\u0000")) return;
  box.dataset.names = names.join("\u0000");
  box.textContent = "";
  for (let k = 0; k < count; k++) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "class";
    button.setAttribute("role", "radio");
    button.dataset.class = String(k);
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = classColor(k);
    button.append(swatch, document.createTextNode(names[k] !== undefined ? names[k] : String(k)));
    button.title = `New points get class ${names[k] !== undefined ? names[k] : k}`;
    button.addEventListener("click", () => selectClass(k));
    box.append(button);
  }
  selectClass(Math.min(ui.selectedClass, count - 1));
}

function selectClass(k) {
  ui.selectedClass = k;
  for (const button of $("classes").children) {
    button.setAttribute("aria-checked", String(Number(button.dataset.class) === k));
  }
}

function planeTransform(canvas) {
  const [[x0, x1], [y0, y1]] = bounds();
  const [w, h] = sizeOf(canvas);
  return {
    px: (x) => ((x - x0) / (x1 - x0)) * w,
    py: (y) => h - ((y - y0) / (y1 - y0)) * h,
    dx: (px) => x0 + (px / w) * (x1 - x0),
    dy: (py) => y0 + ((h - py) / h) * (y1 - y0),
  };
}

function pointRadius(loss) {
  // area grows with the point's own loss (as the figures' show_loss), capped so one point
  // cannot hide the plane
  if (loss === null || loss === undefined || !isFinite(loss)) return 4;
  return Math.min(3 + 3 * Math.sqrt(Math.max(loss, 0)), 16);
}

function hexRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// The shading: class colour of the argmax, mixed with white by how sure the model is
// (max probability from 1/K, white, to 1, the colour at 60%).
// The class index (into state.classes) of each probability column of a frame.
function columnClasses(frame, K) {
  const given = frame && Array.isArray(frame.model_classes) ? frame.model_classes : null;
  return [...Array(K).keys()].map((c) => (given && given[c] !== undefined ? given[c] : c));
}

function gridImage(grid, frame) {
  const proba = grid.proba;
  const ny = proba.length;
  const nx = ny ? proba[0].length : 0;
  if (!nx) return null;
  const ascending = grid.y.length > 1 ? grid.y[grid.y.length - 1] > grid.y[0] : true;
  const image = new ImageData(nx, ny);
  const K = proba[0][0].length;
  const rgb = columnClasses(frame, Math.max(K, 2)).map((k) => hexRgb(classColor(k)));
  for (let j = 0; j < ny; j++) {
    const row = ascending ? ny - 1 - j : j; // image rows run top to bottom
    for (let i = 0; i < nx; i++) {
      const p = proba[j][i];
      let best = 0;
      let top = -1;
      for (let k = 0; k < p.length; k++) {
        if (p[k] !== null && p[k] > top) {
          top = p[k];
          best = k;
        }
      }
      // sure: 0 at the most uncertain (max p = 1/K), 1 at certainty
      const sure = K === 1 ? Math.abs(2 * p[0] - 1) : Math.max(0, (top - 1 / K) / (1 - 1 / K));
      if (K === 1) best = p[0] >= 0.5 ? 1 : 0; // one sigmoid column: P(class 1)
      const c = rgb[best];
      const a = 0.08 + 0.52 * sure;
      const at = 4 * (row * nx + i);
      image.data[at] = Math.round(255 + (c[0] - 255) * a);
      image.data[at + 1] = Math.round(255 + (c[1] - 255) * a);
      image.data[at + 2] = Math.round(255 + (c[2] - 255) * a);
      image.data[at + 3] = 255;
    }
  }
  return { image, nx, ny };
}

function drawPlane(canvas, frame, caption) {
  const ctx = prepare(canvas);
  const [w, h] = sizeOf(canvas);
  const t = planeTransform(canvas);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  const grid = frame && frame.grid;
  if (grid && Array.isArray(grid.proba) && grid.proba.length && grid.x.length && grid.y.length) {
    const shaded = gridImage(grid, frame);
    if (shaded) {
      const { nx, ny } = shaded;
      const off = document.createElement("canvas");
      off.width = nx;
      off.height = ny;
      off.getContext("2d").putImageData(shaded.image, 0, 0);
      const hx = nx > 1 ? (grid.x[nx - 1] - grid.x[0]) / (nx - 1) / 2 : 0.5;
      const ys = [grid.y[0], grid.y[ny - 1]];
      const hy = ny > 1 ? Math.abs(ys[1] - ys[0]) / (ny - 1) / 2 : 0.5;
      const left = t.px(grid.x[0] - hx);
      const right = t.px(grid.x[nx - 1] + hx);
      const top = t.py(Math.max(...ys) + hy);
      const bottom = t.py(Math.min(...ys) - hy);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(off, left, top, right - left, bottom - top);
      ctx.beginPath();
      boundary(ctx, grid, t);
      ctx.strokeStyle = DARK;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
  }
  drawAxes(ctx, t, w, h);
  const losses = frame && frame.points && Array.isArray(frame.points.loss) ? frame.points.loss : [];
  const rows = points();
  // big (costly) points first, so small ones stay visible on top
  const order = rows.map((_, i) => i).sort((a, b) => pointRadius(losses[b]) - pointRadius(losses[a]));
  for (const i of order) {
    const [x, y, label, isTest] = rows[i];
    const r = pointRadius(losses[i]);
    ctx.beginPath();
    if (isTest) {
      // test points: hollow squares
      ctx.rect(t.px(x) - r, t.py(y) - r, 2 * r, 2 * r);
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = classColor(label);
      ctx.stroke();
      ctx.lineWidth = 0.75;
      ctx.strokeStyle = DARK;
      ctx.strokeRect(t.px(x) - r - 1.5, t.py(y) - r - 1.5, 2 * r + 3, 2 * r + 3);
    } else {
      ctx.arc(t.px(x), t.py(y), r, 0, 2 * Math.PI);
      ctx.fillStyle = classColor(label);
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = DARK;
      ctx.stroke();
    }
  }
  if (caption) caption.textContent = captionText(frame, caption.id === "caption2");
}

function captionText(frame, second) {
  const config = effectiveConfig(second);
  const words = [];
  if (config.loss !== undefined) words.push(`loss ${config.loss}`);
  if (config.model !== undefined) words.push(`model ${config.model}`);
  if (frame) {
    words.push(`epoch ${frame.epoch}`);
    if (frame.accuracy !== null && frame.accuracy !== undefined) words.push(`accuracy ${fmt(frame.accuracy)}`);
    if (frame.log_loss !== null && frame.log_loss !== undefined) words.push(`log loss ${fmt(frame.log_loss)}`);
  }
  return words.join(" · ");
}

function drawAxes(ctx, t, w, h) {
  const [[x0, x1], [y0, y1]] = bounds();
  ctx.fillStyle = "#555555";
  ctx.font = "11px sans-serif";
  ctx.strokeStyle = "rgba(0,0,0,0.12)";
  ctx.lineWidth = 1;
  for (const v of ticks(x0, x1, 6)) {
    ctx.beginPath();
    ctx.moveTo(t.px(v), 0);
    ctx.lineTo(t.px(v), h);
    ctx.stroke();
    if (t.px(v) < w - 30) ctx.fillText(tickText(v), t.px(v) + 2, h - 3);
  }
  for (const v of ticks(y0, y1, 6)) {
    ctx.beginPath();
    ctx.moveTo(0, t.py(v));
    ctx.lineTo(w, t.py(v));
    ctx.stroke();
    if (t.py(v) > 26) ctx.fillText(tickText(v), 3, t.py(v) - 2);
  }
  const names = (ui.server && ui.server.feature_names) || ["x1", "x2"];
  ctx.fillStyle = DARK;
  ctx.fillText(names[0] || "x1", w - ctx.measureText(names[0] || "x1").width - 4, h - 16);
  ctx.fillText(names[1] || "x2", 3, 12);
}

// The decision boundary: for each class k, the zero contour of p_k - max_{j != k} p_j
// (marching squares between the grid's points, crossings placed by linear interpolation).
function boundary(ctx, grid, t) {
  const proba = grid.proba;
  const ny = proba.length;
  const nx = proba[0].length;
  const K = proba[0][0].length;
  const px = grid.x.map((x) => t.px(x));
  const py = grid.y.map((y) => t.py(y));
  const f = new Float64Array(nx * ny);
  const classes = K <= 2 ? [K - 1] : [...Array(K).keys()];
  for (const k of classes) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const p = proba[j][i];
        let value;
        if (K === 1) {
          value = p[0] === null ? NaN : 2 * p[0] - 1; // one sigmoid column: P(class 1)
        } else {
          let other = -Infinity;
          for (let c = 0; c < K; c++) if (c !== k && p[c] !== null && p[c] > other) other = p[c];
          value = p[k] === null ? NaN : p[k] - other;
        }
        f[j * nx + i] = value;
      }
    }
    for (let j = 0; j + 1 < ny; j++) {
      for (let i = 0; i + 1 < nx; i++) {
        // the cell's corners in order around it: (i, j), (i+1, j), (i+1, j+1), (i, j+1)
        const v0 = f[j * nx + i];
        const v1 = f[j * nx + i + 1];
        const v2 = f[(j + 1) * nx + i + 1];
        const v3 = f[(j + 1) * nx + i];
        const above = (v0 > 0) + (v1 > 0) + (v2 > 0) + (v3 > 0);
        if (above === 0 || above === 4 || Number.isNaN(v0 + v1 + v2 + v3)) continue;
        // crossings on the edges whose ends differ in sign, by linear interpolation
        let first = null;
        const edge = (a, b, xa, ya, xb, yb) => {
          if ((a > 0) === (b > 0)) return;
          const s = a / (a - b);
          const x = xa + s * (xb - xa);
          const y = ya + s * (yb - ya);
          if (first === null) {
            first = [x, y];
          } else {
            ctx.moveTo(first[0], first[1]);
            ctx.lineTo(x, y);
            first = null;
          }
        };
        edge(v0, v1, px[i], py[j], px[i + 1], py[j]);
        edge(v1, v2, px[i + 1], py[j], px[i + 1], py[j + 1]);
        edge(v2, v3, px[i + 1], py[j + 1], px[i], py[j + 1]);
        edge(v3, v0, px[i], py[j + 1], px[i], py[j]);
      }
    }
  }
}

// --- pointer: add, drag, remove ------------------------------------------------------------

function hit(canvas, event) {
  const t = planeTransform(canvas);
  const rect = canvas.getBoundingClientRect();
  // drawing uses the canvas's inside (client) box; the bounding rect includes its border
  const mx = event.clientX - rect.left - canvas.clientLeft;
  const my = event.clientY - rect.top - canvas.clientTop;
  const losses = ui.frame && ui.frame.points ? ui.frame.points.loss || [] : [];
  let found = -1;
  let nearest = Infinity;
  points().forEach(([x, y], i) => {
    const d = Math.hypot(t.px(x) - mx, t.py(y) - my);
    if (d <= pointRadius(losses[i]) + 3 && d < nearest) {
      nearest = d;
      found = i;
    }
  });
  return { index: found, x: t.dx(mx), y: t.dy(my) };
}

function postPoints(rows) {
  return act(async () => {
    const state = await api("POST", "points", { points: rows.map(([x, y, label]) => [x, y, label]) });
    applyState(state);
    note(`${points().length} points; training starts again from epoch 0.`);
  });
}

function setupPlane() {
  const canvas = $("plane");
  canvas.addEventListener("contextmenu", (event) => {
    event.preventDefault();
    const { index } = hit(canvas, event);
    if (index >= 0) postPoints(points().filter((_, i) => i !== index));
  });
  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    const { index, x, y } = hit(canvas, event);
    if (event.shiftKey) {
      if (index >= 0) postPoints(points().filter((_, i) => i !== index));
      return;
    }
    if (index >= 0) {
      ui.drag = { index, moved: false, pointerId: event.pointerId };
      canvas.setPointerCapture(event.pointerId);
      return;
    }
    postPoints([...points(), [x, y, ui.selectedClass]]);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!ui.drag) {
      describePoint(hit(canvas, event).index);
      return;
    }
    const { x, y } = hit(canvas, event);
    const row = points()[ui.drag.index];
    row[0] = x;
    row[1] = y;
    ui.drag.moved = true;
    drawPlanes();
  });
  const drop = () => {
    if (!ui.drag) return;
    const { moved } = ui.drag;
    ui.drag = null;
    if (moved) postPoints(points());
  };
  canvas.addEventListener("pointerup", drop);
  canvas.addEventListener("pointercancel", drop);
}

// What one point costs: its class, its probabilities and its own loss (the frame's numbers).
function describePoint(index) {
  const out = $("point-hover");
  const row = points()[index];
  if (!row) {
    out.textContent = "";
    return;
  }
  const names = (ui.server && ui.server.classes) || [];
  const name = (k) => (names[k] !== undefined ? names[k] : String(k));
  const parts = [`${row[3] ? "test" : "training"} point of class ${name(row[2])}`];
  frames().forEach((frame, m) => {
    const p = frame.points && frame.points.proba ? frame.points.proba[index] : null;
    const loss = frame.points && frame.points.loss ? frame.points.loss[index] : null;
    if (!p) return;
    const columns = columnClasses(frame, p.length);
    const probabilities = p.map((v, c) => `P(${name(columns[c])}) ${fmt(v)}`).join(", ");
    const who = frames().length > 1 ? `${effectiveConfig(m === 1).loss}: ` : "";
    parts.push(`${who}${probabilities}, its loss ${fmt(loss)}`);
  });
  out.textContent = parts.join(" · ");
}

// --- settings: built from state.settings, the one settings table ---------------------------

function effectiveConfig(second) {
  const config = (ui.server && ui.server.config) || {};
  if (!second) return config;
  return { ...config, ...((ui.server && ui.server.compare) || {}) };
}

function isNumberKind(setting) {
  return ["number", "float", "integer", "int"].includes(setting.kind);
}

function isFlagKind(setting) {
  return ["flag", "bool", "boolean"].includes(setting.kind) || typeof setting.default === "boolean";
}

function hasChoices(setting) {
  return Array.isArray(setting.choices) && setting.choices.length > 0;
}

// The words a setting takes besides numbers or class=weight pairs (lr: "auto").
function words(setting) {
  if (Array.isArray(setting.words) && setting.words.length) return setting.words;
  return hasChoices(setting) && hasRange(setting) ? setting.choices : [];
}

function hasRange(setting) {
  return (setting.low !== null && setting.low !== undefined) || (setting.high !== null && setting.high !== undefined);
}

function isIntegerKind(setting) {
  return setting.integer === true || ["integer", "int"].includes(setting.kind);
}

// A control's text as the value the API takes (by the setting's kind).
function parseValue(setting, text) {
  if (isFlagKind(setting)) return text === true || text === "true" || text === "1";
  const trimmed = String(text).trim();
  if (trimmed === "") return null;
  if (isNumberKind(setting) || hasRange(setting)) {
    const number = Number(trimmed);
    if (trimmed !== "" && !Number.isNaN(number)) return number;
  }
  return trimmed;
}

function showValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value).map(([k, v]) => `${k}=${v}`).join(",");
  }
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

function helpText(setting) {
  const accepts = setting.expected ? `\nAccepts ${setting.expected}.` : "";
  const shown = setting.default === null || setting.default === undefined ? "" : `\nDefault: ${showValue(setting.default)}.`;
  return `${setting.name}: ${setting.help || ""}${accepts}${shown}`;
}

function makeControl(setting, second) {
  const name = setting.name;
  let control;
  if (isFlagKind(setting)) {
    control = document.createElement("input");
    control.type = "checkbox";
  } else if (hasChoices(setting) && !words(setting).length) {
    control = document.createElement("select");
    for (const choice of setting.choices) {
      const option = document.createElement("option");
      option.value = choice;
      option.textContent = choice;
      control.append(option);
    }
  } else if (words(setting).length) {
    // a word, a number or class=weight pairs (lr: "auto" or a step size): text, the words
    // suggested
    control = document.createElement("input");
    control.type = "text";
    const list = document.createElement("datalist");
    list.id = `choices-${name}`;
    for (const choice of words(setting)) {
      const option = document.createElement("option");
      option.value = choice;
      list.append(option);
    }
    if (!document.getElementById(list.id)) document.body.append(list);
    control.setAttribute("list", list.id);
    control.placeholder = setting.default === null ? "default" : words(setting).join(" | ");
  } else if (isNumberKind(setting)) {
    control = document.createElement("input");
    control.type = "number";
    if (isFinite(setting.low) && setting.low !== null) control.min = setting.low;
    if (isFinite(setting.high) && setting.high !== null) control.max = setting.high;
    control.step = isIntegerKind(setting) ? "1" : "any";
    if (setting.default === null || setting.default === undefined) control.placeholder = "default";
  } else {
    control = document.createElement("input");
    control.type = "text";
    control.placeholder = "default";
  }
  control.name = name;
  control.dataset.setting = name;
  control.dataset.model = second ? "2" : "1";
  control.title = helpText(setting);
  control.addEventListener("change", () => changeSetting(setting, control, second));
  return control;
}

function controlValue(control) {
  return control.type === "checkbox" ? control.checked : control.value;
}

function setControl(control, value) {
  if (control.type === "checkbox") control.checked = Boolean(value);
  else control.value = showValue(value);
}

function changeSetting(setting, control, second) {
  const value = parseValue(setting, controlValue(control));
  act(async () => {
    let body;
    if (second) {
      body = { compare: { ...((ui.server && ui.server.compare) || {}), [setting.name]: value } };
    } else {
      body = { [setting.name]: value };
    }
    try {
      applyState(await api("POST", "config", body));
      note(`${setting.name} = ${showValue(value) || "default"}; training starts again from epoch 0.`);
    } catch (error) {
      refreshSettings(); // the server kept its value: show it again
      throw error;
    }
  });
}

function buildSettings() {
  const settings = (ui.server && ui.server.settings) || [];
  const key = settings.map((s) => s.name).join(",");
  const form = $("settings");
  if (key !== ui.settingsKey) {
    ui.settingsKey = key;
    form.textContent = "";
    const head = document.createElement("div");
    head.className = "setting head";
    head.innerHTML = "<span></span><span>model</span><span class=\"second-only\">compared</span>";
    form.append(head);
    const more = document.createElement("details");
    more.className = "more";
    const summary = document.createElement("summary");
    summary.textContent = "more settings";
    more.append(summary);
    for (const setting of settings) {
      const row = document.createElement("div");
      row.className = "setting";
      row.dataset.setting = setting.name;
      if (setting.loss) row.dataset.loss = setting.loss;
      const label = document.createElement("label");
      label.textContent = setting.name;
      label.title = helpText(setting);
      const first = makeControl(setting, false);
      first.id = `setting-${setting.name}`;
      label.htmlFor = first.id;
      const second = makeControl(setting, true);
      second.classList.add("second-only");
      row.append(label, first, second);
      (MAIN_SETTINGS.includes(setting.name) || setting.loss ? form : more).append(row);
    }
    if (more.childElementCount > 1) form.append(more);
  }
  refreshSettings();
}

function refreshSettings() {
  const comparing = Boolean(ui.server && ui.server.compare);
  document.body.dataset.compare = comparing ? "on" : "off";
  $("compare").checked = comparing;
  const configs = [effectiveConfig(false), effectiveConfig(true)];
  for (const row of $("settings").querySelectorAll(".setting[data-setting]")) {
    const name = row.dataset.setting;
    const loss = row.dataset.loss;
    // a loss's own option only shows under that loss (in either column)
    const shown = !loss || configs[0].loss === loss || (comparing && configs[1].loss === loss);
    row.hidden = !shown;
    for (const control of row.querySelectorAll("[data-setting]")) {
      const second = control.dataset.model === "2";
      setControl(control, configs[second ? 1 : 0][name]);
      control.disabled = second && loss !== undefined && configs[1].loss !== loss;
      if (!second) control.disabled = loss !== undefined && configs[0].loss !== loss;
    }
  }
}

// The settings in the URL (a bookmark restores them): first model's differences from the
// defaults as name=value, the compared model's as compare.name=value.
function writeUrl() {
  if (!ui.server || !Array.isArray(ui.server.settings)) return;
  const query = new URLSearchParams();
  const config = ui.server.config || {};
  for (const setting of ui.server.settings) {
    const value = config[setting.name];
    if (value !== undefined && value !== null && showValue(value) !== showValue(setting.default)) {
      query.set(setting.name, showValue(value));
    }
  }
  if (ui.server.compare) {
    const entries = Object.entries(ui.server.compare);
    if (!entries.length) query.set("compare", "on");
    for (const [name, value] of entries) query.set(`compare.${name}`, showValue(value));
  }
  const text = query.toString();
  const url = `${location.pathname}${text ? `?${text}` : ""}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, "", url);
}

function readUrl(settings) {
  const query = new URLSearchParams(location.search);
  const byName = Object.fromEntries(settings.map((s) => [s.name, s]));
  const config = {};
  let compare = null;
  for (const [key, text] of query) {
    if (key === "compare") {
      compare = compare || {};
      continue;
    }
    const second = key.startsWith("compare.");
    const name = second ? key.slice("compare.".length) : key;
    // an unknown name goes to the server too, which says what it accepts
    const value = byName[name] ? parseValue(byName[name], text) : text;
    if (second) {
      compare = compare || {};
      compare[name] = value;
    } else {
      config[name] = value;
    }
  }
  if (compare) config.compare = compare;
  return config;
}

function toggleCompare(on) {
  act(async () => {
    let compare = null;
    if (on) {
      const loss = effectiveConfig(false).loss;
      compare = { loss: loss === "mse" ? "cross-entropy" : "mse" };
    }
    applyState(await api("POST", "config", { compare }));
    note(on ? "Compare mode: both models step together from the same start." : "Compare mode off.");
  });
}

// --- run controls --------------------------------------------------------------------------

const speed = () => Number($("speed").value) || 1;

function step() {
  return enqueue(async () => {
    const frame = await api("POST", "step", { epochs: speed() });
    applyFrame(frame);
    // the frame is drawn before anything asks for the next one
    await new Promise((resolve) => requestAnimationFrame(() => {
      drawAll();
      ui.frames += 1;
      document.body.dataset.frames = String(ui.frames);
      resolve();
    }));
  });
}

function loop() {
  if (!ui.playing) return;
  step().then(loop, (error) => {
    stop();
    showStatus(error.message || String(error), "error");
  });
}

function play() {
  if (ui.playing) return;
  ui.playing = true;
  updateRunButtons();
  showStatus("Playing…");
  loop();
}

function stop() {
  ui.playing = false;
  updateRunButtons();
}

function updateRunButtons() {
  $("play").disabled = ui.playing;
  $("pause").disabled = !ui.playing;
  document.body.dataset.playing = ui.playing ? "yes" : "no";
}

// --- charts --------------------------------------------------------------------------------

// Each canvas's CSS size, measured once per layout (reading it after the frame's text changes
// would force a reflow every frame); forgotten when the window or the compare mode changes.
const measured = new Map();

function sizeOf(canvas) {
  if (!measured.has(canvas)) measured.set(canvas, [canvas.clientWidth, canvas.clientHeight]);
  return measured.get(canvas);
}

function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const [w, h] = sizeOf(canvas);
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

function ticks(low, high, count) {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const size = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(low / size) * size; v <= high + size * 1e-9; v += size) out.push(Math.abs(v) < size * 1e-9 ? 0 : v);
  return out;
}

// Ticks of a log axis from 10**low to 10**high: the decades, and 2 and 5 times them when the
// axis spans fewer than two decades.
function logTicks(low, high) {
  const out = [];
  const steps = high - low < 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(low); e <= Math.ceil(high); e++) {
    for (const m of steps) {
      const v = m * 10 ** e;
      if (Math.log10(v) >= low - 1e-9 && Math.log10(v) <= high + 1e-9) out.push(v);
    }
  }
  return out;
}

const tickText = (v) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(0).replace("e+", "e") : String(+v.toPrecision(3));

function fmt(x) {
  if (x === null || x === undefined || !isFinite(x)) return "–";
  if (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0)) return x.toExponential(3);
  return String(+x.toPrecision(4));
}

// Line chart of series [{label, color, dash, xs, ys}] with a log y axis when every value is
// positive. Returns the mapping for hover.
function lineChart(canvas, series, hoverX) {
  const ctx = prepare(canvas);
  const [w, h] = sizeOf(canvas);
  const pad = { l: 46, r: 8, t: 8, b: 20 };
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  const values = series.flatMap((s) => s.ys.filter((v) => v !== null && isFinite(v)));
  const xs = series.flatMap((s) => s.xs);
  if (!values.length || !xs.length) {
    ctx.fillStyle = "#777777";
    ctx.font = "12px sans-serif";
    ctx.fillText("no epochs yet: press Play or Step", pad.l, h / 2);
    return null;
  }
  const log = values.every((v) => v > 0);
  const f = log ? Math.log10 : (v) => v;
  let y0 = Math.min(...values.map(f));
  let y1 = Math.max(...values.map(f));
  if (y1 - y0 < 1e-12) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const x0 = Math.min(...xs);
  const x1 = Math.max(Math.max(...xs), x0 + 1);
  const px = (x) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const py = (v) => pad.t + (1 - (f(v) - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  ctx.font = "10px sans-serif";
  ctx.lineWidth = 1;
  const yTicks = log ? logTicks(y0, y1) : ticks(y0, y1, 4);
  // over many decades, every other decade is labelled
  const decades = log ? yTicks.filter((v) => Number.isInteger(Math.log10(v))).length : 0;
  const labelled = (v) => decades <= 4 || Math.round(Math.log10(v)) % 2 === 0;
  for (const v of yTicks) {
    ctx.strokeStyle = "rgba(0,0,0,0.1)";
    ctx.beginPath();
    ctx.moveTo(pad.l, py(v));
    ctx.lineTo(w - pad.r, py(v));
    ctx.stroke();
    ctx.fillStyle = "#555555";
    if (labelled(v)) ctx.fillText(tickText(v), 2, py(v) + 3);
  }
  ctx.textAlign = "center";
  for (const v of ticks(x0, x1, 5)) {
    if (px(v) > w - 12) continue; // no label cut by the edge
    ctx.fillStyle = "#555555";
    ctx.fillText(tickText(v), px(v), h - 6);
  }
  ctx.textAlign = "start";
  for (const s of series) {
    ctx.beginPath();
    let drawing = false;
    s.xs.forEach((x, i) => {
      const v = s.ys[i];
      if (v === null || v === undefined || !isFinite(v) || (log && v <= 0)) {
        drawing = false;
        return;
      }
      if (drawing) ctx.lineTo(px(x), py(v));
      else ctx.moveTo(px(x), py(v));
      drawing = true;
    });
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.75;
    ctx.setLineDash(s.dash ? [5, 3] : []);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  if (hoverX !== null && hoverX !== undefined) {
    ctx.strokeStyle = "rgba(0,0,0,0.45)";
    ctx.beginPath();
    ctx.moveTo(px(hoverX), pad.t);
    ctx.lineTo(px(hoverX), h - pad.b);
    ctx.stroke();
  }
  return { x0, x1, pad, w };
}

function frames() {
  const list = [];
  if (ui.frame) list.push(ui.frame);
  if (ui.frame && ui.frame.compare) list.push(ui.frame.compare);
  return list;
}

function histories() {
  return frames().map((_, m) => (ui.histories && ui.histories[m]) || null);
}

// One model: its own loss on the training and test rows. Two: each one's test log loss (its
// training loss when there are no test rows), the scale both share.
function lossSeries() {
  const list = histories();
  const series = [];
  list.forEach((history, m) => {
    if (!history) return;
    const xs = history.epoch || [];
    const has = (key) => Array.isArray(history[key]) && history[key].some((v) => v !== null);
    if (list.length > 1) {
      const name = effectiveConfig(m === 1).loss || `model ${m + 1}`;
      const key = has("log_loss") ? "log_loss" : "train_loss";
      const what = key === "log_loss" ? "test log loss" : "train loss";
      series.push({ label: `${name} ${what}`, color: MODEL_COLORS[m], dash: m === 1, xs, ys: history[key] || [] });
      return;
    }
    series.push({ label: "train", color: MODEL_COLORS[0], dash: false, xs, ys: history.train_loss || [] });
    if (has("test_loss")) series.push({ label: "test", color: MODEL_COLORS[1], dash: false, xs, ys: history.test_loss });
  });
  return series;
}

let lossMap = null;

function drawLosses() {
  const series = lossSeries();
  lossMap = lineChart($("losses"), series, ui.lossHover);
  const legend = $("loss-legend");
  const labels = series.map((s) => s.label).join("\u0000");
  if (legend.dataset.labels !== labels) legend.textContent = "";
  legend.dataset.labels = labels;
  for (const s of legend.childElementCount ? [] : series) {
    const item = document.createElement("span");
    item.className = s.dash ? "key dashed" : "key";
    item.style.borderColor = s.color;
    item.textContent = s.label;
    legend.append(item);
  }
  const hover = $("loss-hover");
  if (ui.lossHover === null || !series.length) {
    hover.textContent = "hover the chart to read the values";
    return;
  }
  const parts = [`epoch ${ui.lossHover}`];
  for (const s of series) {
    const i = s.xs.indexOf(ui.lossHover);
    if (i >= 0) parts.push(`${s.label} ${fmt(s.ys[i])}`);
  }
  hover.textContent = parts.join(" · ");
}

function setupLossHover() {
  const canvas = $("losses");
  canvas.addEventListener("mousemove", (event) => {
    if (!lossMap) return;
    const rect = canvas.getBoundingClientRect();
    const { x0, x1, pad, w } = lossMap;
    const x = x0 + ((event.clientX - rect.left - canvas.clientLeft - pad.l) / (w - pad.l - pad.r)) * (x1 - x0);
    const epochs = (histories()[0] && histories()[0].epoch) || [];
    if (!epochs.length) return;
    let best = epochs[0];
    for (const e of epochs) if (Math.abs(e - x) < Math.abs(best - x)) best = e;
    ui.lossHover = best;
    drawLosses();
  });
  canvas.addEventListener("mouseleave", () => {
    ui.lossHover = null;
    drawLosses();
  });
}

function drawGradNorms() {
  const series = histories().map((history, m) => ({
    label: `model ${m + 1}`,
    color: MODEL_COLORS[m],
    dash: m === 1,
    xs: (history && history.epoch) || [],
    ys: (history && history.grad_norm) || [],
  }));
  lineChart($("gradnorms"), series, null);
}

function drawReliability() {
  const canvas = $("reliability");
  const ctx = prepare(canvas);
  const [w, h] = sizeOf(canvas);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  const size = Math.min(w - 40, h - 24);
  const left = 34;
  const top = 6;
  const px = (p) => left + p * size;
  const py = (p) => top + (1 - p) * size;
  ctx.strokeStyle = "#999999";
  ctx.setLineDash([2, 3]);
  ctx.beginPath();
  ctx.moveTo(px(0), py(0));
  ctx.lineTo(px(1), py(1));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = "#cccccc";
  ctx.strokeRect(px(0), py(1), size, size);
  ctx.fillStyle = "#555555";
  ctx.font = "10px sans-serif";
  for (const v of [0, 0.5, 1]) {
    ctx.fillText(String(v), px(v) - 4, top + size + 12);
    ctx.fillText(String(v), left - 20, py(v) + 3);
  }
  ctx.fillText("predicted", px(1) + 4, top + size);
  let drawn = 0;
  frames().forEach((frame, m) => {
    const c = frame.calibration;
    if (!c || !Array.isArray(c.mean_predicted)) return;
    // the curve may list only the bins that hold rows; their counts, in order
    const all = c.count || [];
    const counts = all.length === c.mean_predicted.length ? all : all.filter((n) => n > 0);
    const most = Math.max(1, ...counts.filter((n) => n !== null));
    ctx.strokeStyle = MODEL_COLORS[m];
    ctx.fillStyle = MODEL_COLORS[m];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let drawing = false;
    c.mean_predicted.forEach((p, i) => {
      const q = c.fraction_positive[i];
      if (p === null || q === null || q === undefined || counts[i] === 0) {
        drawing = false;
        return;
      }
      if (drawing) ctx.lineTo(px(p), py(q));
      else ctx.moveTo(px(p), py(q));
      drawing = true;
    });
    ctx.stroke();
    c.mean_predicted.forEach((p, i) => {
      const q = c.fraction_positive[i];
      if (p === null || q === null || q === undefined || counts[i] === 0) return;
      ctx.beginPath();
      ctx.arc(px(p), py(q), 2 + 4 * Math.sqrt((counts[i] || 0) / most), 0, 2 * Math.PI);
      ctx.fill();
      drawn += 1;
    });
  });
  if (!drawn) {
    ctx.fillStyle = "#777777";
    ctx.fillText("no test points yet", px(0.3), py(0.5));
  }
}

// --- drawing everything --------------------------------------------------------------------

function drawPlanes() {
  const comparing = Boolean(ui.server && ui.server.compare);
  $("plane2-figure").hidden = !comparing;
  sizePlanes();
  drawPlane($("plane"), ui.frame, $("caption1"));
  if (comparing) drawPlane($("plane2"), ui.frame ? ui.frame.compare : null, $("caption2"));
}

let planesSized = "";

// The planes' side: as large as the middle column and the window allow. Measured only when the
// window or the compare mode changes (reading the layout each frame costs a reflow).
function sizePlanes() {
  const box = $("planes");
  const comparing = !$("plane2-figure").hidden;
  const key = `${window.innerWidth}x${window.innerHeight}:${comparing}`;
  if (key === planesSized) return;
  planesSized = key;
  measured.clear();
  const header = document.querySelector("header").getBoundingClientRect().bottom;
  const width = box.clientWidth - 8;
  const height = window.innerHeight - header - 90; // the key line below the planes
  const caption = 40; // a plane's caption, two lines
  let side = Math.min(width, height - caption);
  let stacked = false;
  if (comparing) {
    const beside = Math.min((width - 16) / 2, height - caption);
    const above = Math.min(width, height / 2 - caption);
    stacked = above > beside;
    side = Math.max(beside, above);
  }
  box.classList.toggle("stacked", stacked);
  side = Math.max(200, Math.floor(side));
  for (const canvas of [$("plane"), $("plane2")]) {
    canvas.style.width = `${side}px`;
    canvas.style.height = `${side}px`;
  }
}

function drawAll() {
  const frame = ui.frame;
  const epoch = frame ? frame.epoch : (ui.server && ui.server.epoch) || 0;
  $("epoch").textContent = String(epoch);
  $("accuracy").textContent = frame ? fmt(frame.accuracy) : "–";
  $("logloss").textContent = frame ? fmt(frame.log_loss) : "–";
  $("gradnorm").textContent = frame ? fmt(frame.grad_norm) : "–";
  $("steplr").textContent = frame ? fmt(frame.learning_rate) : "–";
  for (const span of document.querySelectorAll(".measured")) {
    span.textContent = frame && frame.measured_on ? ` (${frame.measured_on})` : "";
  }
  const calibration = frame && frame.calibration;
  $("calibration-name").textContent = calibration && calibration.name ? `(${calibration.name})` : "";
  document.body.dataset.epoch = String(epoch);
  document.body.dataset.status = (frame && frame.status) || (ui.server && ui.server.status) || "ready";
  document.body.dataset.points = String(points().length);
  drawPlanes();
  drawLosses();
  drawGradNorms();
  drawReliability();
}

// --- data sources --------------------------------------------------------------------------

function buildDatasets() {
  const select = $("dataset");
  const given = ui.server && Array.isArray(ui.server.datasets) ? ui.server.datasets : null;
  const names = given ? given.map((d) => (typeof d === "string" ? d : d.name)) : FALLBACK_DATASETS;
  select.textContent = "";
  for (const name of names) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name;
    select.append(option);
  }
}

function loadDataset() {
  const body = { dataset: $("dataset").value, seed: 0 };
  const n = $("n").value.trim();
  const noise = $("noise").value.trim();
  if (n !== "") body.n = Number(n);
  if (noise !== "") body.noise = Number(noise);
  act(async () => {
    applyState(await api("POST", "points", body));
    note(`Loaded ${body.dataset}: ${points().length} points.`);
  });
}

function uploadCsv(file) {
  act(async () => {
    const text = await file.text();
    applyState(await api("POST", "points", { csv: text }));
    note(`Loaded ${file.name}: ${points().length} points.`);
  }).finally(() => {
    $("csv").value = ""; // the same file can be chosen again
  });
}

// --- export: through fetch, so that a refusal ("no model to export yet") reaches the status
// line instead of a failed download ---------------------------------------------------------

function exportFile(what, fallbackName) {
  act(async () => {
    let response;
    try {
      response = await fetch(`${API}export?what=${encodeURIComponent(what)}`);
    } catch (error) {
      throw new ApiError(`cannot reach the playground server (${error.message})`);
    }
    if (!response.ok) {
      const text = await response.text();
      let message = text.slice(0, 300);
      try {
        message = JSON.parse(text).error || message;
      } catch (error) {
        // not JSON: the text itself is the message
      }
      throw new ApiError(message || `the server answered ${response.status}`);
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const name = match ? match[1] : fallbackName;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    showStatus(`Exported ${name}.`);
  });
}

// --- start ---------------------------------------------------------------------------------

function setup() {
  setupPlane();
  setupLossHover();
  $("play").addEventListener("click", play);
  $("pause").addEventListener("click", () => {
    stop();
    showStatus("Paused.");
  });
  $("step").addEventListener("click", () => {
    stop();
    step().catch((error) => showStatus(error.message || String(error), "error"));
  });
  $("reset").addEventListener("click", () => {
    stop();
    act(async () => {
      applyState(await api("POST", "reset", {}));
      note("Reset to epoch 0 (the same zero start).");
    });
  });
  $("compare").addEventListener("change", (event) => toggleCompare(event.target.checked));
  $("load").addEventListener("click", loadDataset);
  for (const [what, name] of [["points", "points.csv"], ["model", "model.json"], ["config", "config.toml"]]) {
    $(`export-${what}`).addEventListener("click", (event) => {
      event.preventDefault();
      exportFile(what, name);
    });
  }
  $("clear").addEventListener("click", () => postPoints([]));
  $("csv").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    if (file) uploadCsv(file);
  });
  window.addEventListener("resize", () => drawAll());
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest && event.target.closest("input, select, textarea, button");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key >= "1" && event.key <= "6" && Number(event.key) <= $("classes").childElementCount) {
      selectClass(Number(event.key) - 1);
    } else if (event.key === " ") {
      event.preventDefault();
      if (ui.playing) {
        stop();
        showStatus("Paused.");
      } else {
        play();
      }
    }
  });
  updateRunButtons();
  act(async () => {
    let state = await api("GET", "state");
    ui.server = state;
    buildDatasets();
    const fromUrl = readUrl(state.settings || []);
    let problem = null;
    if (Object.keys(fromUrl).length) {
      try {
        state = await api("POST", "config", fromUrl);
      } catch (error) {
        problem = `The settings in the address were not applied: ${error.message}`;
      }
    }
    applyState(state);
    if (problem) showStatus(problem, "error");
    else {
      const shared = state.session === "shared" ? " Every tab of this server shares one session." : "";
      note(`Ready: click the plane to add points, or load a dataset, then press Play.${shared}`);
    }
    document.body.dataset.ready = "yes";
  }).finally(() => {
    document.body.dataset.loaded = "yes";
  });
}

setup();
