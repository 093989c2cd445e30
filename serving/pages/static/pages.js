// RiskLens pages: drag and drop onto the file fields, and a progress state while a filing
// uploads and is scored. Without JavaScript the forms post normally; this only adds comfort.
(function () {
  "use strict";
  var MAX_BYTES = 25 * 1024 * 1024;
  var ACCEPTED = /\.(pdf|txt|md|markdown)$/i;

  function showChosen(zone) {
    var input = zone.querySelector("input[type=file]");
    var out = zone.querySelector(".chosen");
    if (input && out) {
      out.textContent = input.files && input.files.length ? input.files[0].name : "";
    }
  }

  function setupDrop(zone) {
    var input = zone.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        showChosen(zone);
      }
    });
    input.addEventListener("change", function () { showChosen(zone); });
  }

  function problem(form) {
    var inputs = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < inputs.length; i++) {
      var file = inputs[i].files && inputs[i].files[0];
      if (!file) { return "请选择文件。Choose a file."; }
      if (!ACCEPTED.test(file.name)) { return "“" + file.name + "”不是 PDF、TXT 或 Markdown 文件。Not a PDF, TXT or Markdown file."; }
      if (file.size > MAX_BYTES) { return "“" + file.name + "”超过 25 MB，请上传较小的文件。Larger than 25 MB."; }
    }
    return "";
  }

  function showPage(html) {
    document.open();
    document.write(html);
    document.close();
  }

  function setupUpload(form) {
    var status = form.querySelector(".progress");
    var bar = status.querySelector("progress");
    var text = status.querySelector(".progress-text");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var wrong = problem(form);
      status.hidden = false;
      if (wrong) { bar.hidden = true; text.textContent = wrong; return; }
      bar.hidden = false;
      button.disabled = true;
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round(100 * e.loaded / e.total);
          text.textContent = "上传中 Uploading " + bar.value + "%";
        }
      });
      request.upload.addEventListener("load", function () {
        bar.removeAttribute("value");
        text.textContent = form.getAttribute("data-busy") + " Scoring…";
      });
      request.addEventListener("load", function () {
        var type = request.getResponseHeader("content-type") || "";
        if (request.status === 200 && request.responseURL && request.responseURL !== form.action) {
          window.location.assign(request.responseURL);
        } else if (type.indexOf("text/html") === 0) {
          showPage(request.responseText);
        } else {
          button.disabled = false;
          bar.hidden = true;
          text.textContent = request.status === 413
            ? "文件太大（最多 25 MB）。The file is too large (25 MB at most)."
            : "请求失败（HTTP " + request.status + "），请重试。The request failed; retry.";
        }
      });
      request.addEventListener("error", function () {
        button.disabled = false;
        bar.hidden = true;
        text.textContent = "无法连接服务器，请重试。Cannot reach the server; retry.";
      });
      request.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-drop]"), setupDrop);
    Array.prototype.forEach.call(document.querySelectorAll("form.js-upload"), setupUpload);
  });
})();
