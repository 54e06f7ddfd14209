/* ssj-draw-v1 in the browser: anyone re-runs a published draw from its inputs (DRAW-SPEC.md).
 *
 *   const result = await window.ssjDraw.verify(inputs, { forceFallback: false });
 *
 * `inputs` is the JSON of a published draw (Queries.draw_inputs): rule, directory_position,
 * population_digest, strata {grade: {N, r, k}}, commitment, secret, beacon, seed,
 * drawn {grade: [ids]}, and population [[id, grade], ...] (pairs lists [[grade, ...], ...] are
 * taken for strata and drawn too, as the stores keep them). Every figure is computed again from the
 * secret, the beacon and the population; the recorded ones are only compared with it.
 *
 * SHA-256 comes from crypto.subtle where the page is a secure context; elsewhere (plain HTTP on an
 * address other than localhost) from sha256.js, loaded from beside this file when first needed.
 *
 * On a page with <script type="application/json" id="draw-inputs">, a button #rerun-draw and an
 * element #rerun-result, a click re-runs the draw and writes the verdict in Chinese into
 * #rerun-result, with DOM nodes and textContent only (the inputs are data, never markup).
 */
(function (root) {
  "use strict";

  const RULE = "ssj-draw-v1";
  const SCRIPT = document.currentScript ? document.currentScript.src : null;
  const encoder = new TextEncoder();
  const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
  const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;
  const SECRET = /^[0-9a-f]{64}$/;
  const CHUNK = 4096;

  // ------------------------------------------------------------------ SHA-256
  function toHex(buffer) {
    let text = "";
    for (const byte of new Uint8Array(buffer)) {
      text += HEX[byte];
    }
    return text;
  }

  let fallbackLoaded = null;

  function loadFallback() {
    if (root.ssjSha256) {
      return Promise.resolve(root.ssjSha256);
    }
    if (fallbackLoaded === null) {
      fallbackLoaded = new Promise((resolve, reject) => {
        if (!SCRIPT) {
          reject(new Error("sha256.js 未加载，且无法确定其地址"));
          return;
        }
        const script = document.createElement("script");
        script.src = new URL("sha256.js", SCRIPT).href;
        script.addEventListener("load", () =>
          root.ssjSha256 ? resolve(root.ssjSha256) : reject(new Error("sha256.js 未能加载"))
        );
        script.addEventListener("error", () => {
          fallbackLoaded = null;
          reject(new Error("sha256.js 未能加载"));
        });
        document.head.appendChild(script);
      });
    }
    return fallbackLoaded;
  }

  /* {name, many(texts) -> Promise of hex digests in the same order}. */
  async function hasher(forceFallback) {
    const subtle = root.crypto && root.crypto.subtle;
    if (!forceFallback && subtle && typeof subtle.digest === "function") {
      return {
        name: "WebCrypto",
        async many(texts) {
          const found = [];
          // A bounded number of digests in flight: a population of a million ids stays flat.
          for (let i = 0; i < texts.length; i += CHUNK) {
            const chunk = texts.slice(i, i + CHUNK);
            const digests = await Promise.all(
              chunk.map((text) => subtle.digest("SHA-256", encoder.encode(text)))
            );
            for (const digest of digests) {
              found.push(toHex(digest));
            }
          }
          return found;
        },
      };
    }
    const sha256 = await loadFallback();
    return {
      name: "sha256.js",
      async many(texts) {
        return texts.map((text) => sha256.hex(encoder.encode(text)));
      },
    };
  }

  // ------------------------------------------------------------------ the rule's pieces
  /* Sorting is by Unicode code point (Python's sorted on str). JavaScript's < compares UTF-16
   * code units, which puts U+10000 and above before U+E000..U+FFFF: compare code points. */
  function compareCodePoints(a, b) {
    if (a === b) {
      return 0;
    }
    let i = 0;
    while (i < a.length && i < b.length) {
      const x = a.codePointAt(i);
      const y = b.codePointAt(i);
      if (x !== y) {
        return x < y ? -1 : 1;
      }
      i += x > 0xffff ? 2 : 1;
    }
    if (i < a.length) {
      return 1;
    }
    return i < b.length ? -1 : 0;
  }

  /* A ratio as the rule reads it: a plain decimal string in [0, 1], as an exact fraction. */
  function ratioFraction(ratio) {
    if (typeof ratio !== "string" || !DECIMAL.test(ratio)) {
      return null;
    }
    const [whole, decimals = ""] = ratio.split(".");
    const numerator = BigInt(whole + decimals);
    const denominator = 10n ** BigInt(decimals.length);
    return numerator > denominator ? null : { numerator, denominator };
  }

  /* k = ceil(r × N), capped at N; null when r is no ratio the rule reads. */
  function requiredCount(size, ratio) {
    const fraction = ratioFraction(ratio);
    if (fraction === null) {
      return null;
    }
    const n = BigInt(size);
    const { numerator, denominator } = fraction;
    const k = (numerator * n + denominator - 1n) / denominator;
    return Number(k < n ? k : n);
  }

  /* A mapping given as an object or as [[key, value], ...]. */
  function pairs(value) {
    if (Array.isArray(value)) {
      return value.map((pair) => [String(pair[0]), pair[1]]);
    }
    return value && typeof value === "object" ? Object.entries(value) : [];
  }

  function sameList(a, b) {
    return a.length === b.length && a.every((item, i) => item === b[i]);
  }

  function firstDifference(want, got) {
    for (let i = 0; i < Math.max(want.length, got.length); i++) {
      if (want[i] !== got[i]) {
        return { index: i, expected: want[i] ?? null, recorded: got[i] ?? null };
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ verify
  async function verify(inputs, options = {}) {
    const hash = await hasher(Boolean(options.forceFallback));
    const one = async (text) => (await hash.many([text]))[0];
    const checks = [];
    const check = (key, label, ok, detail = "") => {
      checks.push({ key, label, ok: Boolean(ok), detail });
      return Boolean(ok);
    };

    const secret = String(inputs.secret ?? "");
    const beacon = String(inputs.beacon ?? "");
    const ruleOk = check("rule", `规则为 ${RULE}`, inputs.rule === RULE, String(inputs.rule));
    const secretOk = check(
      "secret",
      "秘密值为 64 位小写十六进制",
      SECRET.test(secret),
      secret
    );
    const commitment = await one(secret);
    const commitmentOk = check(
      "commitment",
      "承诺值 = H(秘密值)",
      commitment === inputs.commitment,
      commitment
    );
    const seed = await one(secret + "|" + beacon);
    const seedOk = check("seed", "种子 = H(秘密值|信标)", seed === inputs.seed, seed);

    // The population in id order, and its digest over the lines id|grade\n.
    const population = pairs(inputs.population).map(([id, grade]) => [String(id), String(grade)]);
    population.sort((x, y) => compareCodePoints(x[0], y[0]));
    const repeated = population.find((member, i) => i > 0 && member[0] === population[i - 1][0]);
    const uniqueOk = check(
      "population",
      "抽查对象总体无重复编号",
      repeated === undefined,
      repeated ? repeated[0] : `${population.length} 个`
    );
    const populationDigest = await one(
      population.map(([id, grade]) => id + "|" + grade + "\n").join("")
    );
    const digestOk = check(
      "population_digest",
      "抽查对象总体摘要一致",
      populationDigest === inputs.population_digest,
      populationDigest
    );

    // Strata: N counted, k = ceil(r × N) from the recorded ratio, every grade of either side.
    const recorded = new Map(pairs(inputs.strata));
    const sizes = new Map();
    for (const [, grade] of population) {
      sizes.set(grade, (sizes.get(grade) || 0) + 1);
    }
    const grades = [...new Set([...recorded.keys(), ...sizes.keys()])].sort(compareCodePoints);
    const strata = {};
    let strataOk = true;
    for (const grade of grades) {
      const given = recorded.get(grade) || {};
      const N = sizes.get(grade) || 0;
      const r = typeof given.r === "string" ? given.r : null;
      const k = r === null ? null : requiredCount(N, r);
      const NOk = recorded.has(grade) && given.N === N;
      const kOk = k !== null && given.k === k;
      strata[grade] = { N, r, k, NOk, kOk };
      strataOk =
        check(
          `strata.${grade}`,
          `${grade} 类：N = ${N}，r = ${r ?? "缺失"}，k = ⌈r × N⌉ = ${k ?? "无法计算"}`,
          NOk && kOk,
          `公示 N = ${given.N ?? "缺失"}，k = ${given.k ?? "缺失"}`
        ) && strataOk;
    }

    // Ranks with the recomputed seed; each stratum's k of lowest rank, equal ranks by id.
    const prefix = seed + "|targets|";
    const rankList = await hash.many(population.map(([id]) => prefix + id));
    const rankOf = new Map(population.map(([id], i) => [id, rankList[i]]));
    const recordedDrawn = new Map(
      pairs(inputs.drawn).map(([grade, ids]) => [grade, Array.isArray(ids) ? ids.map(String) : []])
    );
    const drawn = {};
    let drawnOk = true;
    for (const grade of [...new Set([...grades, ...recordedDrawn.keys()])].sort(compareCodePoints)) {
      const k = grades.includes(grade) ? strata[grade].k ?? 0 : 0;
      const members = population.filter((member) => member[1] === grade).map(([id]) => id);
      members.sort((x, y) => {
        const a = rankOf.get(x);
        const b = rankOf.get(y);
        return a < b ? -1 : a > b ? 1 : compareCodePoints(x, y);
      });
      drawn[grade] = members.slice(0, k);
      const got = recordedDrawn.get(grade) || [];
      const difference = firstDifference(drawn[grade], got);
      drawnOk =
        check(
          `drawn.${grade}`,
          `${grade} 类抽中对象一致（${drawn[grade].length} 个）`,
          difference === null,
          difference === null
            ? ""
            : `第 ${difference.index + 1} 个应为 ${difference.expected ?? "（无）"}，公示为 ${
                difference.recorded ?? "（无）"
              }`
        ) && drawnOk;
    }

    // The ranks of every id drawn, by the rule or as recorded: what a reader compares.
    const shown = new Set([...Object.values(drawn).flat(), ...[...recordedDrawn.values()].flat()]);
    const outside = [...shown].filter((id) => !rankOf.has(id));
    const outsideRanks = await hash.many(outside.map((id) => prefix + id));
    outside.forEach((id, i) => rankOf.set(id, outsideRanks[i]));
    const ranks = {};
    for (const id of shown) {
      ranks[id] = rankOf.get(id);
    }

    const ok =
      ruleOk && secretOk && commitmentOk && seedOk && uniqueOk && digestOk && strataOk && drawnOk;
    return {
      ok,
      ruleOk,
      secretOk,
      commitmentOk,
      commitment,
      seed,
      seedOk,
      populationDigest,
      digestOk,
      strata,
      strataOk,
      drawn,
      drawnOk,
      ranks,
      checks,
      hash: hash.name,
    };
  }

  // ------------------------------------------------------------------ the page's verdict
  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) {
      node.textContent = text;
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function render(result, target) {
    const verdict = result.ok ? "一致" : "不一致";
    const summary = result.ok
      ? "按公开规则重新计算，结果与公示的抽取结果一致。"
      : "按公开规则重新计算，结果与公示的抽取结果不一致，见下列标 ✗ 的项目。";
    const heading = element("p", "", "rerun-verdict");
    heading.append(element("strong", verdict), ` ${summary}`);
    const list = element("ul", undefined, "rerun-checks");
    for (const item of result.checks) {
      const line = element("li", `${item.ok ? "✓" : "✗"} ${item.label}`);
      line.className = item.ok ? "rerun-pass" : "rerun-fail";
      if (!item.ok && item.detail) {
        line.append(element("span", `（${item.detail}）`, "rerun-detail"));
      }
      list.append(line);
    }
    const seed = element("p", "重新计算的种子：", "rerun-seed");
    seed.append(element("code", result.seed));
    const drawn = element("dl", undefined, "rerun-drawn");
    for (const [grade, ids] of Object.entries(result.drawn)) {
      drawn.append(element("dt", `${grade} 类抽中（${ids.length} 个）`));
      const item = element("dd");
      ids.forEach((id, i) => {
        if (i > 0) {
          item.append("、");
        }
        item.append(element("code", id));
      });
      if (ids.length === 0) {
        item.textContent = "无";
      }
      drawn.append(item);
    }
    const how = element(
      "p",
      `哈希计算：${result.hash === "WebCrypto" ? "浏览器 WebCrypto" : "sha256.js（页面自带）"}`,
      "rerun-hash"
    );
    target.replaceChildren(heading, list, seed, drawn, how);
    target.dataset.ok = String(result.ok);
  }

  function wire() {
    const data = document.getElementById("draw-inputs");
    const button = document.getElementById("rerun-draw");
    const target = document.getElementById("rerun-result");
    if (!data || !button || !target) {
      return;
    }
    button.addEventListener("click", async () => {
      button.disabled = true;
      delete target.dataset.ok;
      target.replaceChildren(element("p", "正在按 ssj-draw-v1 重新计算……"));
      try {
        render(await verify(JSON.parse(data.textContent)), target);
      } catch (error) {
        target.replaceChildren(element("p", `无法重新计算：${error.message}`, "rerun-fail"));
        target.dataset.ok = "false";
      } finally {
        button.disabled = false;
      }
    });
  }

  root.ssjDraw = Object.freeze({ verify, render, compareCodePoints, requiredCount, RULE });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})(window);
