"""How the CLI shows things to staff: department names, times, task references."""

from __future__ import annotations

from datetime import date, datetime

from adapters.clock import china_now
from domain.values import CHINA

DEPARTMENTS = {
    "education": "教育局",
    "police": "公安局",
    "fire": "消防救援大队",
    "market": "市场监管局",
    "health": "卫生健康局",
    "transport": "交通运输局",
    "office": "双随机办",
}


def dept(code: str) -> str:
    return DEPARTMENTS.get(code, code)


def department_code(name: str) -> str:
    """Staff may type 公安局 or police."""
    for code, label in DEPARTMENTS.items():
        if name in (code, label):
            return code
    return name


def parse_at(value: str | None) -> datetime:
    """`--at`: an ISO time; without a zone it is Beijing time. Unset: now."""
    if value is None:
        return china_now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"--at: 应为 ISO 时间，例如 2023-11-01T09:00 或 2023-11-01（收到 {value!r}）"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option}: 应为日期 YYYY-MM-DD（收到 {value!r}）") from None


def when(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def parse_findings(values: list[str] | None) -> dict[str, str]:
    found = {}
    for value in values or ():
        if "=" not in value:
            raise ValueError(f"--finding: 应为 事项编号=检查情况（收到 {value!r}）")
        code, text = value.split("=", 1)
        found[code.strip()] = text.strip()
    return found
