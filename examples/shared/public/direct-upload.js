// Direct upload: ask the app for a signed URL, then send the file straight to it.
// Local backends answer with a signed PUT to /media/...; S3 with a presigned PUT to the bucket,
// or with a presigned POST (form fields + file) when the app asks for method: 'POST'.
const form = document.getElementById('direct-form')
const input = document.getElementById('direct-file')
const status = document.getElementById('direct-status')

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const file = input.files[0]
  if (!file) return
  try {
    status.textContent = 'Asking for an upload URL…'
    const signing = await fetch('/uploads/sign', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: file.name, type: file.type || 'application/octet-stream', size: file.size }),
    })
    const signed = await signing.json()
    if (!signing.ok) throw new Error(signed.error || `signing failed (${signing.status})`)

    status.textContent = `Uploading ${file.name}…`
    let sent
    if (signed.method === 'POST') {
      const body = new FormData()
      for (const [key, value] of Object.entries(signed.fields || {})) body.append(key, value)
      body.append('file', file) // the file must come last in a presigned POST
      sent = await fetch(signed.url, { method: 'POST', body })
    } else {
      sent = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: file })
    }
    if (!sent.ok) throw new Error(`the upload was refused (${sent.status}): ${(await sent.text()).slice(0, 200)}`)
    location.href = `/?uploaded=${encodeURIComponent(signed.name)}`
  } catch (error) {
    status.textContent = `Upload failed: ${error.message}`
  }
})
