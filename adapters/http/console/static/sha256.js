/* SHA-256 (FIPS 180-4) in plain JavaScript, for draw.js where the browser has no WebCrypto.
 *
 * crypto.subtle exists only in a secure context (HTTPS or localhost): a public page served over
 * plain HTTP on another address has none, and the draw must still be re-run there. No
 * dependencies, no eval; the tests check it against the FIPS vectors and against WebCrypto.
 *
 *   window.ssjSha256.digest(bytes)   // Uint8Array -> Uint8Array(32)
 *   window.ssjSha256.hex(textOrBytes) // string (as UTF-8) or Uint8Array -> 64 lowercase hex
 */
(function (root) {
  "use strict";

  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  const INITIAL = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ];
  const W = new Uint32Array(64);
  const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
  const encoder = new TextEncoder();

  function digest(bytes) {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError("ssjSha256.digest takes a Uint8Array");
    }
    const length = bytes.length;
    // The message, the 0x80 byte, zeros, and the length in bits as 64 bits big-endian.
    const padded = new Uint8Array((((length + 8) >> 6) + 1) << 6);
    padded.set(bytes);
    padded[length] = 0x80;
    const view = new DataView(padded.buffer);
    // length * 8 may pass 2^32: split it without going through 32-bit integer arithmetic.
    view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
    view.setUint32(padded.length - 4, (length % 0x20000000) * 8);

    let h0 = INITIAL[0], h1 = INITIAL[1], h2 = INITIAL[2], h3 = INITIAL[3];
    let h4 = INITIAL[4], h5 = INITIAL[5], h6 = INITIAL[6], h7 = INITIAL[7];
    for (let offset = 0; offset < padded.length; offset += 64) {
      for (let t = 0; t < 16; t++) {
        W[t] = view.getUint32(offset + t * 4);
      }
      for (let t = 16; t < 64; t++) {
        const x = W[t - 15], y = W[t - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
      }
      let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (let t = 0; t < 64; t++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const ch = (e & f) ^ (~e & g);
        const t1 = (h + S1 + ch + K[t] + W[t]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const maj = (a & b) ^ (a & c) ^ (b & c);
        const t2 = (S0 + maj) | 0;
        h = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0;
      h1 = (h1 + b) | 0;
      h2 = (h2 + c) | 0;
      h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0;
      h5 = (h5 + f) | 0;
      h6 = (h6 + g) | 0;
      h7 = (h7 + h) | 0;
    }
    const out = new Uint8Array(32);
    const result = new DataView(out.buffer);
    [h0, h1, h2, h3, h4, h5, h6, h7].forEach((word, i) => result.setUint32(i * 4, word >>> 0));
    return out;
  }

  function hex(input) {
    const bytes = typeof input === "string" ? encoder.encode(input) : input;
    let text = "";
    for (const byte of digest(bytes)) {
      text += HEX[byte];
    }
    return text;
  }

  root.ssjSha256 = Object.freeze({ digest, hex });
})(window);
