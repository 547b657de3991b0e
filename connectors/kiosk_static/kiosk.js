// Service-hall kiosk page. Plain JS, talks only to its own origin (webhook, config).
// Privacy on a shared screen: one random sender id per customer, kept only in this variable;
// nothing in localStorage/sessionStorage/cookies; after the idle time the screen is cleared and
// a new id is made, so the next person starts a new conversation and sees nothing of the last.
// Bot text is always inserted with textContent, never as HTML.
(function () {
  "use strict";

  var DEFAULTS = {
    idle_seconds: 90,
    handoff_payload: "/human_agent",
    topics: [
      { title: "停电查询", payload: "/outage_lookup" },
      { title: "故障报修", payload: "/fault_repair" },
      { title: "电费账单", payload: "/bill_query" },
      { title: "阶梯电价", payload: "/tiered_tariff" },
      { title: "用电报装", payload: "/connection_enquiry" },
      { title: "充电桩报装", payload: "/charging_pile" }
    ]
  };
  var WARNING_SECONDS = 15;
  var REQUEST_TIMEOUT_MS = 20000;

  var config = DEFAULTS;
  var sender = newSenderId();
  var generation = 0; // bumps on every reset: late answers for a previous customer are dropped
  var inFlight = null;
  var idleTimer = null;
  var warningTimer = null;

  var $ = function (id) { return document.getElementById(id); };

  function newSenderId() {
    // RFC 4122 version 4 from getRandomValues (randomUUID needs a secure context).
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function node(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text !== undefined && text !== null) { el.textContent = String(text); }
    return el;
  }

  function scrollToEnd() {
    var main = $("main");
    main.scrollTop = main.scrollHeight;
  }

  function showHome(visible) {
    $("home").hidden = !visible;
  }

  function addUser(text) {
    showHome(false);
    $("log").appendChild(node("div", "msg user", text));
    scrollToEnd();
  }

  function addCard(box, card) {
    var wrap = node("div", "card");
    wrap.appendChild(node("h2", "card-title", card.title));
    var list = node("dl");
    (card.fields || []).forEach(function (field) {
      list.appendChild(node("dt", null, field[0]));
      list.appendChild(node("dd", null, field[1]));
    });
    wrap.appendChild(list);
    box.appendChild(wrap);
  }

  function addBot(message, isError) {
    var box = node("div", isError ? "msg bot error" : "msg bot");
    if (message.text) { box.appendChild(node("p", "text", message.text)); }
    if (message.card) { addCard(box, message.card); }
    if (message.buttons && message.buttons.length) {
      var row = node("div", "choices");
      message.buttons.forEach(function (button) {
        var el = node("button", "choice", button.title);
        el.type = "button";
        el.addEventListener("click", function () { send({ payload: button.payload }, button.title); });
        row.appendChild(el);
      });
      box.appendChild(row);
    }
    $("log").appendChild(box);
    scrollToEnd();
  }

  function setBusy(busy) {
    $("send").disabled = busy;
    $("input").disabled = busy;
    Array.prototype.forEach.call(document.querySelectorAll(".choice, .topic"), function (el) { el.disabled = busy; });
  }

  function send(body, shownText) {
    if (inFlight) { return; }
    addUser(shownText);
    setBusy(true);
    var myGeneration = generation;
    var controller = new AbortController();
    var timeout = window.setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    inFlight = controller;
    body.sender = sender;
    fetch("webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: controller.signal,
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (myGeneration !== generation) { return; }
      if (!result.ok) {
        addBot({ text: (result.data && result.data.error) || "抱歉，出了点问题，请再试一次。" }, true);
        return;
      }
      (result.data.messages || []).forEach(function (m) { addBot(m, false); });
    }).catch(function () {
      if (myGeneration !== generation) { return; }
      addBot({ text: "抱歉，网络繁忙，请稍后再试，或点击右上角“转人工”。" }, true);
    }).then(function () {
      window.clearTimeout(timeout);
      if (inFlight === controller) { inFlight = null; }
      if (myGeneration === generation) { setBusy(false); }
      restartIdleTimer();
    });
  }

  function resetConversation() {
    generation += 1;
    if (inFlight) { inFlight.abort(); inFlight = null; }
    sender = newSenderId();
    $("log").replaceChildren();
    $("input").value = "";
    $("notice").hidden = true;
    $("notice").textContent = "";
    setBusy(false);
    showHome(true);
    $("main").scrollTop = 0;
  }

  function restartIdleTimer() {
    window.clearTimeout(idleTimer);
    window.clearTimeout(warningTimer);
    $("notice").hidden = true;
    var idleMs = Math.max(5, Number(config.idle_seconds) || DEFAULTS.idle_seconds) * 1000;
    var warnMs = idleMs - WARNING_SECONDS * 1000;
    if (warnMs > 0) {
      warningTimer = window.setTimeout(function () {
        $("notice").textContent = "长时间无操作，页面即将返回首页。如需继续，请触摸屏幕。";
        $("notice").hidden = false;
      }, warnMs);
    }
    idleTimer = window.setTimeout(resetConversation, idleMs);
  }

  function renderTopics() {
    var holder = $("topics");
    holder.replaceChildren();
    (config.topics || []).forEach(function (topic) {
      var el = node("button", "topic", topic.title);
      el.type = "button";
      el.addEventListener("click", function () { send({ payload: topic.payload }, topic.title); });
      holder.appendChild(el);
    });
  }

  function start() {
    renderTopics();
    $("composer").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("input").value.trim();
      if (!text) { return; }
      $("input").value = "";
      send({ message: text }, text);
    });
    $("handoff").addEventListener("click", function () {
      send({ payload: config.handoff_payload || DEFAULTS.handoff_payload }, "转人工");
    });
    $("restart").addEventListener("click", function () { resetConversation(); restartIdleTimer(); });
    ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
      document.addEventListener(name, restartIdleTimer, { passive: true });
    });
    restartIdleTimer();
    fetch("config", { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) {
          config = {
            idle_seconds: data.idle_seconds || DEFAULTS.idle_seconds,
            topics: data.topics && data.topics.length ? data.topics : DEFAULTS.topics,
            handoff_payload: data.handoff_payload || DEFAULTS.handoff_payload
          };
          renderTopics();
          restartIdleTimer();
        }
      })
      .catch(function () { /* the built-in defaults stay */ });
  }

  document.addEventListener("DOMContentLoaded", start);
}());
