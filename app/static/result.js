// The result page: streams a pending answer in over SSE, then swaps in the stored (sanitised) HTML.
// Loaded as a file, not inline, so pages can forbid inline scripts (Content-Security-Policy).
(function () {
  var page = document.getElementById('result');
  if (!page) return;
  var id = page.getAttribute('data-result-id');
  var live = document.getElementById('live'), answer = document.getElementById('answer');
  var state = document.getElementById('state'), text = '';
  if (live) {
    var source = new EventSource('/r/' + encodeURIComponent(id) + '/stream');
    source.addEventListener('delta', function (e) {
      text += JSON.parse(e.data); live.textContent = text;
      if (state) state.textContent = '';
    });
    source.addEventListener('reset', function () { text = ''; live.textContent = ''; });
    source.addEventListener('done', function (e) {
      var d = JSON.parse(e.data); answer.innerHTML = d.html;  // rendered and sanitised by the server
      var meta = document.querySelector('header.meta'); if (meta && d.meta) meta.outerHTML = d.meta;
      source.close();
    });
    source.addEventListener('error', function (e) {
      if (!e.data) return;  // a dropped connection: EventSource reconnects by itself
      source.close();
      answer.innerHTML = '';
      var box = document.createElement('div'); box.className = 'notice error';
      box.textContent = 'No answer. ' + JSON.parse(e.data).message; answer.appendChild(box);
    });
  }
  var copy = document.getElementById('copy');
  if (copy) copy.addEventListener('click', function () {
    fetch('/r/' + encodeURIComponent(id) + '.md').then(function (r) { return r.text(); })
      .then(function (md) { return navigator.clipboard.writeText(md); })
      .then(function () { copy.textContent = 'Copied'; });
  });
})();
