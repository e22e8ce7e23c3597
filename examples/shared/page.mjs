// The example's HTML: one server-rendered page, no framework.

const esc = (value) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

const size = (bytes) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`

const layout = (title, body) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
${body}
</body>
</html>`

/** The home page: both upload forms and the list of stored files with their signed links. */
export function renderPage({ backend, storage, files, uploaded, maxUploadSize, linkLifetime }) {
  const rows = files.length
    ? files
        .map(
          (f) => `<tr>
  <td><a class="file-link" data-name="${esc(f.name)}" href="${esc(f.url)}">${esc(f.name)}</a></td>
  <td class="num">${esc(size(f.size))}</td>
  <td>${esc(new Date(f.lastModified).toISOString().replace('T', ' ').slice(0, 19))}</td>
</tr>`,
        )
        .join('\n')
    : '<tr><td colspan="3" class="empty">No files yet.</td></tr>'
  const notice = typeof uploaded === 'string' && uploaded ? `<p class="notice" id="notice">Stored <code>${esc(uploaded)}</code>.</p>` : ''
  return layout(
    'node-storages example',
    `<header>
  <h1>node-storages example</h1>
  <p>Backend: <strong id="backend">${esc(backend)}</strong> <code>${esc(storage)}</code>. Uploads up to ${esc(size(maxUploadSize))}.</p>
</header>
${notice}
<section>
  <h2>Upload through the server</h2>
  <form id="upload-form" method="post" action="/upload" enctype="multipart/form-data">
    <input type="file" name="file" id="form-file" required>
    <button type="submit">Upload</button>
  </form>
</section>
<section>
  <h2>Upload directly (signed URL)</h2>
  <p>The browser asks <code>POST /uploads/sign</code> for a short-lived URL and sends the file straight to it.</p>
  <form id="direct-form">
    <input type="file" id="direct-file" required>
    <button type="submit" id="direct-button">Upload directly</button>
  </form>
  <p id="direct-status" role="status"></p>
</section>
<section>
  <h2>Files</h2>
  <p>Files are private: each link is signed and works for ${Math.round(linkLifetime / 60)} minutes.</p>
  <table id="files">
    <thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead>
    <tbody>
${rows}
    </tbody>
  </table>
</section>
<script src="/static/direct-upload.js" defer></script>`,
  )
}

/** An error page. */
export function renderError(status, message) {
  return layout(`Error ${status}`, `<h1>Error ${esc(status)}</h1>\n<p id="error">${esc(message)}</p>\n<p><a href="/">Back</a></p>`)
}
