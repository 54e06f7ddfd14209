"""The work calendar: any year it knows, and the office's import of a year's holiday notice."""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.calendar import read_year_file
from adapters.http.api.common import ERRORS, Reader, action
from adapters.http.auth import service_of
from adapters.http.commands import AlreadyApplied, CommandBody, CommandDep
from services.calendars import YearArrangement, YearView
from services.permissions import Action

router = APIRouter(prefix="/calendar", tags=["工作日历"], responses=ERRORS)

Year = Annotated[int, Path(ge=1000, le=9999, description="年份", examples=[2024])]


class YearModel(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2024,
                    "source": "chinese-calendar 1.11.0",
                    "holidays": ["2024-01-01", "2024-02-12"],
                    "working_weekends": ["2024-02-04"],
                    "working_days": 251,
                    "loaded_at": None,
                }
            ]
        }
    )
    year: int
    source: str = Field(description="依据的通知或数据来源")
    holidays: list[date] = Field(description="放假的工作日")
    working_weekends: list[date] = Field(description="调休上班的周末")
    working_days: int
    loaded_at: datetime | None = Field(description="导入事件日志的时间；随服务提供的年份为 null")

    @classmethod
    def of(cls, v: YearView) -> YearModel:
        return cls(
            year=v.year,
            source=v.source,
            holidays=list(v.holidays),
            working_weekends=list(v.working_weekends),
            working_days=v.working_days,
            loaded_at=v.loaded_at,
        )


@router.get("/{year}", openapi_extra=action(Action.READ_CALENDAR), summary="一年的工作日历")
def year(request: Request, year: Year, actor: Reader) -> YearModel:
    return YearModel.of(service_of(request).calendars.year(actor, year))


class ImportYear(CommandBody):
    """One year's holiday arrangement, as the State Council's notice gives it (the fields of a
    calendar data file, adapters/calendar_data/README.md)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "year": 2027,
                    "source": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕x号）",
                    "holidays": ["2027-01-01", "2027-02-08"],
                    "working_weekends": ["2027-02-06"],
                    "at": "2026-11-20T09:00:00+08:00",
                }
            ]
        },
    )
    year: int = Field(ge=1000, le=9999)
    source: str = Field(min_length=1, max_length=500, description="所依据的通知名称")
    holidays: list[date] = Field(description="放假的工作日（不含本来就休息的周末）")
    working_weekends: list[date] = Field(default_factory=list, description="调休上班的周末")


class YearImported(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"year": 2027, "holidays": 19, "working_weekends": 6}]}
    )
    year: int
    holidays: int
    working_weekends: int


def arrangement_of(body: ImportYear) -> YearArrangement:
    """Checked as a calendar data file is, field by field (the same reader, the same words)."""
    document = {
        "year": body.year,
        "source": body.source,
        "holidays": [d.isoformat() for d in body.holidays],
        "working_weekends": [d.isoformat() for d in body.working_weekends],
    }
    with tempfile.TemporaryDirectory(prefix="ssj-calendar-") as folder:
        path = FilePath(folder) / f"{body.year}.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        return read_year_file(path)


@router.post(
    "/years",
    openapi_extra=action(Action.IMPORT_CALENDAR_YEAR),
    response_model=YearImported | AlreadyApplied,
    status_code=201,
    summary="导入一年的节假日安排（双随机办）",
)
def import_year(body: ImportYear, command: CommandDep) -> Any:
    """记入事件日志；等待该年日历的期限随即计算。已收录的年份不能再次导入。"""

    def apply(command_id: UUID | None, at: Any) -> YearImported:
        actor = command.actor()
        arrangement = arrangement_of(body)
        command.service.calendars.import_year(actor, arrangement, at=at, command_id=command_id)
        return YearImported(
            year=arrangement.year,
            holidays=len(arrangement.holidays),
            working_weekends=len(arrangement.working_weekends),
        )

    return command.run(body, apply, status=201)
