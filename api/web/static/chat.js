// The chat panel: posts a message to /web/chat/stream and renders the Server-Sent Events as they arrive.
// The server renders (and escapes) every HTML fragment; this script only inserts them and lets htmx
// wire the Approve/Reject buttons of approval cards.
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function insertHtml(parent, html) {
    var box = el("div", "frag");
    box.innerHTML = html;
    parent.appendChild(box);
    if (window.htmx) { window.htmx.process(box); }
    return box;
  }

  // Parses "event: x\ndata: {...}\n\n" frames out of a growing text buffer; returns the unread rest.
  function takeFrames(buffer, onFrame) {
    var end;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      var raw = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      var kind = "message", data = "";
      raw.split("\n").forEach(function (line) {
        if (line.indexOf("event: ") === 0) { kind = line.slice(7); }
        else if (line.indexOf("data: ") === 0) { data += line.slice(6); }
      });
      onFrame(kind, data ? JSON.parse(data) : {});
    }
    return buffer;
  }

  function start() {
    var form = document.getElementById("chat-form");
    if (!form) { return; }
    var transcript = document.getElementById("transcript");
    var input = document.getElementById("message");
    var send = document.getElementById("send");
    var threadInput = document.getElementById("thread-id");

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text) { return; }
      var hint = transcript.querySelector(".hint");
      if (hint) { hint.remove(); }
      var mine = el("div", "msg user");
      mine.appendChild(el("div", "who", "you"));
      mine.appendChild(el("div", "answer", text));
      transcript.appendChild(mine);
      var bot = el("div", "msg bot streaming");
      bot.appendChild(el("div", "who", "quantpilot"));
      var steps = el("div", "steps muted small");
      var tokens = el("div", "answer tokens");
      bot.appendChild(steps);
      bot.appendChild(tokens);
      transcript.appendChild(bot);
      transcript.scrollTop = transcript.scrollHeight;
      var body = new URLSearchParams(new FormData(form));
      input.value = "";
      send.disabled = true;

      function onFrame(kind, data) {
        if (kind === "thread") { threadInput.value = data.thread_id; }
        else if (kind === "step") { steps.textContent = (steps.textContent ? steps.textContent + " → " : "· ") + data.node; }
        else if (kind === "token") { tokens.textContent += data.text; }
        else if (kind === "tool_call" || kind === "tool_result" || kind === "approval") { insertHtml(bot, data.html); }
        else if (kind === "final") { tokens.remove(); insertHtml(bot, data.html); }
        else if (kind === "error") { bot.appendChild(el("div", "error", data.message)); }
        transcript.scrollTop = transcript.scrollHeight;
      }

      fetch(form.dataset.streamUrl, {
        method: "POST", body: body, credentials: "same-origin",
        headers: {"Accept": "text/event-stream", "Content-Type": "application/x-www-form-urlencoded"}
      }).then(function (response) {
        if (!response.ok || !response.body) {
          return response.text().then(function (t) { insertHtml(bot, t || ("error " + response.status)); });
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { return; }
            buffer = takeFrames(buffer + decoder.decode(chunk.value, {stream: true}), onFrame);
            return pump();
          });
        }
        return pump();
      }).catch(function (err) {
        bot.appendChild(el("div", "error", "connection lost: " + err));
      }).finally(function () {
        bot.classList.remove("streaming");
        send.disabled = false;
        input.focus();
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
