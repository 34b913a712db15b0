import { createHash } from 'node:crypto';

/**
 * The page where an operator trades the API token for a codec session in the browser the Web
 * UI runs in. Static: nothing from the request is echoed. Its one script is allowed by hash,
 * and no other page may frame it (the token is typed here).
 */

const SCRIPT = `
document.getElementById('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = document.getElementById('token');
  const result = document.getElementById('result');
  const response = await fetch('session', { method: 'POST', headers: { authorization: 'Bearer ' + token.value } });
  token.value = '';
  const body = await response.json().catch(() => ({}));
  result.textContent = response.ok ? 'Signed in: the Web UI decodes payloads in this browser until ' + body.expiresAt + '.' : 'Refused (' + response.status + '): ' + (body.message || '');
});
`;

export const SIGN_IN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Clusterflow: decode payloads in the Temporal Web UI</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.4}input{width:100%;font-family:monospace;margin:.5rem 0}</style>
</head>
<body>
<h1>Decode payloads in the Temporal Web UI</h1>
<p>Clusterflow encrypts everything it hands to Temporal. Sign this browser in with the API token and the Web UI
decrypts through this API for 12 hours. The token is not kept: the browser gets an HttpOnly session cookie that
opens <code>/codec/encode</code> and <code>/codec/decode</code> only.</p>
<form id="sign-in">
<label for="token">API token</label>
<input id="token" type="password" autocomplete="off" required>
<button type="submit">Sign in</button>
</form>
<p id="result" role="status"></p>
<p>The Web UI's codec server must be this API's <code>/codec</code> with cross-origin credentials included. The
Temporal CLI dev server cannot set that option: in the UI, open the codec server settings, choose your browser
setting, enter the endpoint and tick "Include cross-origin credentials".</p>
<script>${SCRIPT}</script>
</body>
</html>
`;

export const SIGN_IN_PAGE_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`,
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
