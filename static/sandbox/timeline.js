// The simulator's timeline, and how it shows JSON: every call the kit makes, grouped by
// the user action behind it, with tokens and sealed blobs shortened.

export function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

export function shorten(value, head, tail) {
  const s = String(value)
  return s.length > head + tail + 1 ? s.slice(0, head) + '…' + s.slice(-tail) : s
}

/** A JSON.stringify replacer: tokens and sealed blobs shortened, so the timeline stays readable. */
function displayed(key, v) {
  if (typeof v !== 'string') return v
  if (key === 'token') return shorten(v, 8, 6)
  if (key === 'Authorization') return shortBearer(v)
  if (key === 'encryptedData') return shorten(v, 24, 0) + ` (${v.length} chars)`
  return v
}

export function pretty(value) {
  if (value === undefined) return ''
  return typeof value === 'string' ? value : JSON.stringify(value, displayed, 2)
}

/** One line: the top-level fields, nested objects folded. */
export function brief(value) {
  if (!value || typeof value !== 'object') return pretty(value)
  const parts = Object.keys(value).map((key) => {
    const v = value[key]
    return key + ': ' + (v && typeof v === 'object' ? '{…}' : JSON.stringify(displayed(key, v)))
  })
  return '{ ' + parts.join(', ') + ' }'
}

function shortBearer(header) {
  return 'Bearer ' + shorten(header.replace(/^Bearer /, ''), 8, 6)
}

/**
 * The timeline in `list`: one group per user action, one row per call in it (filled in
 * when the call ends), and what the kit's promise gave. `empty` shows while there is none.
 */
export function createTimeline(list, empty) {
  const timeline = {
    list,
    group: null,
    rows: new Map(),

    start(title, kind) {
      empty.hidden = true
      const item = el('li', 'tl-group' + (kind ? ' tl-' + kind : ''))
      const head = el('div', 'tl-group-head')
      head.append(el('span', 'tl-title', title), el('time', 'tl-clock', new Date().toLocaleTimeString()))
      item.append(head, el('ol', 'tl-calls'))
      timeline.list.append(item)
      timeline.group = item
      timeline.scroll()
      return item
    },

    note(text) {
      const item = timeline.start(text, 'note')
      timeline.group = null
      return item
    },

    /** sandbox-wx's onCall hook: a row when a call starts, filled in when it ends. */
    call(entry, phase) {
      if (phase === 'start') {
        const group = timeline.group || timeline.start('(outside an action)')
        const row = el('li', 'tl-call tl-' + entry.kind)
        const details = el('details')
        const summary = el('summary')
        const who = entry.kind === 'wechat' ? entry.label : 'API'
        summary.append(
          el('span', 'tl-who', who),
          el('span', 'tl-method', entry.method),
          el('span', 'tl-path', entry.path),
          el('span', 'tl-status tl-pending', '…'),
          el('span', 'tl-ms', '')
        )
        details.append(summary, el('div', 'tl-body'))
        row.append(details)
        group.querySelector('.tl-calls').append(row)
        timeline.rows.set(entry.id, row)
        timeline.scroll()
        return
      }
      const row = timeline.rows.get(entry.id)
      if (!row) return
      timeline.rows.delete(entry.id)
      const status = row.querySelector('.tl-status')
      status.textContent = entry.status || 'failed'
      status.className = 'tl-status ' + (entry.status >= 200 && entry.status < 300 ? 'tl-ok' : 'tl-bad')
      row.querySelector('.tl-ms').textContent = entry.ms + ' ms'
      const body = row.querySelector('.tl-body')
      const authorization = entry.header && entry.header.Authorization
      if (authorization) body.append(el('h4', null, 'Header'), el('pre', 'json', 'Authorization: ' + shortBearer(authorization)))
      if (entry.request !== undefined) body.append(el('h4', null, 'Request'), el('pre', 'json', pretty(entry.request)))
      if (entry.error) body.append(el('h4', null, 'Error'), el('pre', 'json', entry.error))
      else body.append(el('h4', null, 'Response'), el('pre', 'json', pretty(entry.response)))
      row.classList.add('tl-done')
    },

    /** What the kit's promise gave: one line, the whole value when opened. */
    result(group, ok, line, value) {
      const details = el('details', 'tl-result ' + (ok ? 'tl-ok' : 'tl-bad'))
      details.append(el('summary', null, line))
      if (value !== undefined) details.append(el('pre', 'json', pretty(value)))
      group.append(details)
      timeline.group = null
      timeline.scroll()
    },

    scroll() {
      timeline.list.parentElement.scrollTop = timeline.list.parentElement.scrollHeight
    },

    clear() {
      timeline.list.replaceChildren()
      timeline.rows.clear()
      empty.hidden = false
    },
  }
  return timeline
}
