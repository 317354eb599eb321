<!--
  AH Chat default template. Copy it, change it, and pass its URL as the `template` option.
  Format: docs/WIDGET.md#templates. Slots: title, status, back, unread, tools, body.
-->
<style>
  :host {
    all: initial;
    --ah-accent: #2457d6;
    --ah-accent-text: #fff;
    --ah-bg: #fff;
    --ah-text: #1b1f24;
    --ah-muted: #5c6570;
    --ah-line: #e6e8ec;
    --ah-soft: #f3f5f8;
    --ah-theirs: #eef1f5;
    --ah-theirs-text: var(--ah-text);
    --ah-mine: var(--ah-accent);
    --ah-mine-text: var(--ah-accent-text);
    --ah-online: #1f9d55;
    --ah-danger: #c62828;
    --ah-notice: #fff7e0;
    --ah-font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
    --ah-size: 14px;
    --ah-radius: 18px;
    --ah-width: 370px;
    --ah-height: 580px;
    --ah-offset: 20px;
    --ah-shadow: 0 12px 40px rgba(16, 24, 40, .18), 0 2px 8px rgba(16, 24, 40, .08);
    --ah-z: 2147483000;
  }
  * { box-sizing: border-box; }
  .ah { font: var(--ah-size)/1.45 var(--ah-font); color: var(--ah-text); -webkit-font-smoothing: antialiased; }
  button, input, textarea { font: inherit; color: inherit; }
  button { cursor: pointer; }
  :focus-visible { outline: 2px solid var(--ah-accent); outline-offset: 2px; }
  /* on the accent-coloured header and launcher the ring takes the text colour, or it would not show */
  .ah-head :focus-visible, .ah-launcher:focus-visible, .ah-primary:focus-visible, .ah-send:focus-visible { outline-color: var(--ah-accent-text); outline-offset: -4px; }
  .ah-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

  /* floating: a launcher in the corner and a panel above it */
  .ah[data-mode="floating"] { position: fixed; z-index: var(--ah-z); bottom: var(--ah-offset); right: var(--ah-offset); }
  .ah[data-mode="floating"][data-position="left"] { right: auto; left: var(--ah-offset); }
  .ah-launcher {
    position: relative; display: flex; align-items: center; gap: 8px; margin-left: auto;
    height: 56px; min-width: 56px; padding: 0 18px; border: 0; border-radius: 28px;
    background: var(--ah-accent); color: var(--ah-accent-text); box-shadow: var(--ah-shadow);
    font-weight: 600; transition: transform .15s ease;
  }
  .ah-launcher:hover { transform: translateY(-2px); }
  .ah-launcher svg { flex: none; }
  .ah[data-position="left"] .ah-launcher { margin-left: 0; }
  .ah[data-open] .ah-launcher { width: 56px; padding: 0; justify-content: center; }
  .ah[data-open] .ah-launcher-label, .ah[data-open] .ah-launcher .ah-icon-chat, .ah:not([data-open]) .ah-icon-close { display: none; }
  .ah-launcher .ah-badge { position: absolute; top: -4px; right: -4px; }
  .ah-badge, .ah-count {
    display: inline-flex; align-items: center; justify-content: center; min-width: 20px; height: 20px;
    padding: 0 6px; border-radius: 10px; background: var(--ah-danger); color: #fff; font-size: 12px; font-weight: 700;
  }
  .ah[data-mode="inline"] .ah-launcher, .ah[data-mode="inline"] .ah-x { display: none; }

  .ah-panel {
    display: flex; flex-direction: column; overflow: hidden; background: var(--ah-bg);
    border-radius: var(--ah-radius); box-shadow: var(--ah-shadow);
  }
  .ah[data-mode="floating"] .ah-panel {
    width: min(var(--ah-width), calc(100vw - 2 * var(--ah-offset)));
    height: min(var(--ah-height), calc(100vh - 110px)); margin-bottom: 14px;
  }
  .ah[data-mode="floating"]:not([data-open]) .ah-panel { display: none; }
  .ah[data-mode="inline"] { height: 100%; }
  .ah[data-mode="inline"] .ah-panel { height: 100%; min-height: 420px; box-shadow: none; border: 1px solid var(--ah-line); }

  .ah-head {
    display: flex; align-items: center; gap: 10px; padding: 14px 16px;
    background: var(--ah-accent); color: var(--ah-accent-text);
  }
  .ah-head-text { display: flex; flex-direction: column; min-width: 0; flex: 1; }
  .ah-title { font-size: 16px; font-weight: 650; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .ah-head .ah-status { font-size: 12px; opacity: .9; }
  .ah-status { display: inline-flex; align-items: center; gap: 6px; }
  .ah-dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #9aa3ae; }
  .ah-status[data-state="online"] .ah-dot, .ah-dot[data-online="true"] { background: var(--ah-online); box-shadow: 0 0 0 2px rgba(255, 255, 255, .85); }
  .ah-x, .ah-back, .ah-tool {
    display: inline-flex; align-items: center; justify-content: center; width: 34px; height: 34px;
    border: 0; border-radius: 50%; background: transparent; color: inherit; font-size: 24px; line-height: 1;
  }
  .ah-x:hover, .ah-back:hover, .ah-tool:hover { background: rgba(255, 255, 255, .16); }
  .ah-tool[aria-pressed="false"] { opacity: .75; }
  .ah-body { flex: 1; display: flex; flex-direction: column; min-height: 0; }

  .ah-pad { padding: 20px; }
  .ah-wait { margin: auto; display: flex; align-items: center; gap: 10px; color: var(--ah-muted); }
  .ah-spinner { width: 16px; height: 16px; border-radius: 50%; border: 2px solid var(--ah-line); border-top-color: var(--ah-accent); animation: ah-spin .8s linear infinite; }
  @keyframes ah-spin { to { transform: rotate(360deg); } }
  .ah-error { color: var(--ah-danger); margin: 0; }

  .ah-name { display: flex; flex-direction: column; gap: 10px; padding: 24px 20px; margin: auto 0; }
  .ah-intro { margin: 0 0 6px; font-size: 15px; }
  .ah-label { font-weight: 600; font-size: 13px; }
  .ah-input, .ah-textarea {
    width: 100%; padding: 10px 12px; border: 1px solid var(--ah-line); border-radius: 12px;
    background: var(--ah-bg); outline: none;
  }
  .ah-input:focus, .ah-textarea:focus { border-color: var(--ah-accent); box-shadow: 0 0 0 3px color-mix(in srgb, var(--ah-accent) 18%, transparent); }
  .ah-primary {
    padding: 11px 16px; border: 0; border-radius: 12px; background: var(--ah-accent);
    color: var(--ah-accent-text); font-weight: 600;
  }

  .ah-conversation { flex: 1; display: flex; flex-direction: column; min-height: 0; }
  .ah-notice { padding: 8px 16px; font-size: 13px; background: var(--ah-notice); border-bottom: 1px solid var(--ah-line); }
  .ah-notice[data-kind="error"] { background: #fdecec; color: var(--ah-danger); }
  .ah-notice[data-kind="notify"] { display: flex; justify-content: space-between; padding: 2px 8px 2px 6px; background: var(--ah-soft); }
  .ah-bar { display: flex; flex-wrap: wrap; align-items: center; justify-content: flex-end; gap: 4px 8px; padding: 4px 8px; font-size: 13px; border-bottom: 1px solid var(--ah-line); }
  .ah-bar[role="alert"] { background: var(--ah-notice); }
  .ah-bar span { flex: 1 1 12em; padding-left: 8px; }
  .ah-link { padding: 4px 8px; border: 0; border-radius: 8px; background: none; color: var(--ah-accent); font-size: 13px; font-weight: 600; }
  .ah-link:hover { background: var(--ah-soft); }
  .ah-link[data-kind="danger"] { color: var(--ah-danger); }
  .ah-restart { flex: 1; }
  .ah-log { flex: 1; overflow-y: auto; margin: 0; padding: 16px 14px 8px; list-style: none; display: flex; flex-direction: column; gap: 6px; overscroll-behavior: contain; }
  .ah-empty { margin: auto; text-align: center; color: var(--ah-muted); padding: 0 24px; }
  .ah-day { align-self: center; margin: 6px 0 2px; padding: 2px 10px; border-radius: 10px; background: var(--ah-soft); color: var(--ah-muted); font-size: 12px; }
  .ah-older { text-align: center; color: var(--ah-muted); font-size: 12px; min-height: 8px; }
  .ah-msg { display: flex; flex-direction: column; max-width: 82%; }
  .ah-mine { align-self: flex-end; align-items: flex-end; }
  .ah-theirs { align-self: flex-start; align-items: flex-start; }
  .ah-bubble {
    padding: 8px 12px; border-radius: var(--ah-radius); white-space: pre-wrap; overflow-wrap: anywhere;
    background: var(--ah-theirs); color: var(--ah-theirs-text); border-bottom-left-radius: 6px;
  }
  .ah-mine .ah-bubble { background: var(--ah-mine); color: var(--ah-mine-text); border-radius: var(--ah-radius); border-bottom-right-radius: 6px; }
  .ah-mine[data-status="pending"] .ah-bubble { background: color-mix(in srgb, var(--ah-mine) 78%, #000); }
  .ah-mine[data-status="failed"] .ah-bubble { background: #fdecec; color: var(--ah-danger); }
  .ah-bubble a { color: inherit; text-decoration: underline; }
  .ah-meta { display: flex; gap: 6px; padding: 2px 6px 4px; font-size: 11px; color: var(--ah-muted); }
  .ah-meta time { white-space: nowrap; }
  .ah-mine[data-status="failed"] .ah-meta { color: var(--ah-danger); }
  .ah-typing { padding: 0 16px 6px; font-size: 12px; color: var(--ah-muted); font-style: italic; }

  .ah-compose { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px 12px; border-top: 1px solid var(--ah-line); }
  .ah-textarea { resize: none; max-height: 120px; line-height: 1.4; }
  .ah-send {
    flex: none; display: inline-flex; align-items: center; justify-content: center; width: 42px; height: 42px;
    border: 0; border-radius: 50%; background: var(--ah-accent); color: var(--ah-accent-text);
  }

  .ah-list { position: relative; list-style: none; margin: 0; padding: 6px 0; overflow-y: auto; flex: 1; }
  .ah-more { padding: 8px 16px; color: var(--ah-muted); font-size: 13px; }
  .ah-item[aria-current] { background: var(--ah-soft); box-shadow: inset 3px 0 0 var(--ah-accent); }
  .ah-item[data-closed] .ah-item-name { color: var(--ah-muted); }

  /* the seller's inbox: list and conversation side by side when there is room, one at a time when not */
  .ah-inbox { position: relative; flex: 1; display: flex; min-height: 0; }
  .ah-pane-list { display: flex; flex-direction: column; min-height: 0; flex: 1; }
  .ah-pane-chat { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
  .ah-inbox[data-layout="two"] .ah-pane-list { flex: 0 0 clamp(260px, 36%, 360px); border-inline-end: 1px solid var(--ah-line); }
  .ah-inbox[data-layout="two"] .ah-pane-chat { flex: 1; }
  .ah-inbox[data-layout="one"] .ah-pane-chat:empty { display: none; }
  /* one pane with a chat open: the list stays laid out (its scroll position too) but hidden */
  .ah-inbox[data-layout="one"][data-chat] .ah-pane-list { position: absolute; inset: 0; visibility: hidden; }
  .ah-inbox[data-layout="one"][data-chat] .ah-pane-chat { flex: 1; }
  .ah:has(.ah-inbox[data-layout="two"]) .ah-back { display: none; }
  .ah-search { padding: 10px 12px 4px; }
  .ah-search .ah-input { padding: 8px 12px; }
  .ah-filters { display: flex; flex-wrap: wrap; gap: 6px; padding: 6px 12px 8px; border-bottom: 1px solid var(--ah-line); }
  .ah-filter { padding: 4px 10px; border: 1px solid var(--ah-line); border-radius: 14px; background: var(--ah-bg); font-size: 13px; }
  .ah-filter[aria-pressed="true"] { background: var(--ah-accent); border-color: var(--ah-accent); color: var(--ah-accent-text); }
  .ah-keys { align-self: flex-start; margin: 4px 8px 8px; color: var(--ah-muted); font-weight: 500; }
  .ah-help { position: absolute; top: 10%; left: 50%; transform: translateX(-50%); width: min(26rem, 92%); max-height: 80%; z-index: 2; overflow: auto; padding: 16px 20px; background: var(--ah-bg); border: 1px solid var(--ah-line); border-radius: 12px; box-shadow: var(--ah-shadow); }
  .ah-help h2 { margin: 0 0 10px; font-size: 16px; }
  .ah-help dl { margin: 0 0 14px; display: grid; gap: 6px; }
  .ah-help dl div { display: flex; gap: 12px; }
  .ah-help dt { flex: 0 0 8em; }
  .ah-help dd { margin: 0; }
  kbd { padding: 1px 6px; border: 1px solid var(--ah-line); border-radius: 4px; background: var(--ah-soft); font: 12px ui-monospace, monospace; }
  .ah-replies { padding: 2px 8px 0; border-top: 1px solid var(--ah-line); }
  .ah-replies-box { max-height: 40vh; overflow: auto; padding-bottom: 6px; }
  .ah-reply-list { list-style: none; margin: 0; padding: 0; }
  .ah-reply { display: flex; align-items: center; gap: 4px; }
  .ah-reply-use { flex: 1; min-width: 0; padding: 6px 8px; border: 0; border-radius: 8px; background: none; text-align: start; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .ah-reply-use:hover { background: var(--ah-soft); }
  .ah-reply-form { display: flex; gap: 6px; padding-top: 4px; }
  .ah-reply-form .ah-input { padding: 6px 10px; }
  .ah-compose { flex-wrap: wrap; }
  .ah-compose .ah-textarea { flex: 1; width: auto; min-width: 0; }
  /* the counter gets a line of its own above the box */
  .ah-counter { order: -1; flex: 1 0 100%; font-size: 12px; color: var(--ah-muted); }
  .ah-counter[data-over] { color: var(--ah-danger); font-weight: 600; }
  .ah-textarea[aria-invalid] { border-color: var(--ah-danger); }
  .ah-item {
    display: flex; align-items: center; gap: 12px; width: 100%; padding: 10px 16px;
    border: 0; background: none; text-align: left;
  }
  .ah-item:hover { background: var(--ah-soft); }
  .ah-avatar {
    position: relative; flex: none; display: inline-flex; align-items: center; justify-content: center;
    width: 40px; height: 40px; border-radius: 50%; font-weight: 700;
    background: color-mix(in srgb, var(--ah-accent) 14%, #fff); color: var(--ah-accent);
  }
  .ah-avatar .ah-dot { position: absolute; right: 0; bottom: 1px; border: 2px solid var(--ah-bg); width: 11px; height: 11px; box-shadow: none; }
  .ah-item-main { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 2px; }
  .ah-item-top, .ah-item-bottom { display: flex; align-items: center; gap: 8px; }
  .ah-item-name { flex: 1; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .ah-item-top time { font-size: 12px; color: var(--ah-muted); }
  .ah-preview { flex: 1; color: var(--ah-muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .ah-item[data-unread]:not([data-unread="0"]) .ah-preview { color: var(--ah-text); font-weight: 600; }

  /* right to left (lang: 'ar'): flex layouts mirror by themselves; icons that point, and the corner, follow */
  .ah[dir="rtl"] .ah-item { text-align: right; }
  .ah[dir="rtl"] .ah-back svg, .ah[dir="rtl"] .ah-send svg { transform: scaleX(-1); }
  .ah[dir="rtl"][data-mode="floating"] { right: auto; left: var(--ah-offset); }
  .ah[dir="rtl"] .ah-bubble { border-bottom-left-radius: var(--ah-radius); border-bottom-right-radius: 6px; }
  .ah[dir="rtl"] .ah-mine .ah-bubble { border-bottom-right-radius: var(--ah-radius); border-bottom-left-radius: 6px; }

  /* phones: the open panel takes the whole screen */
  @media (max-width: 480px) {
    .ah[data-mode="floating"][data-open] { inset: 0; }
    .ah[data-mode="floating"][data-open] .ah-panel { width: 100vw; height: 100%; margin: 0; border-radius: 0; }
    .ah[data-mode="floating"][data-open] .ah-launcher { display: none; }
    .ah-launcher-label { display: none; }
    .ah-launcher { padding: 0; justify-content: center; }
  }
  /* short screens (a phone held sideways, 400 % zoom): a compact header and notices, the composer always on screen */
  @media (max-height: 420px) {
    .ah-head { padding: 4px 10px; }
    .ah-head .ah-status { display: none; }
    .ah-notice { padding: 2px 10px; font-size: 12px; max-height: 3.2em; overflow: auto; }
    .ah-log { min-height: 3em; padding-top: 6px; }
    .ah-compose { padding: 4px 8px; }
    .ah-name { padding: 8px 12px; gap: 6px; }
    .ah[data-mode="floating"] .ah-panel { height: calc(100vh - 76px); }
    .ah[data-mode="floating"][data-open] { inset: 0; }
    .ah[data-mode="floating"][data-open] .ah-panel { width: 100vw; height: 100%; margin: 0; border-radius: 0; }
    .ah[data-mode="floating"][data-open] .ah-launcher { display: none; }
  }
  /* a dark scheme when the system asks for one (a template can set its own colours instead) */
  @media (prefers-color-scheme: dark) {
    :host {
      --ah-accent: #6d9bff; --ah-accent-text: #0b1020; --ah-bg: #15181d; --ah-text: #e8eaed; --ah-muted: #a3abb6;
      --ah-line: #2c313a; --ah-soft: #20242b; --ah-theirs: #262b33; --ah-notice: #3a3217; --ah-danger: #ff8a80; --ah-online: #3ccf7a;
    }
    .ah-notice[data-kind="error"], .ah-mine[data-status="failed"] .ah-bubble { background: #3b1d1d; }
    .ah-avatar { background: color-mix(in srgb, var(--ah-accent) 22%, var(--ah-bg)); }
    .ah-badge, .ah-count { color: #2a0a0a; }
  }
  @media (prefers-reduced-motion: reduce) { .ah-launcher, .ah-spinner { transition: none; animation: none; } }
  /* The buyer's page or product, for the seller: a card above the conversation, the product in the list, a marker where it changed. */
  .ah-product { display: flex; align-items: center; gap: 10px; margin: 8px 12px 0; padding: 8px 10px; border: 1px solid var(--ah-line); border-radius: 12px; background: var(--ah-soft); color: inherit; text-decoration: none; }
  .ah-product:hover { border-color: var(--ah-accent); }
  .ah-product-image { width: 40px; height: 40px; flex: none; border-radius: 8px; object-fit: cover; background: var(--ah-line); }
  .ah-product-main { display: flex; flex-direction: column; min-width: 0; }
  .ah-product-title { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .ah-price { color: var(--ah-muted); font-size: 13px; }
  .ah-item-product { display: block; color: var(--ah-muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .ah-context-mark { align-self: center; margin: 8px 0 4px; padding: 2px 10px; border-radius: 10px; background: var(--ah-soft); color: var(--ah-muted); font-size: 12px; text-align: center; }
  .ah-context-mark a { color: inherit; font-weight: 600; }
  /* A guest's name (and e-mail address), any time, above the conversation. */
  .ah-add-name { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 8px 12px; border-bottom: 1px solid var(--ah-line); }
  .ah-add-name .ah-label { flex-basis: 100%; margin: 0; font-size: 12px; color: var(--ah-muted); }
  .ah-add-name .ah-input { flex: 1 1 120px; min-width: 0; margin: 0; }
  .ah-add-name .ah-primary { width: auto; margin: 0; padding: 6px 12px; }
</style>

<div class="ah" data-ah-root data-position="right">
  <section class="ah-panel" role="region" data-ah-label="title">
    <header class="ah-head">
      <span data-ah-slot="back"></span>
      <div class="ah-head-text">
        <span class="ah-title" data-ah-slot="title"></span>
        <span data-ah-slot="status"></span>
      </div>
      <span data-ah-slot="tools"></span>
      <button type="button" class="ah-x" data-ah-action="close" data-ah-label="close">&times;</button>
    </header>
    <div class="ah-body" data-ah-slot="body"></div>
  </section>
  <button type="button" class="ah-launcher" data-ah-action="toggle" data-ah-label="launcher">
    <svg class="ah-icon-chat" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4 21.5l4.6-2.2c1.1.3 2.2.5 3.4.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3z"/></svg>
    <svg class="ah-icon-close" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path d="M6 9l6 6 6-6" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/></svg>
    <span class="ah-launcher-label" data-ah-text="launcher"></span>
    <span data-ah-slot="unread"></span>
  </button>
</div>
