// Signet's only page script: passkeys, because the WebAuthn API has no HTML form (every
// other profile action is a plain form). Served from this site only (CSP).
(function () {
  "use strict";

  async function call(method, path, body, csrf) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (csrf) headers["X-CSRF-TOKEN"] = csrf;
    const response = await fetch("/api/v1/auth" + path, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json();
    if (!response.ok) throw new Error((data && data.detail) || response.statusText);
    return data;
  }

  function report(id, text) {
    const element = document.getElementById(id);
    if (element) element.textContent = text;
  }

  function on(id, event, handler) {
    const element = document.getElementById(id);
    if (element) element.addEventListener(event, handler);
    return element;
  }

  // Profile: register a passkey on this device.
  const register = on("passkey-register", "click", async function () {
    const csrf = register.dataset.csrf;
    try {
      // Adding a passkey is a sensitive change: the current password starts the ceremony.
      const password = document.getElementById("passkey-password").value;
      const options = await call("POST", "/passkeys/register/options",
        password ? { current_password: password } : {}, csrf);
      const credential = await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey),
      });
      const name = document.getElementById("passkey-name").value.trim() || "Passkey";
      await call("POST", "/passkeys/register/verify",
        { ceremony: options.ceremony, credential: credential.toJSON(), name: name }, csrf);
      window.location.assign("/profile");
    } catch (error) {
      report("passkey-status", "The passkey was not added: " + error.message);
    }
  });

  // Sign-in page: the assertion is posted as a form, so the session cookies are set
  // exactly as for the password form.
  on("passkey-sign-in", "click", async function () {
    try {
      const options = await call("POST", "/passkeys/login/options");
      const credential = await navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey),
      });
      const form = document.getElementById("passkey-form");
      form.elements.ceremony.value = options.ceremony;
      form.elements.credential.value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch (error) {
      report("passkey-status", "Passkey sign-in failed: " + error.message);
    }
  });
})();
