// The rangefetch dashboard: one WebSocket to /ws, one table row per download, updated in place.
// Server data reaches the page only through textContent, value and href of our own links:
// a URL or a file name is chosen by whoever serves the file.
'use strict';

(function () {
  const RECONNECT_FIRST_MS = 500;
  const RECONNECT_MAX_MS = 10000;
  const RUNNING = ['queued', 'probing', 'downloading'];
  // A download's limit can change until it completes or is cancelled.
  const LIMITABLE = (s) => s !== 'completed' && s !== 'cancelled';
  const RATE = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i;
  const ACTIONS = {
    pause: (s) => RUNNING.includes(s),
    resume: (s) => s === 'paused',
    cancel: (s) => RUNNING.includes(s) || s === 'paused',
    remove: () => true,
  };
  // A new URL for the same file: on a running, paused or failed download.
  const TAKES_NEW_URL = (s) => RUNNING.includes(s) || s === 'paused' || s === 'failed';

  const token = new URLSearchParams(window.location.search).get('token');
  const wsUrl = (window.location.protocol === 'https:' ? 'wss:' : 'ws:') + '//'
      + window.location.host + '/ws' + withToken('');

  const els = {
    connection: document.getElementById('connection'),
    summary: document.getElementById('summary'),
    banner: document.getElementById('banner'),
    form: document.getElementById('add-form'),
    url: document.getElementById('add-url'),
    mirrors: document.getElementById('add-mirrors'),
    threads: document.getElementById('add-threads'),
    chunk: document.getElementById('add-chunk'),
    limit: document.getElementById('add-limit'),
    limitsForm: document.getElementById('limits-form'),
    globalLimit: document.getElementById('global-limit'),
    globalLimitNow: document.getElementById('global-limit-now'),
    formError: document.getElementById('form-error'),
    rows: document.getElementById('rows'),
    empty: document.getElementById('empty'),
  };

  // id -> {status, tr, cells, rendered}; Map keeps insertion order, rows are ordered by the DOM.
  const downloads = new Map();
  const dirty = new Set();
  // ids removed since the last list; a new list (after a reconnect) starts afresh
  const removed = new Set();
  let frameScheduled = false;
  let socket = null;
  let everConnected = false;
  let reconnectDelay = RECONNECT_FIRST_MS;
  let reconnectTimer = null;
  let requestCounter = 0;

  function withToken(path) {
    return token ? path + '?token=' + encodeURIComponent(token) : path;
  }

  // ---- connection ----

  function connect() {
    reconnectTimer = null;
    setConnection('connecting', 'connecting…');
    let ws;
    try {
      ws = new WebSocket(wsUrl);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      everConnected = true;
      reconnectDelay = RECONNECT_FIRST_MS;
      els.banner.hidden = true;
      els.banner.textContent = '';
      setConnection('connected', 'connected');
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      handle(message);
    };
    ws.onclose = () => {
      if (socket !== ws) {
        return;
      }
      socket = null;
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (reconnectTimer !== null) {
      return;
    }
    const delay = reconnectDelay;
    reconnectDelay = Math.min(RECONNECT_MAX_MS, reconnectDelay * 2);
    setConnection('disconnected', 'disconnected');
    let text = 'Disconnected from the server — reconnecting in '
        + Math.max(1, Math.round(delay / 1000)) + ' s…';
    if (!everConnected) {
      text += ' If the server is configured with a token, open this page as /?token=…';
    }
    els.banner.textContent = text;
    els.banner.hidden = false;
    // A little jitter, so that many open pages do not all come back at the same instant.
    reconnectTimer = setTimeout(connect, delay + Math.floor(Math.random() * 250));
  }

  function setConnection(cls, text) {
    els.connection.className = 'connection ' + cls;
    els.connection.textContent = text;
  }

  function send(message) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      showError('Not connected to the server; wait until it reconnects, then try again.');
      return false;
    }
    message.requestId = message.op + '-' + (++requestCounter);
    socket.send(JSON.stringify(message));
    return true;
  }

  // ---- messages ----

  function handle(message) {
    switch (message.type) {
      case 'hello':
        applyLimits(message.limits || {});
        break;
      case 'list':
        replaceAll(message.downloads || []);
        break;
      case 'added':
        clearError();
        upsert(message.download);
        break;
      case 'status':
      case 'ok':
        if (message.limits) {
          clearError();
          applyLimits(message.limits);
        }
        if (message.download && String(message.requestId).startsWith('update-')) {
          clearError();
        }
        if (message.download && !removed.has(message.download.id)) {
          upsert(message.download);
        }
        if (message.download && String(message.requestId).startsWith('remove-')) {
          forget(message.download.id);
        }
        break;
      case 'removed':
        forget(message.id);
        break;
      case 'error':
        showError(message.message + ' (' + message.code + ')');
        break;
      default:
        break;
    }
  }

  function applyLimits(limits) {
    if ('downloadBps' in limits) {
      els.globalLimitNow.textContent = 'now: '
          + (Number.isInteger(limits.downloadBps) ? formatBytes(limits.downloadBps) + '/s'
              : 'no limit')
          + (Number.isInteger(limits.maxConnectionsPerHost)
              ? ', at most ' + limits.maxConnectionsPerHost + ' connections per host' : '');
    }
    if (Number.isInteger(limits.maxThreads)) {
      els.threads.max = String(limits.maxThreads);
      els.threads.placeholder = '1–' + limits.maxThreads;
      els.threads.title = 'the server allows at most ' + limits.maxThreads + ' threads';
    }
    if (Number.isInteger(limits.maxBytesPerThread)) {
      els.chunk.max = String(limits.maxBytesPerThread);
      els.chunk.placeholder = 'up to ' + limits.maxBytesPerThread + ' ('
          + formatBytes(limits.maxBytesPerThread) + ')';
      els.chunk.title = 'the server sends at most ' + limits.maxBytesPerThread
          + ' bytes per request';
    }
  }

  // The list that follows each (re)connect is the whole truth: rows it lacks are gone.
  function replaceAll(list) {
    removed.clear();
    const keep = new Set();
    for (const status of list) {
      keep.add(status.id);
      upsert(status);
    }
    for (const id of Array.from(downloads.keys())) {
      if (!keep.has(id)) {
        removeRow(id);
      }
    }
    // The list is newest first; appending in that order puts every row in its place.
    for (const status of list) {
      els.rows.appendChild(downloads.get(status.id).tr);
    }
    updateSummary();
  }

  function upsert(status) {
    if (!status || typeof status.id !== 'string') {
      return;
    }
    let entry = downloads.get(status.id);
    if (!entry) {
      entry = createRow(status.id);
      downloads.set(status.id, entry);
      entry.status = status;
      insertInOrder(entry);
      updateSummary();
    }
    entry.status = status;
    dirty.add(status.id);
    scheduleFrame();
  }

  // Newest first, as the server lists them. A download the page has not seen is almost always
  // the newest, so the walk from the top ends at once; pushes of several new downloads may
  // still arrive out of order.
  function insertInOrder(entry) {
    let before = els.rows.firstChild;
    while (before && newer(downloads.get(before.dataset.id).status, entry.status)) {
      before = before.nextSibling;
    }
    els.rows.insertBefore(entry.tr, before);
  }

  function newer(a, b) {
    if (a.createdAt !== b.createdAt) {
      return String(a.createdAt) > String(b.createdAt);
    }
    const x = Number(a.id);
    const y = Number(b.id);
    return Number.isFinite(x) && Number.isFinite(y) ? x > y : a.id > b.id;
  }

  // The reply to remove and the removed push can come in either order, and a status queued
  // before the removal can follow them: none of these may bring the row back.
  function forget(id) {
    removed.add(id);
    removeRow(id);
  }

  function removeRow(id) {
    const entry = downloads.get(id);
    if (!entry) {
      return;
    }
    downloads.delete(id);
    dirty.delete(id);
    entry.tr.remove();
    updateSummary();
  }

  function updateSummary() {
    const n = downloads.size;
    els.summary.textContent = n === 1 ? '1 download' : n + ' downloads';
    els.empty.hidden = n > 0;
  }

  // ---- rendering: pushes mark rows dirty, one animation frame draws them all ----

  function scheduleFrame() {
    if (frameScheduled) {
      return;
    }
    frameScheduled = true;
    // A hidden tab gets no animation frames; a timer keeps it current for when it shows again.
    if (document.hidden) {
      setTimeout(flush, 250);
    } else {
      requestAnimationFrame(flush);
    }
  }

  function flush() {
    frameScheduled = false;
    for (const id of dirty) {
      const entry = downloads.get(id);
      if (entry) {
        render(entry);
      }
    }
    dirty.clear();
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function createRow(id) {
    const tr = el('tr', 'download');
    tr.dataset.id = id;
    const c = {};

    const nameCell = el('td', 'col-name');
    c.name = el('div', 'name');
    c.url = el('div', 'url');
    c.error = el('div', 'error');
    c.done = el('div', 'done');
    c.fileLabel = el('span', 'label', 'File');
    c.file = el('input', 'file-uri');
    c.file.type = 'text';
    c.file.readOnly = true;
    c.file.setAttribute('aria-label', 'location of the downloaded file');
    c.copy = el('button', 'copy', 'Copy');
    c.copy.type = 'button';
    c.copy.title = 'copy the file:/// location (browsers do not open file: links from a web page)';
    c.copy.addEventListener('click', () => copyLocation(c));
    c.link = el('a', 'file-link', 'Download');
    c.link.href = withToken('/files/' + encodeURIComponent(id));
    c.link.setAttribute('download', '');
    const fileLine = el('div', 'file-line');
    fileLine.append(c.fileLabel, c.file, c.copy, c.link);
    c.shaLine = el('div', 'sha-line');
    c.sha = el('code', 'sha256');
    c.shaLine.append(el('span', 'label', 'SHA-256'), c.sha);
    c.done.append(fileLine, c.shaLine);
    // A completed download whose file was deleted or moved (status fileMissing): say so, and
    // offer to fetch it again (an add of its URL replaces it with a new download).
    c.missing = el('div', 'file-missing');
    c.missingText = el('span', 'missing-text');
    c.again = el('button', 'again', 'Download again');
    c.again.type = 'button';
    c.again.addEventListener('click', () => send({op: 'add', url: String(c.url.textContent)}));
    c.missing.append(c.missingText, c.again);
    c.sources = el('div', 'sources');
    c.newUrlForm = el('form', 'new-url');
    c.newUrlForm.hidden = true;
    c.newUrl = el('input', 'new-url-input');
    c.newUrl.type = 'url';
    c.newUrl.placeholder = 'a new URL of the same file';
    c.newUrl.setAttribute('aria-label', 'new URL of this download');
    const apply = el('button', 'new-url-apply', 'Apply');
    apply.type = 'submit';
    c.newUrlForm.append(c.newUrl, apply);
    c.newUrlForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const url = c.newUrl.value.trim();
      if (url && send({op: 'update', id: id, url: url})) {
        c.newUrl.value = '';
        c.newUrlForm.hidden = true;
      }
    });
    nameCell.append(c.name, c.url, c.sources, c.error, c.done, c.missing, c.newUrlForm);

    c.state = el('span', 'state');
    const stateCell = el('td', 'col-state');
    stateCell.append(c.state);

    c.size = el('td', 'col-size');

    const progressCell = el('td', 'col-progress');
    c.bar = el('div', 'bar');
    c.bar.setAttribute('role', 'progressbar');
    c.bar.setAttribute('aria-valuemin', '0');
    c.bar.setAttribute('aria-valuemax', '100');
    c.fill = el('div', 'fill');
    c.bar.append(c.fill);
    c.percent = el('span', 'percent');
    progressCell.append(c.bar, c.percent);

    c.speed = el('td', 'col-speed');
    c.speedNow = el('span', 'speed-now');
    c.limitNow = el('span', 'limit-now');
    c.limitInput = el('input', 'limit');
    c.limitInput.type = 'text';
    c.limitInput.placeholder = 'no limit';
    c.limitInput.title = 'bytes per second for this download: 512K, 4M; empty for no limit';
    c.limitInput.setAttribute('aria-label', 'rate limit of this download');
    c.limitSet = el('button', 'limit-set', 'Limit');
    c.limitSet.type = 'button';
    c.limitSet.addEventListener('click', () => {
      const limit = parseRate(c.limitInput.value, 'The limit');
      if (limit !== false && send({op: 'update', id: id, limitBps: limit})) {
        c.limitInput.value = '';
      }
    });
    const limitLine = el('div', 'limit-line');
    limitLine.append(c.limitInput, c.limitSet);
    c.speed.append(c.speedNow, c.limitNow, limitLine);
    c.eta = el('td', 'col-eta');
    c.threads = el('td', 'col-threads');

    const actionsCell = el('td', 'col-actions');
    c.buttons = {};
    for (const op of Object.keys(ACTIONS)) {
      const b = el('button', 'action ' + op, op.charAt(0).toUpperCase() + op.slice(1));
      b.type = 'button';
      b.dataset.op = op;
      b.addEventListener('click', () => send({op: op, id: id}));
      c.buttons[op] = b;
      actionsCell.append(b);
    }

    c.buttons.newUrl = el('button', 'action new-url-toggle', 'New URL');
    c.buttons.newUrl.type = 'button';
    c.buttons.newUrl.title = 'give a new URL of the same file: the bytes on disk are kept when it'
        + ' serves the same file';
    c.buttons.newUrl.addEventListener('click', () => {
      c.newUrlForm.hidden = !c.newUrlForm.hidden;
      if (!c.newUrlForm.hidden) {
        c.newUrl.focus();
      }
    });
    actionsCell.append(c.buttons.newUrl);

    tr.append(nameCell, stateCell, c.size, progressCell, c.speed, c.eta, c.threads, actionsCell);
    return {status: null, tr: tr, cells: c};
  }

  // Writes only what changed, so a push that moves the progress touches two nodes.
  function setText(node, text) {
    if (node.textContent !== text) {
      node.textContent = text;
    }
  }

  function render(entry) {
    const s = entry.status;
    const c = entry.cells;
    const state = String(s.state);
    if (entry.tr.dataset.state !== state) {
      entry.tr.dataset.state = state;
      c.state.className = 'state state-' + state.replace(/[^a-z]/g, '');
    }
    setText(c.state, state);
    setText(c.name, s.fileName || nameFromUrl(s.url));
    setText(c.url, String(s.url));
    c.url.title = s.finalUrl && s.finalUrl !== s.url ? 'redirected to ' + s.finalUrl : '';

    renderSources(c, s.mirrors);

    const failed = state === 'failed' && s.error;
    setText(c.error, failed ? String(s.error.message) : '');
    c.error.hidden = !failed;

    const completed = state === 'completed' && typeof s.file === 'string';
    c.done.hidden = !completed;
    if (completed) {
      if (c.file.value !== s.file) {
        c.file.value = s.file;
      }
      setText(c.sha, s.sha256 || '');
      c.shaLine.hidden = !s.sha256;
    }
    const missing = completed && s.fileMissing === true;
    entry.tr.classList.toggle('missing', missing);
    c.missing.hidden = !missing;
    c.link.hidden = missing;
    setText(c.missingText, missing ? 'File missing: it was deleted or moved since the download'
        + ' completed.' : '');

    const size = typeof s.size === 'number' ? s.size : null;
    const done = typeof s.bytesDone === 'number' ? s.bytesDone : 0;
    setText(c.size, size === null ? formatBytes(done) + ' / ?'
        : state === 'completed' ? formatBytes(size) : formatBytes(done) + ' / ' + formatBytes(size));
    c.size.title = size === null ? 'size not known yet' : size + ' bytes';

    const progress = typeof s.progress === 'number' ? Math.max(0, Math.min(1, s.progress)) : null;
    const percent = progress === null ? null : Math.floor(progress * 1000) / 10;
    c.fill.style.width = (percent === null ? 0 : percent) + '%';
    c.bar.classList.toggle('unknown', percent === null);
    if (percent === null) {
      c.bar.removeAttribute('aria-valuenow');
    } else {
      c.bar.setAttribute('aria-valuenow', String(percent));
    }
    setText(c.percent, percent === null ? '–' : percent.toFixed(1) + ' %');

    const running = RUNNING.includes(state);
    setText(c.speedNow, running && typeof s.speedBps === 'number'
        ? formatBytes(s.speedBps) + '/s' : '–');
    setText(c.limitNow, typeof s.limitBps === 'number'
        ? 'limit ' + formatBytes(s.limitBps) + '/s' : '');
    c.limitNow.title = typeof s.hostAllowance === 'number' ? 'the server asks for fewer'
        + ' connections: ' + s.hostAllowance + ' allowed now' : '';
    const limitable = LIMITABLE(state);
    if (c.limitSet.disabled === limitable) {
      c.limitSet.disabled = !limitable;
      c.limitInput.disabled = !limitable;
    }
    setText(c.eta, running && typeof s.etaSeconds === 'number' ? formatDuration(s.etaSeconds)
        : '–');
    setText(c.threads, (s.threads || 0) + ' / ' + (s.maxThreads || 0));

    for (const op of Object.keys(ACTIONS)) {
      const enabled = ACTIONS[op](state);
      if (c.buttons[op].disabled === enabled) {
        c.buttons[op].disabled = !enabled;
      }
    }
    const takesUrl = TAKES_NEW_URL(state);
    c.buttons.newUrl.disabled = !takesUrl;
    if (!takesUrl) {
      c.newUrlForm.hidden = true;
    }
  }

  // One line per source (the URL, then its mirrors): state, bytes, and why, when there is a note.
  function renderSources(c, mirrors) {
    const list = Array.isArray(mirrors) ? mirrors : [];
    c.sources.hidden = list.length === 0;
    while (c.sources.children.length > list.length) {
      c.sources.lastChild.remove();
    }
    list.forEach((m, i) => {
      let line = c.sources.children[i];
      if (!line) {
        line = el('div', 'source');
        line.append(el('span', 'source-url'), el('span', 'source-state'),
            el('span', 'source-note'));
        c.sources.append(line);
      }
      const state = String(m.state);
      line.className = 'source source-' + state.replace(/[^a-z]/g, '');
      setText(line.children[0], String(m.url));
      setText(line.children[1], ' · ' + state + ' · ' + formatBytes(Number(m.bytes) || 0)
          + (m.speedBps ? ' · ' + formatBytes(m.speedBps) + '/s' : ''));
      setText(line.children[2], m.note ? ' · ' + String(m.note) : '');
    });
  }

  function nameFromUrl(url) {
    try {
      const path = new URL(url).pathname;
      const last = path.substring(path.lastIndexOf('/') + 1);
      return decodeURIComponent(last) || url;
    } catch (e) {
      return String(url);
    }
  }

  // ---- copying the file:/// location ----

  function copyLocation(c) {
    const text = c.file.value;
    const done = (ok) => {
      c.copy.textContent = ok ? 'Copied' : 'Press Ctrl+C';
      c.copy.classList.toggle('copied', ok);
      if (!ok) {
        c.file.focus();
        c.file.select();
      }
      setTimeout(() => {
        c.copy.textContent = 'Copy';
        c.copy.classList.remove('copied');
      }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => done(true),
          () => done(copyBySelection(c.file)));
    } else {
      done(copyBySelection(c.file));
    }
  }

  // Pages served over plain http from another host than localhost are not a secure context and
  // have no navigator.clipboard; the old way still works there.
  function copyBySelection(input) {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (e) {
      ok = false;
    }
    return ok;
  }

  // ---- the add form ----

  function showError(text) {
    els.formError.textContent = text;
    els.formError.hidden = false;
  }

  function clearError() {
    els.formError.textContent = '';
    els.formError.hidden = true;
  }

  els.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = els.url.value.trim();
    if (!url) {
      showError('Enter the http:// or https:// URL of a file.');
      return;
    }
    const message = {op: 'add', url: url};
    const mirrors = els.mirrors.value.trim().split(/\s+/).filter((m) => m !== '');
    if (mirrors.length > 0) {
      message.mirrors = mirrors;
    }
    const threads = optionalInt(els.threads, 'Threads');
    const chunk = optionalInt(els.chunk, 'Bytes per request');
    const limit = parseRate(els.limit.value, 'Limit');
    if (threads === false || chunk === false || limit === false) {
      return;
    }
    if (limit !== null) {
      message.limitBps = limit;
    }
    if (threads !== null) {
      message.threads = threads;
    }
    if (chunk !== null) {
      message.chunkBytes = chunk;
    }
    if (send(message)) {
      clearError();
      els.url.value = '';
      els.mirrors.value = '';
    }
  });

  els.limitsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const limit = parseRate(els.globalLimit.value, 'The limit for all downloads');
    if (limit !== false && send({op: 'setLimits', downloadBps: limit})) {
      els.globalLimit.value = '';
    }
  });

  // A rate as a person writes it: bytes per second, or with K, M or G (1024-based). Empty is
  // no limit (null); anything else shows an error and gives false.
  function parseRate(text, label) {
    const raw = text.trim();
    if (raw === '') {
      return null;
    }
    const m = RATE.exec(raw);
    const unit = m ? {'': 1, k: 1024, m: 1048576, g: 1073741824}[m[2].toLowerCase()] : 0;
    const n = m ? Math.round(Number(m[1]) * unit) : 0;
    if (!m || n < 1) {
      showError(label + ' must be a rate such as 512K or 4M (bytes per second), was "' + raw
          + '"; leave it empty for no limit.');
      return false;
    }
    return n;
  }

  // The server caps values above its limits itself; only what it would refuse is checked here.
  function optionalInt(input, label) {
    const raw = input.value.trim();
    if (raw === '') {
      return null;
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
      showError(label + ' must be a whole number of at least 1, was "' + raw
          + '"; leave it empty for the server\'s default.');
      return false;
    }
    return n;
  }

  // ---- formatting ----

  function formatBytes(n) {
    if (typeof n !== 'number' || !isFinite(n)) {
      return '?';
    }
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return (i === 0 ? String(v) : v.toFixed(v < 10 ? 1 : 0)) + ' ' + units[i];
  }

  function formatDuration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) {
      return s + ' s';
    }
    if (s < 3600) {
      return Math.floor(s / 60) + ' min ' + String(s % 60).padStart(2, '0') + ' s';
    }
    return Math.floor(s / 3600) + ' h ' + String(Math.floor(s % 3600 / 60)).padStart(2, '0')
        + ' min';
  }

  updateSummary();
  connect();
})();
