/* The check page: the chosen file is hashed here, in the browser (WebCrypto where the page is in a
 * secure context, else sha256.js), and only its SHA-256 is sent, as /check/<code>?sha256=…
 * The copy itself never leaves the visitor's machine. */
(function () {
  "use strict";
  const form = document.getElementById("check-hash-form");
  const file = document.getElementById("check-file");
  const field = document.getElementById("check-sha256");
  if (!form || !file || !field) return;

  async function hexOf(buffer) {
    if (window.crypto && window.crypto.subtle) {
      const digest = new Uint8Array(await window.crypto.subtle.digest("SHA-256", buffer));
      return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    }
    return window.ssjSha256.hex(new Uint8Array(buffer));
  }

  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    field.value = await hexOf(await chosen.arrayBuffer());
    form.submit();
  });
})();
