"""迁安市's 2023 joint inspection, end to end over /api/v1 only: education, police and fire drive it
with their systems' API keys, fire's staff and the office through signed-in sessions, a police
inspector records his group's results himself, the public reads the register and re-runs the
draw, and the auditor verifies the whole log."""

from __future__ import annotations

from typing import Any

import httpx

from domain import draw
from domain.directories import TargetDirectory
from tests.http.conftest import World
from tests.services.conftest import (
    BEACON,
    BEACON_SOURCE,
    DIRECTORY,
    ITEMS,
    PREFIX,
    RATIOS,
    inspectors,
    institutions,
)

TASK = "2023年迁安市校外培训机构跨部门联合抽查"
PROBLEMS = {
    "fire": ("发现问题已责令改正", "疏散通道堆放杂物"),
    "education": ("发现问题待后续处理", "2 名教师无教师资格证"),
    "police": ("发现问题待后续处理", "未建立内部治安保卫制度"),
}


def at(day: str, clock: str = "09:00") -> str:
    return f"{day}T{clock}:00+08:00"


def target_rows() -> list[dict[str, Any]]:
    return [
        {
            "credit_code": t.credit_code,
            "name": t.name,
            "category": t.category,
            "region": t.region,
            "risk_grade": t.risk_grade.value,
            "tags": sorted(t.tags),
            "active": t.active,
        }
        for t in institutions()
    ]


def inspector_rows(department: str) -> list[dict[str, Any]]:
    return [
        {
            "inspector_id": i.inspector_id,
            "name": i.name,
            "certificate_no": i.certificate_no,
            "certificate_expiry": i.certificate_expiry.isoformat(),
            "phone": i.phone,
        }
        for i in inspectors(department)
    ]


def plan_body(directory_id: str) -> dict[str, Any]:
    return {
        "year": 2023,
        "title": "2023年度跨部门“双随机”联合抽查工作计划",
        "document": "迁双随机办〔2023〕30号",
        "tasks": [
            {
                "name": TASK,
                "cooperating": ["police", "fire"],
                "items": {
                    d: [{"code": i.code, "name": i.name} for i in ITEMS[d]]
                    for d in ("education", "police", "fire")
                },
                "directory_id": directory_id,
                "scope": {"category": "校外培训机构", "region": "迁安市"},
                "ratios": RATIOS,
                "window_start": "2023-11-01",
                "window_end": "2023-11-30",
            }
        ],
        "at": at("2023-10-30"),
    }


async def ok(answer: Any, status: int = 200) -> Any:
    response: httpx.Response = await answer
    assert response.status_code == status, response.text
    return response.json()


async def test_the_joint_inspection_runs_end_to_end_over_the_api(world: World) -> None:
    education, police = world.key("education"), world.key("police")
    fire, office = await world.user("fire_zhao"), await world.user("office_li")
    public = world.client()
    by = {"education": education, "police": police, "fire": fire}

    # 名录库: the targets, and each department's inspectors (the sixth on leave)
    opened = await ok(
        education.post(
            "/api/v1/target-directories", json={"name": DIRECTORY, "at": at("2023-10-20")}
        ),
        201,
    )
    directory_id = opened["directory_id"]
    assert directory_id == str(TargetDirectory.id_for(DIRECTORY))
    registered = await ok(
        education.post(
            f"/api/v1/target-directories/{directory_id}/targets",
            json={"targets": target_rows(), "at": at("2023-10-20", "10:00")},
        )
    )
    assert registered == {"count": len(institutions())}
    for code, client in by.items():
        await ok(client.post("/api/v1/inspector-directory", json={"at": at("2023-10-20")}), 201)
        await ok(
            client.post(
                "/api/v1/inspector-directory/inspectors",
                json={"inspectors": inspector_rows(code), "at": at("2023-10-20", "11:00")},
            )
        )
        await ok(
            client.post(
                f"/api/v1/inspector-directory/inspectors/{PREFIX[code]}006/leave",
                json={"at": at("2023-10-27")},
            )
        )

    # 计划, 承诺, 抽取: the server makes the secret and keeps it; the answer never shows it
    planned = await ok(education.post("/api/v1/plans", json=plan_body(directory_id)), 201)
    (task_id,) = planned["task_ids"]
    committed = await ok(
        education.post(
            f"/api/v1/tasks/{task_id}/commit",
            json={"beacon_source": BEACON_SOURCE, "at": at("2023-10-31", "16:00")},
        )
    )
    assert committed["strata"] == {"A": 20, "B": 10, "C": 6, "D": 4}
    assert "secret" not in committed
    assert (await ok(public.get("/api/v1/draws")))["items"] == []
    # Until the draw the secret is the lead's alone: the lead may read it, nobody else.
    kept = await ok(education.get(f"/api/v1/tasks/{task_id}/secret"))
    assert kept["commitment"] == committed["commitment"]
    assert draw.commitment_of(kept["secret"]) == committed["commitment"]
    for outsider in (police, office, public):
        refused = await outsider.get(f"/api/v1/tasks/{task_id}/secret")
        assert refused.status_code in (401, 403), refused.text
        assert kept["secret"] not in refused.text
    drawn = await ok(
        education.post(
            f"/api/v1/tasks/{task_id}/draw",
            json={"beacon": BEACON, "at": at("2023-11-01", "09:30")},
        )
    )
    assert len(drawn["drawn"]) == 8
    [published_draw] = (await ok(public.get("/api/v1/draws")))["items"]
    assert draw.commitment_of(published_draw["secret"]) == committed["commitment"]
    assert published_draw["secret"] == kept["secret"]
    assert published_draw["seed"] == drawn["seed"]
    population = await ok(public.get(f"/api/v1/draws/{task_id}/population", params={"limit": 1000}))
    assert len(population["items"]) == sum(committed["strata"].values())
    assert await ok(public.get(f"/api/v1/draws/{task_id}")) == published_draw

    # 派发 and 确认: police confirm in time, fire only after the office's deadline check
    inbox = await ok(police.get("/api/v1/departments/police/inbox"))
    assert [item["task_id"] for item in inbox["items"]] == [task_id]
    assert inbox["items"][0]["owes"] == ["确认派发任务（2023-11-03 前）"]
    await ok(
        police.post(f"/api/v1/tasks/{task_id}/confirm", json={"at": at("2023-11-02", "10:15")})
    )
    checked = await ok(
        office.post(
            f"/api/v1/tasks/{task_id}/deadline-check", json={"at": at("2023-11-06", "08:30")}
        )
    )
    assert checked == {"count": 1}
    escalations = await ok(office.get("/api/v1/escalations"))
    assert [e["department"] for e in escalations["items"]] == ["fire"]
    await ok(fire.post(f"/api/v1/tasks/{task_id}/confirm", json={"at": at("2023-11-06", "10:00")}))

    # 抽取执法检查人员, 回避, 匹配, 报备
    groups = {}
    for code, clock in zip(by, ("14:00", "14:20", "14:40"), strict=True):
        answer = await ok(
            by[code].post(
                f"/api/v1/tasks/{task_id}/inspector-draws", json={"at": at("2023-11-06", clock)}
            )
        )
        groups[code] = answer["groups"]
    first = min(drawn["drawn"], key=lambda t: draw.rank(drawn["seed"], "match", t))
    recused = groups["fire"][0][0]
    await ok(
        fire.post(
            f"/api/v1/inspector-directory/inspectors/{recused}/conflicts",
            json={
                "credit_code": first,
                "reason": "其配偶为该机构举办者",
                "at": at("2023-11-06", "16:30"),
            },
        )
    )
    matched = await ok(
        education.post(f"/api/v1/tasks/{task_id}/match", json={"at": at("2023-11-07")})
    )
    targets = list(matched["groups"])
    assert sorted(targets) == sorted(drawn["drawn"])
    sheets = {
        s["target"]: s for s in (await ok(office.get(f"/api/v1/tasks/{task_id}/sheets")))["items"]
    }
    assert recused not in sheets[first]["inspectors"]["fire"]
    for client in by.values():
        await ok(
            client.post(
                f"/api/v1/tasks/{task_id}/grouping",
                json={
                    "vehicles": {"1": "冀B·00001", "2": "冀B·00002"},
                    "at": at("2023-11-07", "15:00"),
                },
            )
        )

    # 告知, 实地检查 (the third refuses to sign), 结果: a police inspector records his group's
    for target in targets:
        await ok(
            education.post(
                f"/api/v1/tasks/{task_id}/targets/{target}/notice",
                json={"method": "letter", "recipient": "法定代表人", "at": at("2023-11-08")},
            )
        )
    for n, target in enumerate(targets):
        await ok(
            education.post(
                f"/api/v1/tasks/{task_id}/targets/{target}/visit",
                json={
                    "signed": n != 2,
                    "note": "" if n != 2 else "拒绝签字，已拍照留存",
                    "at": at("2023-11-09", "10:00"),
                },
            )
        )
    officer = sheets[targets[0]]["inspectors"]["police"][0]
    world.add_inspector("ga_officer", "police", officer)
    inspector = await world.user("ga_officer")
    problem_of = {targets[1]: "fire", targets[4]: "education", targets[2]: "police"}
    for target in targets:
        for code in by:
            if code == "police" and target == targets[-1]:
                continue  # forgotten until the deadline check flags it
            findings = {item.code: "符合要求" for item in ITEMS[code]}
            category = "未发现问题"
            if problem_of.get(target) == code:
                category, findings[ITEMS[code][0].code] = PROBLEMS[code]
            if code == "education" and target == targets[0]:
                category, findings["JY-2"] = "发现问题待后续处理", "教材未备案"  # a slip
            client = by[code]
            if code == "police" and officer in sheets[target]["inspectors"]["police"]:
                client = inspector
            await ok(
                client.post(
                    f"/api/v1/tasks/{task_id}/targets/{target}/result",
                    json={
                        "category": category,
                        "findings": findings,
                        "at": at("2023-11-09", "17:00"),
                    },
                )
            )
    await ok(
        office.post(
            f"/api/v1/tasks/{task_id}/deadline-check", json={"at": at("2023-11-15", "08:30")}
        )
    )
    await ok(
        police.post(
            f"/api/v1/tasks/{task_id}/targets/{targets[-1]}/result",
            json={
                "category": "未发现问题",
                "findings": {"GA-1": "符合要求"},
                "at": at("2023-11-15", "10:00"),
            },
        )
    )
    await ok(
        education.post(
            f"/api/v1/tasks/{task_id}/targets/{targets[0]}/correction",
            json={
                "category": "未发现问题",
                "findings": {"JY-2": "符合要求"},
                "reason": "复核发现教材已于 10 月备案，原录入有误",
                "at": at("2023-11-16", "15:00"),
            },
        )
    )

    # 公示, 后续处置, 结案
    await ok(
        education.post(f"/api/v1/tasks/{task_id}/publish", json={"at": at("2023-11-20", "10:00")})
    )
    numbers = {}
    for target, code in problem_of.items():
        opened_follow_up = await ok(
            by[code].post(
                f"/api/v1/tasks/{task_id}/follow-ups",
                json={
                    "target": target,
                    "problem": PROBLEMS[code][1],
                    "due": "2023-12-20",
                    "at": at("2023-11-20", "15:00"),
                },
            ),
            201,
        )
        numbers[code] = opened_follow_up["number"]
    await ok(
        fire.post(
            f"/api/v1/tasks/{task_id}/follow-ups/{numbers['fire']}/close",
            json={"outcome": "已清理，复查合格", "at": at("2023-12-05")},
        )
    )
    await ok(
        education.post(
            f"/api/v1/tasks/{task_id}/follow-ups/{numbers['education']}/close",
            json={"outcome": "已补充持证教师，复查合格", "at": at("2023-12-12")},
        )
    )
    await ok(
        police.post(
            f"/api/v1/tasks/{task_id}/follow-ups/{numbers['police']}/transfer",
            json={"to": "迁安市市场监管局", "reason": "涉及无照经营线索", "at": at("2023-12-14")},
        )
    )
    await ok(
        education.post(f"/api/v1/tasks/{task_id}/close", json={"at": at("2023-12-20", "17:00")})
    )

    # What each reads afterwards
    task = await ok(education.get(f"/api/v1/tasks/{task_id}"))
    assert task["stage"] == "已结案"
    assert task["overdue"] == ["fire"]
    register = await ok(public.get("/api/v1/register", params={"task_id": task_id, "limit": 100}))
    found = await ok(public.get("/api/v1/register", params={"name": "第1培训"}))
    assert {e["name"] for e in found["items"]} <= {e["name"] for e in register["items"]}
    assert sorted(e["credit_code"] for e in register["items"]) == sorted(targets)
    corrected = next(e for e in register["items"] if e["credit_code"] == targets[0])
    assert corrected["results"]["education"] == "未发现问题"
    for department in by:  # the public never sees an inspector's id or phone
        for row in inspector_rows(department):
            assert row["inspector_id"] not in str(register)
            assert row["phone"] not in str(register)
    ledger = await ok(office.get("/api/v1/ledger"))
    assert sorted(r["follow_up"]["status_label"] for r in ledger["items"]) == [
        "已办结",
        "已办结",
        "已移送",
    ]
    auditor = await world.user("auditor_wang")
    verification = await ok(auditor.get("/api/v1/audit/verification"))
    assert verification["ok"], verification
    assert verification["draws"] == 1 and verification["inspector_draws"] == 3
    exported = await auditor.get("/api/v1/audit/export")
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    assert len(exported.text.splitlines()) == verification["events"]
    for client in (education, police, fire, office, public, inspector, auditor):
        await client.aclose()
