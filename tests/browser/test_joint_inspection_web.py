"""The demo's joint inspection through the web, in Debian's chromium: education leads, police and
fire cooperate, the office oversees, the auditor verifies, and the public reads the 公示 and
re-runs the draw in its own browser.

The service is the embedded default on a SQLite file, on a clock that stands still on working days
of 2026 and is moved between steps, so every deadline and countdown reads the same whatever day
the test runs. The directories and the plan are registered through the services as `ssj demo`
does (importing a directory is no step of the joint inspection); from then on every step is a
page opened and a form sent by the person whose step it is, each signed in in a browser of their
own at a phone's width (390 px), and a screenshot of every page visited.

One step has no page: the office's check of the deadlines (`ssj deadlines`, or the API's
POST /api/v1/tasks/{id}/deadline-check). The office's browser sends it to the API with its own
session and CSRF token, as a script of that page would.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.accounts.hashing import Argon2PasswordHasher
from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.cli.demo import DIRECTORY
from adapters.cli.demo_data import ITEMS, inspectors, institutions
from adapters.clock import ManualClock
from adapters.http.app import create_app
from domain import draw
from domain.task_definition import TaskDefinition
from domain.values import CHINA, Scope
from services.accounts import AccountKind, Accounts
from services.actors import Actor
from tests.browser.conftest import Screenshot, Serve

PASSWORD = "joint-inspection-2026"
ACCOUNTS = {
    "jiaoyu": (AccountKind.DEPARTMENT, "education", "教育局 王老师"),
    "gongan": (AccountKind.DEPARTMENT, "police", "公安局 李警官"),
    "xiaofang": (AccountKind.DEPARTMENT, "fire", "消防救援大队 张队长"),
    "bangongshi": (AccountKind.OFFICE, None, "双随机办 郭玲玲"),
    "shenji": (AccountKind.AUDITOR, None, "审计 裴子郡"),
}
TASK_NAME = "2026年迁安市校外培训机构跨部门联合抽查"
BEACON_SOURCE = "2026-11-03 09:30 抽取现场，由市双随机办见证人当场报出的 6 位数字"
BEACON = "见证人报数 730518"
PREFIXES = {"education": "JY", "police": "GA", "fire": "XF"}
EDUCATION, POLICE = Actor.lead("education"), Actor.cooperating("police")
OFFICE = Actor.office()

SLIP = "教材未备案"
CORRECTION = "复核发现教材已于 10 月备案，原录入有误"
PROBLEM = "2 名教师无教师资格证"
FIRE_PROBLEM = "疏散通道堆放杂物，灭火器过期"
TRANSFERRED_TO = "迁安市市场监管局"
OUTCOME = "已辞退无证人员并补充持证教师，复查合格"
INBOX_POLL_SECONDS = 5
"""dept/inbox.html polls every 5 s; the test waits up to two polls for the dispatch."""


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA)


# ---------------------------------------------------------------------------- the world
def prepare(service: Service, clock: ManualClock) -> UUID:
    """The directories and the plan, as `ssj demo` registers them (adapters/cli/demo.py), in
    2026: 300 institutions, eight inspectors in each department (GA002 on leave, the eighth's
    certificate lapsed), the plan of 2026-10-30 with its one joint task for November."""
    clock.set(at("2026-10-30", "17:00"))
    directories = service.directories
    directory_id = directories.open_target_directory(EDUCATION, DIRECTORY, at=at("2026-10-19"))
    directories.register_targets(
        EDUCATION, directory_id, institutions(), at=at("2026-10-19", "10:00")
    )
    for department, prefix in PREFIXES.items():
        actor = EDUCATION if department == "education" else Actor.cooperating(department)
        directories.open_inspector_directory(actor, at=at("2026-10-19"))
        directories.register_inspectors(
            actor, inspectors(department, prefix), at=at("2026-10-19", "11:00")
        )
    directories.take_leave(POLICE, "GA002", at=at("2026-10-26"))
    definition = TaskDefinition(
        name=TASK_NAME,
        lead="education",
        cooperating=("police", "fire"),
        items=ITEMS,
        directory_id=directory_id,
        scope=Scope(category="校外培训机构"),
        ratios=dict.fromkeys("ABCD", "0.03"),
        directed=False,
        window_start=date(2026, 11, 3),
        window_end=date(2026, 11, 30),
    )
    plan = service.tasks.register_plan(
        EDUCATION,
        2026,
        "2026年度跨部门“双随机”联合抽查工作计划",
        [definition],
        at=at("2026-10-30"),
        document="迁双随机办〔2026〕30号",
    )
    service.settle()
    return plan.task_ids[0]


def with_accounts(service: Service, clock: ManualClock) -> None:
    """An account for each of `ACCOUNTS`, hashed at argon2's test strength (the accounts' own
    tests measure the real cost; here only signing in through the page matters)."""
    cheap = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    service.__dict__["accounts"] = Accounts(service.account_store, cheap)
    for username, (kind, department, name) in ACCOUNTS.items():
        service.accounts.add_user(
            username, PASSWORD, kind, department=department, display_name=name, at=clock.now()
        )


def secrets_of_inspectors() -> list[str]:
    """What no public page may ever show: every inspector's id, name and phone."""
    found: list[str] = []
    for department, prefix in PREFIXES.items():
        for inspector in inspectors(department, prefix):
            found += [inspector.inspector_id, inspector.name, inspector.phone]
    return found


def expected_strata() -> dict[str, tuple[int, str, int]]:
    """Each risk grade's N (the active institutions in scope), r and k = ceil(r × N)."""
    sizes = Counter(t.risk_grade.value for t in institutions() if t.active)
    return {g: (sizes[g], "0.03", draw.required_count(sizes[g], "0.03")) for g in "ABCD"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(at("2026-10-19", "08:00"))


@pytest.fixture
def service(tmp_path: Path, clock: ManualClock) -> Iterator[Service]:
    service = bootstrap(load_settings(db=tmp_path / "ssj.db"), clock=clock)
    with_accounts(service, clock)
    yield service
    service.close()


# ---------------------------------------------------------------------------- a person at a browser
class Shots:
    """Numbers every screenshot of the run in the order taken: `NNN-role-what`."""

    def __init__(self, screenshot: Screenshot) -> None:
        self.screenshot = screenshot
        self.taken: dict[str, Path] = {}

    def take(self, page: Any, role: str, what: str) -> Path:
        name = f"{len(self.taken) + 1:03d}-{role}-{what}"
        path = self.screenshot(page, name)
        self.taken[name] = path
        return path


class Desk:
    """One person in a browser of their own (own cookies), at a phone's width."""

    def __init__(self, browser: Any, base: str, shots: Shots, role: str) -> None:
        self.base, self.shots, self.role = base, shots, role
        self.context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)

    def open(self, path: str, what: str | None) -> Any:
        """Go to a page and shoot it as `what` (None: a page shot once its form is sent)."""
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        if what is not None:
            self.shot(what)
        return self.page

    def shot(self, what: str) -> Path:
        return self.shots.take(self.page, self.role, what)

    def text(self, selector: str = "main") -> str:
        return " ".join(self.page.locator(selector).inner_text().split())

    def sign_in(self, username: str) -> None:
        self.open("/signin", "signin")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("#signin-submit")
        shown = self.page.locator("[data-testid=signed-in-as]").inner_text()
        assert ACCOUNTS[username][2].split()[-1] in shown, shown

    def sign_out(self) -> None:
        with self.page.expect_navigation():
            self.page.click("#signout")
        assert self.page.url.endswith("/signin")
        assert self.page.locator("#signin-form").is_visible()
        self.shot("signed-out")

    def send(
        self,
        button: str,
        done: str,
        what: str | None,
        fill: dict[str, str] | None = None,
        select: dict[str, str] | None = None,
    ) -> None:
        """Type into the page's fields, press the button, and read what the page then says
        was done (a refusal fails the test with its Chinese reason)."""
        for selector, value in (fill or {}).items():
            self.page.fill(selector, value)
        for selector, value in (select or {}).items():
            self.page.select_option(selector, value)
        with self.page.expect_navigation():
            self.page.click(button)
        refusal = self.page.locator("[data-testid=refusal]")
        assert refusal.count() == 0, f"{button}: {refusal.inner_text()}"
        assert self.page.locator("[data-testid=done]").inner_text() == done
        if what is not None:
            self.shot(what)

    def close(self) -> None:
        self.context.close()


# ---------------------------------------------------------------------------- the flow
class Flow:
    """The joint inspection step by step, each step by the person whose step it is."""

    def __init__(
        self, service: Service, clock: ManualClock, task_id: UUID, desk: Callable[[str], Desk]
    ) -> None:
        self.service, self.clock, self.task_id = service, clock, task_id
        self.task_path = f"/dept/tasks/{task_id}"
        self.education: Desk = desk("education")
        self.police: Desk = desk("police")
        self.fire: Desk = desk("fire")
        self.office: Desk = desk("office")
        self.auditor: Desk = desk("auditor")
        self.public: Desk = desk("public")
        self.targets: list[str] = []
        self.secret = ""
        self.pages_before_draw: list[str] = []

    def now(self, day: str, clock: str = "09:00") -> None:
        self.clock.set(at(day, clock))

    def task(self) -> Any:
        return self.service.tasks.task(OFFICE, self.task_id)

    # ------------------------------------------------------------------ education commits and draws
    def commit_and_draw(self) -> None:
        edu, police = self.education, self.police
        self.now("2026-11-02", "15:30")
        edu.sign_in("jiaoyu")
        assert edu.page.url.endswith("/dept")
        edu.shot("inbox")
        item = edu.page.locator(f"[data-testid=inbox-item][data-task-id='{self.task_id}']")
        assert TASK_NAME in item.inner_text()
        assert "尚需办理：提交随机种子承诺" in " ".join(item.inner_text().split())

        edu.open(self.task_path, "task-planned")
        assert edu.text("[data-testid=task-stage]") == "已计划"
        with edu.page.expect_navigation():
            edu.page.click("#population-link")
        edu.shot("population")
        strata = expected_strata()
        total_n = sum(n for n, _, _ in strata.values())
        total_k = sum(k for _, _, k in strata.values())
        assert edu.text("[data-testid=population-total]") == (
            f"{total_n} 个在营对象，按比例至少抽取 {total_k} 个"
        )
        assert self.strata_on(edu, "[data-testid=population-strata]") == strata

        self.now("2026-11-02", "16:00")
        edu.open(self.task_path, "task-before-commit")
        edu.send(
            "#commit",
            "已固定抽取总体并提交随机种子承诺，密钥由服务器保管至抽取时公开",
            "committed",
            fill={"#beacon-source": BEACON_SOURCE},
        )
        commitment = edu.text("[data-testid=commitment]")
        assert re.fullmatch(r"[0-9a-f]{64}", commitment)
        self.pages_before_draw.append(edu.page.content())
        assert edu.page.locator("#draw-form").is_visible()

        # Police open their desk before the draw: nothing waits for them yet.
        self.now("2026-11-02", "16:30")
        police.sign_in("gongan")
        police.shot("inbox-empty")
        assert police.page.locator("[data-testid=inbox-empty]").is_visible()
        self.pages_before_draw.append(police.page.content())
        police.page.evaluate("() => { window.notReloaded = true; }")

        self.now("2026-11-03", "09:30")
        edu.open(self.task_path, "task-before-draw")
        edu.send("#draw", "已随机抽取检查对象，并派发配合部门", "drawn", fill={"#beacon": BEACON})
        drawn = self.task().target_draw
        assert drawn is not None
        self.targets = [code for ids in drawn.drawn.values() for code in ids]
        assert edu.text("[data-testid=seed]") == drawn.seed
        self.secret = drawn.secret
        assert draw.commitment_of(self.secret) == commitment
        for html in self.pages_before_draw:  # the server kept the secret until the draw
            assert self.secret not in html

        with edu.page.expect_navigation():
            edu.page.click("#draw-proof-link")
        edu.shot("draw-proof")
        proof = edu.text("[data-testid=draw-proof]")
        assert drawn.seed in proof and drawn.secret in proof and BEACON in proof
        assert drawn.commitment in proof and drawn.population_digest in proof
        assert self.strata_on(edu, "[data-testid=strata]") == expected_strata()
        ranks = edu.page.locator("ol.ranks li").all_inner_texts()
        assert [line.split() for line in ranks] == [
            [code, draw.rank(drawn.seed, "targets", code)] for code in self.targets
        ]

        # The dispatch arrives in the police's open inbox by its poll, without a reload.
        item = police.page.locator(f"[data-testid=inbox-item][data-task-id='{self.task_id}']")
        item.wait_for(timeout=(2 * INBOX_POLL_SECONDS + 2) * 1000)
        assert police.page.evaluate("() => window.notReloaded === true")
        police.shot("inbox-dispatch-arrived")
        deadline = item.locator("[data-testid=deadline]").first
        assert " ".join(deadline.inner_text().split()) == (
            "确认派发任务（两个工作日内） 剩余 2 个工作日（2026-11-05 前）"
        )
        assert deadline.get_attribute("data-overdue") is None
        assert "确认派发任务（2026-11-05 前）" in item.inner_text()

    def strata_on(self, desk: Desk, table: str) -> dict[str, tuple[int, str, int]]:
        rows = desk.page.locator(f"{table} tbody tr").all()
        found = {}
        for row in rows:
            grade, n, r, k = (c.strip() for c in row.locator("td").all_inner_texts())
            found[grade[0]] = (int(n), r, int(k))
        return found

    # ------------------------------------------------------------------ police and fire answer
    def confirm_on_time_and_late(self) -> None:
        police, fire, office = self.police, self.fire, self.office
        self.now("2026-11-04", "10:15")
        police.open(self.task_path, "task-dispatched")
        deadlines = police.page.locator("[data-testid=deadline]").all_inner_texts()
        assert "剩余 1 个工作日（2026-11-05 前）" in deadlines[0]
        police.send("#confirm", "已确认派发任务", "confirmed")
        assert police.text("[data-testid=answer]") == "本部门已于 2026-11-04 10:15 确认"

        self.now("2026-11-04", "11:00")
        fire.sign_in("xiaofang")
        fire.shot("inbox")
        row = fire.page.locator(f"[data-testid=inbox-item][data-task-id='{self.task_id}']")
        assert "剩余 1 个工作日（2026-11-05 前）" in row.inner_text()

        # Fire lets Thursday pass; on Friday morning its inbox says so, and the office checks.
        self.now("2026-11-06", "08:30")
        fire.open("/dept", "inbox-overdue")
        late = row.locator("[data-testid=deadline]").first
        assert late.get_attribute("data-overdue") == "true"
        assert "overdue" in (late.get_attribute("class") or "")
        assert " ".join(late.inner_text().split()) == (
            "确认派发任务（两个工作日内） 逾期 已逾期 1 个工作日（期限 2026-11-05）"
        )

        office.sign_in("bangongshi")
        assert office.page.url.endswith("/office")
        office.shot("home-before-check")
        assert "没有逾期事项" in office.text("section[aria-labelledby=overdue-title]")
        self.check_deadlines()
        office.open("/office", "home-fire-overdue")
        overdue = office.page.locator("[data-testid=overdue] tbody tr")
        assert overdue.count() == 1
        cells = [" ".join(c.split()) for c in overdue.locator("td").all_inner_texts()]
        assert cells == [TASK_NAME, "消防救援大队", "逾期 确认派发任务", "2026-11-05", "仍未确认"]
        escalations = office.page.locator("[data-testid=escalations] li").all_inner_texts()
        assert len(escalations) == 1
        assert "消防救援大队" in escalations[0] and "期限 2026-11-05" in escalations[0]
        flag = office.page.locator(f"[data-testid=office-tasks] tr[data-task-id='{self.task_id}']")
        assert "逾期 1 项" in flag.inner_text()

        self.now("2026-11-06", "10:00")
        fire.open(self.task_path, "task-overdue")
        assert "，已逾期" in fire.text("[data-testid=owes]")
        fire.send("#confirm", "已确认派发任务", "confirmed-late")
        assert fire.text("[data-testid=answer]") == "本部门已于 2026-11-06 10:00 确认（逾期确认）"
        office.open("/office", "home-fire-confirmed-late")
        cells = office.page.locator("[data-testid=overdue] tbody tr td").all_inner_texts()
        assert cells[-1] == "已补确认"

    def check_deadlines(self) -> None:
        """The office's deadline check, which no page offers: sent to the API from the office's
        own page, with its session cookie and CSRF token (as ssj deadlines would record it)."""
        answer = self.office.page.evaluate(
            """async (path) => {
              const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"];
              const sent = await fetch(path, {method: "POST", body: "{}",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": token}});
              return {status: sent.status, body: await sent.json()};
            }""",
            f"/api/v1/tasks/{self.task_id}/deadline-check",
        )
        assert answer == {"status": 200, "body": {"count": 1}}, answer

    # ------------------------------------------------------------------ inspectors, groups, filings
    def draw_inspectors_match_and_file(self) -> None:
        for n, (desk, department) in enumerate(
            ((self.education, "education"), (self.police, "police"), (self.fire, "fire"))
        ):
            self.now("2026-11-06", f"14:{n}0")
            desk.open(self.task_path, "task-confirmed")
            desk.send("#draw-inspectors", "已随机抽取本部门执法检查人员", "inspectors-drawn")
            groups = desk.page.locator("[data-testid=own-groups] li").all_inner_texts()
            drawn = self.task().inspector_draws[department].groups
            assert groups == [f"第 {g + 1} 组：{'、'.join(ids)}" for g, ids in enumerate(drawn)]
            members = [i for ids in drawn for i in ids]
            prefix = PREFIXES[department]
            assert all(i.startswith(prefix) for i in members)
            assert f"{prefix}008" not in members  # certificate lapsed
            assert department != "police" or "GA002" not in members  # on leave

        edu = self.education
        self.now("2026-11-09", "09:00")
        edu.open(self.task_path, "task-ready-to-match")
        edu.send("#match-groups", "已随机匹配检查组，生成一企一表", "matched")
        rows = edu.page.locator("[data-testid=sheets] tbody tr")
        assert sorted(r.get_attribute("data-target") for r in rows.all()) == sorted(self.targets)
        groups = self.task().group_count()

        self.now("2026-11-09", "15:00")
        for desk in (self.education, self.police, self.fire):
            desk.open(self.task_path, "task-matched")
            vehicles = {
                f"#vehicle-{g + 1}": f"冀B·{desk.role[:2].upper()}{g + 1:03d}"
                for g in range(groups)
            }
            desk.send("#file-grouping", "已报备人员分组及车辆安排", "grouping-filed", fill=vehicles)
            assert "已于 2026-11-09 15:00 报备" in desk.text("[data-testid=filed]")

    # ------------------------------------------------------------------ notices, visits, results
    def fieldwork_and_results(self) -> None:
        """Each target in turn on 11-10: education serves the notice, the joint group visits and
        education records its result on the spot; police and fire record theirs that evening.
        Every target's sheet is shot once it is done; the first one at every step too."""
        edu = self.education
        for n, target in enumerate(self.targets):
            first, sheet = n == 0, f"{self.task_path}/targets/{target}"
            self.clock.set(at("2026-11-10", "09:00") + timedelta(minutes=40 * n))
            edu.open(sheet, "sheet-1" if first else None)
            edu.send(
                "#serve-notice",
                "已登记送达告知书",
                "sheet-1-noticed" if first else None,
                fill={"#recipient": "法定代表人"},
            )
            assert "受送达人 法定代表人（教育局登记）" in edu.text("[data-testid=notice]")
            self.clock.set(self.clock.now() + timedelta(minutes=10))
            edu.send(
                "#record-visit",
                "已登记实地检查",
                "sheet-1-visited" if first else None,
                fill={"#on-site-reason": "从业人员资质须当面核验证件原件"},
            )
            assert edu.text("[data-testid=visit]") == "2026-11-10 实地检查，被检查对象已签字确认"
            self.clock.set(self.clock.now() + timedelta(minutes=10))
            self.record_result(edu, "education", n)

        self.now("2026-11-10", "17:00")
        for desk, department in ((self.police, "police"), (self.fire, "fire")):
            desk.open(self.task_path, "task-visited")
            owes = desk.text("[data-testid=owes]")
            assert all(f"录入 {t} 的检查结果" in owes for t in self.targets)
            for n, target in enumerate(self.targets):
                desk.open(f"{self.task_path}/targets/{target}", "sheet-1" if n == 0 else None)
                self.record_result(desk, department, n)

        # Education typed a slip on the first target: corrected, with the reason, the original kept.
        self.now("2026-11-12", "11:00")
        edu.open(f"{self.task_path}/targets/{self.targets[0]}", "sheet-to-correct")
        edu.send(
            "#correct-result",
            "已更正检查结果，原记录保留",
            "corrected",
            fill={"#finding-JY-2": "符合要求", "#correction-reason": CORRECTION},
            select={"#category": "未发现问题"},
        )
        assert edu.text("[data-testid=result]") == (
            f"结果类别：未发现问题（2026-11-12，已更正：{CORRECTION}）"
        )

    def record_result(self, desk: Desk, department: str, n: int) -> None:
        """The department's findings on each of its own check items of the n-th target's sheet."""
        items = desk.page.locator("[data-testid=items] tbody tr td.code").all_inner_texts()
        assert items == [item.code for item in ITEMS[department]]  # its own items only
        category, findings = self.result_of(department, n)
        desk.send(
            "#record-result",
            "已录入检查结果",
            f"sheet-{n + 1}-result",
            fill={f"#finding-{code}": text for code, text in findings.items()},
            select={"#category": category},
        )
        assert desk.text("[data-testid=result]").startswith(f"结果类别：{category}")
        shown = desk.page.locator("[data-testid=items] tbody tr td:last-child").all_inner_texts()
        assert shown == list(findings.values())  # each item's finding, as typed

    def result_of(self, department: str, n: int) -> tuple[str, dict[str, str]]:
        """What a department finds at the n-th target: education slips on the first (corrected
        below) and finds unqualified teachers at the second, fire a blocked exit at the third."""
        findings = {item.code: "符合要求" for item in ITEMS[department]}
        if department == "education" and n == 0:
            findings["JY-2"] = SLIP
            return "发现问题待后续处理", findings
        if department == "education" and n == 1:
            findings["JY-1"] = PROBLEM
            return "发现问题待后续处理", findings
        if department == "fire" and n == 2:
            findings["XF-1"] = FIRE_PROBLEM
            return "发现问题已责令改正", findings
        return "未发现问题", findings

    # ------------------------------------------------------------------ publish, follow up, close
    def publish_follow_up_and_close(self) -> None:
        edu, fire = self.education, self.fire
        self.now("2026-11-12", "15:00")
        edu.open(self.task_path, "task-ready-to-publish")
        assert "公示检查结果" in edu.text("[data-testid=owes]")
        edu.send("#publish", "已公示检查结果", "published")
        assert edu.text("[data-testid=published]").startswith("已于 2026-11-12 15:00 公示")

        self.now("2026-11-12", "16:00")
        edu.send(
            "#open-follow-up",
            "已开启后续处置，处置措施与整改期限已记录",
            "follow-up-opened",
            fill={"#follow-up-problem": PROBLEM, "#follow-up-due": "2026-12-18"},
            select={"#follow-up-target": self.targets[1]},
        )
        fire.open(self.task_path, "task-published")
        assert fire.page.locator("#follow-up-target option").all_inner_texts() == [self.targets[2]]
        fire.send(
            "#open-follow-up",
            "已开启后续处置，处置措施与整改期限已记录",
            "follow-up-opened",
            fill={"#follow-up-problem": FIRE_PROBLEM, "#follow-up-due": "2026-12-01"},
        )
        opened = fire.text("[data-testid=follow-up]")
        assert f"#2 {self.targets[2]}" in opened and "责令改正；期限 2026-12-01" in opened

        self.now("2026-11-20", "10:00")
        fire.open(self.task_path, "task-following-up")
        fire.send(
            "#transfer-2",
            "已移送（抄告）处理",
            "follow-up-transferred",
            fill={"#to-2": TRANSFERRED_TO, "#transfer-reason-2": "涉及无照经营线索，抄告"},
        )
        assert f"移送 {TRANSFERRED_TO}（涉及无照经营线索，抄告）" in fire.text(
            "[data-testid=follow-up]"
        )

        self.now("2026-12-10", "10:00")
        edu.open(self.task_path, "task-following-up")
        assert "后续处置 #1 整改期限 剩余" in edu.text("ul.deadlines")
        edu.send(
            "#close-follow-up-1",
            "后续处置已办结",
            "follow-up-closed",
            fill={"#outcome-1": OUTCOME},
        )
        assert OUTCOME in edu.text("[data-testid=follow-up]")
        edu.open("/dept", "home-ledger")
        ledger = edu.text("[data-testid=ledger]")
        assert PROBLEM in ledger and OUTCOME in ledger and FIRE_PROBLEM not in ledger

        self.now("2026-12-18", "17:00")
        edu.open(self.task_path, "task-ready-to-close")
        assert edu.text("[data-testid=owes]") == "结案"
        edu.send("#close-task", "已结案", "closed")
        assert edu.text("[data-testid=task-stage]") == "已结案"
        assert edu.page.locator("form[action$='/close']").count() == 0

    # ------------------------------------------------------------------ the office
    def office_oversees(self) -> None:
        office = self.office
        office.open("/office", "home-closed")
        row = office.page.locator(f"[data-testid=office-tasks] tr[data-task-id='{self.task_id}']")
        cells = [" ".join(c.split()) for c in row.locator("td").all_inner_texts()]
        assert cells == [
            TASK_NAME,
            "教育局",
            "公安局（已确认）、消防救援大队（已确认）",
            "已结案",
            "2026-11-30",
            "逾期 1 项",
        ]
        escalation = office.text("[data-testid=escalations]")
        assert "消防救援大队" in escalation and "期限 2026-11-05" in escalation
        ledger = office.text("[data-testid=ledger]")
        assert PROBLEM in ledger and FIRE_PROBLEM in ledger and TRANSFERRED_TO in ledger

        with office.page.expect_navigation():
            office.page.click(f"[data-testid=office-tasks] a[href='/office/tasks/{self.task_id}']")
        office.shot("task")
        assert "已结案" in office.text("[data-testid=task-stage]")
        assert office.page.locator("[data-testid=filing]").count() == 3

        with office.page.expect_navigation():
            office.page.click("a[href='/office']")
        with office.page.expect_navigation():
            office.page.click("#filings-link")
        office.shot("filings")
        filings = office.page.locator("[data-testid=filing]")
        assert sorted(f.get_attribute("data-department") for f in filings.all()) == [
            "education",
            "fire",
            "police",
        ]
        task = self.task()
        for department, filing in task.filings.items():
            shown = office.text(f"[data-testid=filing][data-department={department}]")
            assert all(m["inspector"] in shown and m["phone"] in shown for m in filing.members)

        office.open("/office", "home")
        with office.page.expect_navigation():
            office.page.click("#statistics-link")
        office.shot("statistics")
        assert office.text("h1") == "2026 年计划统计"
        completion = office.text("[data-testid=completion]")
        assert "已结案 1 / 1 项（100%）" in completion
        charts = office.page.locator("[data-testid=chart]")
        assert charts.count() >= 1
        assert office.page.locator("[data-testid=chart] svg rect").count() >= 3
        table = office.text("[data-testid=statistics]")
        assert "教育局" in table and "公安局" in table and "消防救援大队" in table

    # ------------------------------------------------------------------ the auditor
    def auditor_verifies(self) -> None:
        auditor = self.auditor
        auditor.sign_in("shenji")
        assert auditor.page.url.endswith("/audit")
        auditor.shot("home")
        with auditor.page.expect_navigation():
            auditor.page.click(f"[data-testid=audit-tasks] a[href='/audit/tasks/{self.task_id}']")
        auditor.shot("timeline")
        timeline = auditor.page.locator("[data-testid=timeline] li")
        history = self.service.queries.history(Actor.auditor(), self.task_id)
        assert timeline.count() == len(history)
        lines = timeline.all_inner_texts()
        drawn_at = next(n for n, line in enumerate(lines) if "随机抽取检查对象" in line)
        assert "2026-11-03 09:30" in lines[drawn_at]
        assert any("逾期" in line and "消防救援大队" in line for line in lines)

        # The state as of the draw: drawn, dispatched, nobody has answered yet.
        version = int(str(timeline.nth(drawn_at).get_attribute("id")).removeprefix("event-"))
        with auditor.page.expect_navigation():
            auditor.page.click(f"[data-testid=as-of-{version}]")
        auditor.shot("state-as-of-draw")
        state = auditor.page.locator("[data-testid=state]")
        assert state.get_attribute("data-version") == str(version)
        facts = " ".join(state.inner_text().split())
        assert f"已抽取 {len(self.targets)} 个" in facts
        assert "答复 无" in facts and "公示 未公示" in facts and "结案 未结案" in facts
        assert auditor.page.locator("[data-testid=timeline] li.after").count() == (
            len(history) - version
        )

        auditor.open("/audit", "home")
        with auditor.page.expect_navigation():
            auditor.page.click("#verify-link")
        auditor.shot("verify")
        log = auditor.page.locator("[data-testid=log-report]")
        verification = auditor.page.locator("[data-testid=verification]")
        assert log.get_attribute("data-ok") == "true"
        assert verification.get_attribute("data-ok") == "true"
        assert "全部与重算结果一致 ✓" in verification.inner_text()
        assert "1 次对象抽取、3 次人员抽取、1 次匹配" in verification.inner_text()
        assert auditor.page.locator(".findings").count() == 0

    # ------------------------------------------------------------------ the public
    def public_reads_and_re_runs(self) -> None:
        public, hidden = self.public, secrets_of_inspectors()
        pages: list[str] = []

        def seen(what: str) -> None:
            public.shot(what)
            pages.append(public.page.content())
            pages.append(public.page.locator("body").inner_text())

        public.page.goto(public.base + "/")
        assert public.page.url.endswith("/public")
        assert public.page.locator("#signin-link").is_visible()
        seen("home")
        with public.page.expect_navigation():
            public.page.click(f"[data-testid=public-tasks] a[href='/public/tasks/{self.task_id}']")
        seen("task-publication")
        rows = public.page.locator("[data-testid=publication] tbody tr")
        assert sorted(r.get_attribute("data-credit-code") for r in rows.all()) == sorted(
            self.targets
        )
        headers = public.page.locator("[data-testid=publication] thead th").all_inner_texts()
        assert headers == ["检查对象", "统一社会信用代码", "教育局", "公安局", "消防救援大队"]
        first = public.page.locator(f"tr[data-credit-code='{self.targets[0]}'] td")
        assert first.all_inner_texts()[2:] == ["未发现问题"] * 3  # as corrected
        fire_problem = public.page.locator(f"tr[data-credit-code='{self.targets[2]}'] td")
        assert fire_problem.all_inner_texts()[4] == "发现问题已责令改正"
        assert SLIP not in public.page.content()  # findings stay inside the departments

        with public.page.expect_navigation():
            public.page.click(".crumbs a[href='/public']")
        code = self.targets[1]
        public.page.fill("#q", code)
        with public.page.expect_navigation():
            public.page.click("#search")
        seen("search-by-code")
        entries = public.page.locator("[data-testid=entry]")
        assert [e.get_attribute("data-credit-code") for e in entries.all()] == [code]
        name = entries.first.locator("h3").inner_text()
        assert name.startswith("迁安市")

        fragment = name.removeprefix("迁安市")[:6]
        public.page.fill("#q", fragment)
        with public.page.expect_navigation():
            public.page.click("#search")
        seen("search-by-name")
        found = [e.get_attribute("data-credit-code") for e in entries.all()]
        assert code in found
        assert all(fragment in e.locator("h3").inner_text() for e in entries.all())

        with public.page.expect_navigation():
            public.page.click(f"[data-testid=entry][data-credit-code='{code}'] h3 a")
        seen("enterprise")
        assert public.text("[data-testid=credit-code]") == code
        results = " ".join(
            public.page.locator("[data-testid=entry] dl.results").inner_text().split()
        )
        assert results == "教育局 发现问题待后续处理 公安局 未发现问题 消防救援大队 未发现问题"
        assert TASK_NAME in public.text("[data-testid=entry]")

        public.open(f"/public/tasks/{self.task_id}", "task-publication-again")
        pages.append(public.page.content())
        with public.page.expect_navigation():
            public.page.click("#draw-link")
        seen("draw")
        drawn = self.task().target_draw
        assert drawn is not None
        assert public.text("[data-testid=seed]") == drawn.seed
        assert self.strata_on(public, "[data-testid=strata]") == expected_strata()
        assert public.page.evaluate("() => window.isSecureContext") is True
        public.page.click("#rerun-draw")
        result = public.page.locator("#rerun-result[data-ok]")
        result.wait_for()
        seen("draw-re-run")
        assert result.get_attribute("data-ok") == "true"
        assert result.locator(".rerun-verdict strong").inner_text() == "一致"
        assert result.locator(".rerun-hash").inner_text() == "哈希计算：浏览器 WebCrypto"
        checks = result.locator(".rerun-checks li").all_inner_texts()
        assert checks and all(line.startswith("✓") for line in checks)
        assert drawn.seed in result.locator(".rerun-seed").inner_text()
        assert sorted(result.locator(".rerun-drawn code").all_inner_texts()) == sorted(self.targets)

        for text in pages:
            leaked = [value for value in hidden if value in text]
            assert not leaked, f"a public page shows inspectors' {leaked}"

    # ------------------------------------------------------------------ signing out
    def everyone_signs_out(self) -> None:
        for desk in (self.education, self.police, self.fire, self.office, self.auditor):
            desk.page.goto(desk.base + "/")
            desk.sign_out()
            desk.page.goto(desk.base + self.task_path)
            assert "/signin?next=" in desk.page.url


# ---------------------------------------------------------------------------- the test
def test_the_joint_inspection_through_the_web(
    browser: Any, serve: Serve, screenshot: Screenshot, service: Service, clock: ManualClock
) -> None:
    task_id = prepare(service, clock)
    base = serve(create_app(service))
    shots = Shots(screenshot)
    desks: list[Desk] = []

    def desk(role: str) -> Desk:
        made = Desk(browser, base, shots, role)
        desks.append(made)
        return made

    try:
        flow = Flow(service, clock, task_id, desk)
        flow.commit_and_draw()
        flow.confirm_on_time_and_late()
        flow.draw_inspectors_match_and_file()
        flow.fieldwork_and_results()
        flow.publish_follow_up_and_close()
        flow.office_oversees()
        flow.auditor_verifies()
        flow.public_reads_and_re_runs()
        flow.everyone_signs_out()
    finally:
        for made in desks:
            made.close()
