"""`make demo`'s console: after the demo, every role of it can sign in, and the lead has an open
task waiting in its inbox (ssj demo --serve prepares both, then serves)."""

from __future__ import annotations

from pathlib import Path

from adapters.bootstrap import bootstrap, load_settings
from adapters.cli.demo import run_demo
from adapters.cli.demo_console import ACCOUNTS, prepare_console
from services.accounts import AccountKind
from services.actors import Actor, Role


def test_the_demo_store_gets_an_account_per_role_and_an_open_task_for_the_lead(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ssj.db"
    assert run_demo(load_settings(db=db), "ab" * 32, db)
    service = bootstrap(load_settings(db=db))
    try:
        accounts, task_id = prepare_console(service)
        now = service.clock.now()
        assert [a.username for a in accounts] == [name for name, *_ in ACCOUNTS]
        assert len({a.password for a in accounts}) == len(accounts)
        for account, (_, kind, department, _) in zip(accounts, ACCOUNTS, strict=True):
            principal = service.accounts.sign_in(account.username, account.password, at=now)
            assert principal.department == department
            if kind is AccountKind.OFFICE:
                assert principal.roles == frozenset({Role.OFFICE})

        inbox = service.queries.inbox(Actor.lead("education"), "education").items
        waiting = [item for item in inbox if item.task_id == task_id]
        assert waiting and waiting[0].owes == ("提交随机种子承诺",)
        # The closed demo task stays in every list, beside the new one.
        listed = service.queries.tasks(Actor.office()).items
        assert len(listed) == 2
        assert [v.closed for v in listed] == [True, False]
    finally:
        service.close()


async def test_the_demo_publishes_the_three_item_lists_its_plan_items_agree_with(
    tmp_path: Path,
) -> None:
    import httpx

    from adapters.cli.demo_data import ITEMS
    from adapters.http.app import create_app

    db = tmp_path / "ssj.db"
    assert run_demo(load_settings(db=db), "cd" * 32, db)
    service = bootstrap(load_settings(db=db))
    try:
        lists = {c.department: c for c in service.item_catalogues.catalogues(Actor.public())}
        assert set(lists) == {"education", "police", "fire"}
        for department, items in ITEMS.items():
            listed = {i.code: i.name for i in lists[department].items}
            # the plan's items are rows of the department's list: the same code, the same name
            assert {i.code: i.name for i in items}.items() <= listed.items(), department
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://ssj.test") as public:
            page = await public.get("/public/items")
        assert page.status_code == 200
        for catalogue in lists.values():
            for item in catalogue.items:
                assert item.code in page.text and item.name in page.text
    finally:
        service.close()
