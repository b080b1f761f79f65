// livemon review console: shortcuts, blur toggle, clip seek, sanction field, lease countdown and heartbeat.
// Served from 'self' under a CSP without inline script; reads its settings from data- attributes.
"use strict";

(function () {
  const HEARTBEAT_EVERY_MS = 60 * 1000;
  const ACTIVE_WITHIN_MS = 5 * 60 * 1000;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function submit(id) {
    const form = document.getElementById(id);
    if (form) form.requestSubmit();
  }

  // Blur: a CSS filter on every snapshot and clip, remembered across pages.
  function setBlur(on) {
    document.body.classList.toggle("blurred", on);
    const button = document.getElementById("blur-toggle");
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
    try { localStorage.setItem("livemon-blur", on ? "1" : "0"); } catch (e) { /* storage may be off */ }
  }
  function toggleBlur() { setBlur(!document.body.classList.contains("blurred")); }

  function focusDecision() {
    const form = document.getElementById("decision-form");
    if (!form) return;
    form.scrollIntoView({ block: "center" });
    const first = form.querySelector('input[name="action"]:checked') || form.querySelector('input[name="action"]');
    if (first) first.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const key = event.key.toLowerCase();
    if (key === "c") { event.preventDefault(); submit("claim-form"); }
    else if (key === "s") { event.preventDefault(); submit("skip-form"); }
    else if (key === "d") { event.preventDefault(); focusDecision(); }
    else if (key === "b") { event.preventDefault(); toggleBlur(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    let stored = null;
    try { stored = localStorage.getItem("livemon-blur"); } catch (e) { /* storage may be off */ }
    setBlur(stored === "1");
    const blurButton = document.getElementById("blur-toggle");
    if (blurButton) blurButton.addEventListener("click", toggleBlur);

    // Each clip starts at its finding (the #t= fragment does it too; this covers a reload of the media).
    document.querySelectorAll("video[data-offset]").forEach(function (video) {
      video.addEventListener("loadedmetadata", function () {
        const offset = parseFloat(video.dataset.offset);
        if (isFinite(offset) && Math.abs(video.currentTime - offset) > 0.5) video.currentTime = offset;
      }, { once: true });
    });

    // The sanction goes with a confirm only.
    const form = document.getElementById("decision-form");
    if (form) {
      const field = document.getElementById("sanction-field");
      const select = document.getElementById("sanction");
      const sync = function () {
        const checked = form.querySelector('input[name="action"]:checked');
        const confirm = checked !== null && checked.value === "confirm";
        field.classList.toggle("hidden", !confirm);
        if (!confirm) select.value = "";
      };
      form.querySelectorAll('input[name="action"]').forEach(function (r) { r.addEventListener("change", sync); });
      sync();
    }

    const lease = document.getElementById("lease");
    if (lease) startLease(lease);
  });

  function startLease(lease) {
    const left = document.getElementById("lease-left");
    let deadline = performance.now() + 1000 * parseInt(lease.dataset.remaining, 10);
    let lastActive = performance.now();
    let expired = false;
    ["keydown", "mousemove", "mousedown", "scroll", "touchstart"].forEach(function (name) {
      document.addEventListener(name, function () { lastActive = performance.now(); }, { passive: true });
    });

    function expire(message) {
      expired = true;
      lease.classList.add("expired");
      left.textContent = message;
      document.querySelectorAll("#decision-form button, #skip-form button, #hold-form button")
        .forEach(function (b) { b.disabled = true; });
    }

    function tick() {
      if (expired) return;
      const seconds = Math.max(0, Math.round((deadline - performance.now()) / 1000));
      left.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
      if (seconds === 0) expire("租约已过期，请回到队列重新领取 (lease lapsed)");
    }

    async function beat() {
      if (expired || document.visibilityState !== "visible") return;
      if (performance.now() - lastActive > ACTIVE_WITHIN_MS) return;
      const response = await fetch(lease.dataset.heartbeat, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ lease_token: lease.dataset.leaseToken }),
      });
      if (response.ok) {
        const body = await response.json();
        deadline = performance.now() + 1000 * body.remaining;
        tick();
      } else if (response.status === 401) {
        window.location.assign("/console/login");
      } else if (response.status === 409 || response.status === 404) {
        expire("租约已失效，请回到队列重新领取 (lease lost)");
      }
    }

    tick();
    setInterval(tick, 1000);
    setInterval(function () { beat().catch(function () { /* the next beat retries */ }); }, HEARTBEAT_EVERY_MS);
  }
})();
