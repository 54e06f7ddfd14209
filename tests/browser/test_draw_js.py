"""draw.js re-runs ssj-draw-v1 in chromium and gets every worked example of draw-vectors.json,
with the browser's WebCrypto and with sha256.js, the fallback for pages without a secure context;
a tampered input fails the check it tampers with, and the page's button shows the verdict.

The pages come from a test-only Starlette app that serves the console's static folder under the
same Content-Security-Policy as the service (no inline script, no eval), so draw.js is checked as
it will run."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from adapters.bootstrap import bootstrap, load_settings
from domain import draw
from tests.browser.conftest import Screenshot, launch, serving
from tests.services.conftest import PUBLIC, JointInspection

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "adapters" / "http" / "console" / "static"
VECTORS: list[dict[str, Any]] = json.loads((ROOT / "tests" / "draw-vectors.json").read_text())
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HASHES = {"webcrypto": "WebCrypto", "fallback": "sha256.js"}
VERIFY = "async ([options]) => window.ssjDraw.verify(JSON.parse(document.getElementById('draw-inputs').textContent), options)"


def inputs_of(vector: dict[str, Any]) -> dict[str, Any]:
    """A vector as the service publishes a draw: the record of the draw and its population."""
    expected = vector["expected"]
    return {
        "rule": vector["rule"],
        "directory_position": 1,
        "population_digest": expected["population_digest"],
        "strata": expected["strata"],
        "commitment": vector["commitment"],
        "secret": vector["secret"],
        "beacon": vector["beacon"],
        "seed": expected["seed"],
        "drawn": expected["drawn"],
        "population": [[code, grade] for code, grade in vector["population"].items()],
    }


def as_script_data(inputs: dict[str, Any]) -> str:
    """JSON inside <script type="application/json">: `</` written `<\\/` so no text ends it."""
    return json.dumps(inputs, ensure_ascii=False).replace("</", "<\\/")


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>重新计算抽取结果</title>
{scripts}</head>
<body>
<script type="application/json" id="draw-inputs">{data}</script>
<button type="button" id="rerun-draw">重新计算</button>
<div id="rerun-result" aria-live="polite"></div>
</body></html>"""


def pages_app(pages: dict[str, dict[str, Any]]) -> Starlette:
    """/draw/<name>: a page holding `pages[name]` as its draw's inputs, with draw.js only;
    /sha256: a page with sha256.js only."""

    async def draw_page(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in pages:
            return Response("not found", 404)
        html = PAGE.format(
            scripts='<script src="/static/draw.js" defer></script>',
            data=as_script_data(pages[name]),
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": CSP})

    async def sha256_page(request: Request) -> Response:
        html = PAGE.format(scripts='<script src="/static/sha256.js"></script>', data="{}")
        return HTMLResponse(html, headers={"Content-Security-Policy": CSP})

    return Starlette(
        routes=[
            Route("/draw/{name}", draw_page),
            Route("/sha256", sha256_page),
            Mount("/static", StaticFiles(directory=STATIC)),
        ]
    )


def tampered(vector: dict[str, Any], how: str) -> dict[str, Any]:
    inputs = copy.deepcopy(inputs_of(vector))
    if how == "drawn_id":
        grade = next(g for g, ids in inputs["drawn"].items() if ids)
        drawn = set(inputs["drawn"][grade])
        other = next(c for c, g in inputs["population"] if g == grade and c not in drawn)
        inputs["drawn"][grade][0] = other
    elif how == "secret":
        inputs["secret"] = "2" * 64
    elif how == "beacon":
        inputs["beacon"] += " "
    elif how == "grade":
        code, grade = inputs["population"][0]
        inputs["population"][0] = [code, "A" if grade != "A" else "B"]
    elif how == "k":
        grade = next(iter(inputs["strata"]))
        inputs["strata"][grade]["k"] += 1
    return inputs


PAGES = {
    **{f"v{n}": inputs_of(v) for n, v in enumerate(VECTORS)},
    **{
        f"tampered-{how}": tampered(VECTORS[0], how)
        for how in ("drawn_id", "secret", "beacon", "grade", "k")
    },
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serving(pages_app(PAGES)) as url:
        yield url


def verify(page: Any, base: str, name: str, how: str = "webcrypto") -> dict[str, Any]:
    page.goto(f"{base}/draw/{name}")
    page.wait_for_function("() => window.ssjDraw !== undefined")
    result: dict[str, Any] = page.evaluate(VERIFY, [{"forceFallback": how == "fallback"}])
    assert result["hash"] == HASHES[how]
    return result


# ---------------------------------------------------------------------------- SHA-256
FIPS = {
    "abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": (
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
}
MILLION_A = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"


def test_sha256_js_gives_the_fips_180_vectors(page: Any, base: str) -> None:
    page.goto(f"{base}/sha256")

    for message, digest in FIPS.items():
        assert page.evaluate("m => ssjSha256.hex(m)", message) == digest, message
    million = "() => ssjSha256.hex(new Uint8Array(1000000).fill(0x61))"
    assert page.evaluate(million) == MILLION_A


def test_sha256_js_agrees_with_webcrypto_across_every_padding_length(page: Any, base: str) -> None:
    """Every length from 0 to 200 bytes crosses the one- and two-block paddings (55, 56, 64)."""
    page.goto(f"{base}/sha256")

    differing = page.evaluate(
        """async () => {
          const differing = [];
          for (let n = 0; n <= 200; n++) {
            const bytes = new Uint8Array(n).map((_, i) => (i * 131 + n * 7) & 0xff);
            const theirs = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
            const ours = ssjSha256.digest(bytes);
            if (ours.some((b, i) => b !== theirs[i])) differing.push(n);
          }
          return differing;
        }"""
    )
    assert differing == []
    assert page.evaluate("s => ssjSha256.hex(s)", "迁安市|A\n") == draw.sha256_hex("迁安市|A\n")


# ---------------------------------------------------------------------------- the vectors
@pytest.mark.parametrize("how", list(HASHES))
@pytest.mark.parametrize("n", range(len(VECTORS)))
def test_verify_reproduces_every_worked_example(page: Any, base: str, n: int, how: str) -> None:
    expected = VECTORS[n]["expected"]

    result = verify(page, base, f"v{n}", how)

    assert result["seed"] == expected["seed"]
    assert result["populationDigest"] == expected["population_digest"]
    assert result["commitment"] == VECTORS[n]["commitment"]
    assert {g: {k: s[k] for k in ("N", "r", "k")} for g, s in result["strata"].items()} == (
        expected["strata"]
    )
    assert result["drawn"] == expected["drawn"]
    assert result["ok"] is True
    assert all(check["ok"] for check in result["checks"]), result["checks"]
    drawn = [code for ids in expected["drawn"].values() for code in ids]
    assert result["ranks"] == {code: draw.rank(expected["seed"], "targets", code) for code in drawn}


FAILING = {
    "drawn_id": {"drawnOk"},
    "secret": {"commitmentOk", "seedOk", "drawnOk"},
    "beacon": {"seedOk", "drawnOk"},
    "grade": {"digestOk", "strataOk"},  # the moved target ranks above its new stratum's k
    "k": {"strataOk"},
}
"""What each tampering must fail, and only that: every other check still holds."""


@pytest.mark.parametrize("how", list(HASHES))
@pytest.mark.parametrize("tampering", list(FAILING))
def test_a_tampered_input_fails_the_check_it_tampers_with(
    page: Any, base: str, tampering: str, how: str
) -> None:
    result = verify(page, base, f"tampered-{tampering}", how)

    assert result["ok"] is False
    checks = {"ruleOk", "secretOk", "commitmentOk", "seedOk", "digestOk", "strataOk", "drawnOk"}
    assert {c for c in checks if result[c] is False} == FAILING[tampering]


def test_a_changed_drawn_id_is_named_where_it_differs(page: Any, base: str) -> None:
    inputs = PAGES["tampered-drawn_id"]
    result = verify(page, base, "tampered-drawn_id")

    [failed] = [c for c in result["checks"] if not c["ok"]]
    grade = failed["key"].removeprefix("drawn.")
    assert inputs["drawn"][grade][0] in failed["detail"]
    assert result["drawn"][grade] == VECTORS[0]["expected"]["drawn"][grade]
    assert result["strata"][grade]["kOk"] is True


# ---------------------------------------------------------------------------- the rule's pieces
def test_ids_sort_by_code_point_as_python_sorts_them(page: Any, base: str) -> None:
    """UTF-16 order would put U+1F600 before U+E000; Python's sorted puts it after."""
    ids = ["\ue000", "\U0001f600", "Z", "a", "9113", "91130", "\uffff", "\U00010000", "é"]
    page.goto(f"{base}/draw/v0")
    page.wait_for_function("() => window.ssjDraw !== undefined")

    ordered = page.evaluate("ids => [...ids].sort(ssjDraw.compareCodePoints)", ids)

    assert ordered == sorted(ids)


def test_k_is_computed_exactly_where_floats_would_round_up(page: Any, base: str) -> None:
    """0.07 × 100 is 7.000000000000001 in floating point, whose ceiling is 8: the rule says 7."""
    cases = [
        (size, ratio)
        for size in (0, 1, 3, 7, 10, 99, 100, 101, 1000, 123457)
        for ratio in ("0.03", "0.07", "0.1", "0.10", "0.25", "0.333", "1", "1.0", "0.5", "0")
    ]
    page.goto(f"{base}/draw/v0")
    page.wait_for_function("() => window.ssjDraw !== undefined")

    got = page.evaluate("cases => cases.map(([n, r]) => ssjDraw.requiredCount(n, r))", cases)

    assert got == [draw.required_count(size, ratio) for size, ratio in cases]
    assert page.evaluate("() => ssjDraw.requiredCount(10, '1.5')") is None
    assert page.evaluate("() => ssjDraw.requiredCount(10, '3e-2')") is None


# ---------------------------------------------------------------------------- the page's button
def test_the_button_shows_the_verdict_and_every_check(
    page: Any, base: str, screenshot: Screenshot
) -> None:
    page.goto(f"{base}/draw/v1")
    page.click("#rerun-draw")
    page.wait_for_selector("#rerun-result[data-ok]")

    result = page.locator("#rerun-result")
    assert result.get_attribute("data-ok") == "true"
    assert result.locator(".rerun-verdict strong").inner_text() == "一致"
    lines = result.locator(".rerun-checks li").all_inner_texts()
    assert lines and all(line.startswith("✓") for line in lines)
    assert VECTORS[1]["expected"]["seed"] in result.locator(".rerun-seed").inner_text()
    shown = result.locator(".rerun-drawn code").all_inner_texts()
    expected = VECTORS[1]["expected"]["drawn"]
    assert shown == [code for ids in expected.values() for code in ids]
    screenshot(page, "consistent")


def test_the_button_names_what_differs_and_shows_no_markup_from_the_inputs(
    page: Any, base: str, screenshot: Screenshot
) -> None:
    page.goto(f"{base}/draw/tampered-drawn_id")
    page.click("#rerun-draw")
    page.wait_for_selector("#rerun-result[data-ok]")

    result = page.locator("#rerun-result")
    assert result.get_attribute("data-ok") == "false"
    assert result.locator(".rerun-verdict strong").inner_text() == "不一致"
    failed = result.locator(".rerun-checks li.rerun-fail").all_inner_texts()
    assert len(failed) == 1 and failed[0].startswith("✗")
    screenshot(page, "inconsistent")


def test_markup_in_the_inputs_is_shown_as_text(page: Any, serve: Any) -> None:
    inputs = tampered(VECTORS[0], "drawn_id")
    grade = next(g for g, ids in inputs["drawn"].items() if ids)
    inputs["drawn"][grade][0] = '<img src=x id="injected"></script><b id="bold">x</b>'
    base = serve(pages_app({"markup": inputs}))
    page.goto(f"{base}/draw/markup")
    page.click("#rerun-draw")
    page.wait_for_selector("#rerun-result[data-ok]")

    assert page.locator("#injected").count() == 0
    assert page.locator("#bold").count() == 0
    assert '<b id="bold">' in page.locator("#rerun-result").inner_text()


# ---------------------------------------------------------------------------- without WebCrypto
def test_on_plain_http_without_a_secure_context_the_fallback_is_loaded_and_agrees(
    playwright: Any,
) -> None:
    """Served as http://draw.test (not localhost) the page is no secure context: no
    crypto.subtle. draw.js loads sha256.js from beside itself and re-runs the draw all the same."""
    insecure = launch(playwright, "--host-resolver-rules=MAP draw.test 127.0.0.1")
    try:
        with serving(pages_app(PAGES)) as url:
            page = insecure.new_page()
            page.goto(url.replace("127.0.0.1", "draw.test") + "/draw/v0")
            page.wait_for_function("() => window.ssjDraw !== undefined")
            assert page.evaluate("() => [window.isSecureContext, !!window.crypto.subtle]") == [
                False,
                False,
            ]

            result = page.evaluate(VERIFY, [{}])

            assert result["hash"] == "sha256.js"
            assert result["ok"] is True
            assert result["drawn"] == VECTORS[0]["expected"]["drawn"]
    finally:
        insecure.close()


# ---------------------------------------------------------------------------- what the service publishes
def test_draw_js_re_runs_the_draws_the_service_publishes(page: Any, serve: Any) -> None:
    """Queries.draw_inputs, as the public page embeds it, re-runs to the recorded draw in the
    browser: the joint task's draw by ratio, and the kindergartens' directed one (all of them)."""
    service = bootstrap(load_settings(), memory=True)
    try:
        joint = JointInspection(service).drawn()
        service.read_models.catch_up()
        published = {
            str(task_id): service.queries.draw_inputs(PUBLIC, task_id)
            for task_id in (joint.task_id, joint.other_task_id)
        }
    finally:
        service.close()
    base = serve(pages_app(published))

    for name, inputs in published.items():
        for how in HASHES:
            result = verify(page, base, name, how)

            assert result["ok"] is True, [c for c in result["checks"] if not c["ok"]]
            assert result["drawn"] == inputs["drawn"]
            assert result["seed"] == inputs["seed"]
    directed = published[str(joint.other_task_id)]
    assert sorted(c for ids in directed["drawn"].values() for c in ids) == sorted(
        code for code, _ in directed["population"]
    )
