// Copy buttons: <button class="copy" data-copy="ID"> copies the text of the element with that id.
// A file, not inline, so pages can forbid inline scripts and handlers (Content-Security-Policy).
(function () {
  function copied(button) {
    button.textContent = 'Copied';
    button.setAttribute('data-copied', 'true');
    setTimeout(function () { button.textContent = 'Copy'; }, 2000);
  }
  function selectText(source) {  // no clipboard API (plain http): select it, so Ctrl+C finishes the job
    var range = document.createRange(); range.selectNodeContents(source);
    var selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    return document.execCommand && document.execCommand('copy');
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button[data-copy]');
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) return;
    var text = source.textContent;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { copied(button); },
        function () { if (selectText(source)) copied(button); });
    } else if (selectText(source)) {
      copied(button);
    }
  });
})();
