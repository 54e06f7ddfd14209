"""The demo's world: 迁安市's off-campus training institutions and three departments' inspectors.

Made up but shaped like the real thing (迁双随机办〔2023〕30号): a few hundred institutions with
valid credit codes across risk grades A–D, and each department's 执法检查人员名录库.
"""

from __future__ import annotations

from datetime import date

from domain.credit_code import make_credit_code
from domain.directory import CheckItem, Inspector, RiskGrade, Target

REGION = "130283"
"""迁安市's administrative division code, inside every local credit code."""

STREETS = [
    "永顺街道",
    "兴安街道",
    "滨河街道",
    "杨店子街道",
    "夏官营镇",
    "马兰庄镇",
    "沙河驿镇",
    "木厂口镇",
]
WORDS = [
    "启明",
    "育才",
    "博学",
    "新苗",
    "星辰",
    "智慧",
    "阳光",
    "书香",
    "未来",
    "晨曦",
    "文华",
    "致远",
]
KINDS = [
    "文化艺术培训学校",
    "体育培训中心",
    "科技培训学校",
    "艺术培训中心",
    "语言培训学校",
    "书画培训中心",
]
GRADES = [RiskGrade.A] * 12 + [RiskGrade.B] * 10 + [RiskGrade.C] * 6 + [RiskGrade.D] * 2


def institutions(count: int = 300) -> list[Target]:
    """民办非企业单位 (52…) and companies (91…) registered in 迁安市."""
    found = []
    for n in range(count):
        prefix = "52" if n % 3 else "91"
        org = f"MA{n:07d}" if prefix == "91" else f"MJ{n:07d}"
        name = f"迁安市{WORDS[n % len(WORDS)]}{KINDS[(n // len(WORDS)) % len(KINDS)]}"
        if n >= len(WORDS) * len(KINDS):
            name += f"（{STREETS[n % len(STREETS)]}分校{n // 72}）"
        found.append(
            Target(
                credit_code=make_credit_code(prefix + REGION + org),
                name=name,
                category="校外培训机构",
                region="迁安市",
                risk_grade=GRADES[(n * 7) % len(GRADES)],
                tags=frozenset({"寄宿"}) if n % 17 == 0 else frozenset(),
                active=n % 41 != 40,  # a few have closed (注销) and are never drawn
            )
        )
    return found


SURNAMES = "王李张刘陈杨赵黄周吴徐孙"
GIVEN = ["建国", "海燕", "志强", "丽娟", "晓东", "春梅", "国庆", "玉兰", "文杰", "秀英"]


DEPARTMENT_NUMBERS = {"education": 1, "police": 2, "fire": 3, "market": 4}
"""Each department's digit in its inspectors' certificate numbers (执法证号), so that no two
departments' inspectors share a number on a 一企一表."""


def inspectors(department: str, prefix: str, count: int = 8) -> list[Inspector]:
    number = DEPARTMENT_NUMBERS[department]
    found = []
    for n in range(count):
        found.append(
            Inspector(
                inspector_id=f"{prefix}{n + 1:03d}",
                name=SURNAMES[(n + len(prefix)) % len(SURNAMES)]
                + GIVEN[(n * 3 + len(department)) % len(GIVEN)],
                department=department,
                certificate_no=f"13028{number}{n + 1:05d}",
                # One certificate has lapsed: that inspector is not in the pool of any draw.
                certificate_expiry=date(2023, 6, 30) if n == count - 1 else date(2026, 12, 31),
                phone=f"139{len(department):02d}{n + 1:06d}",
                specialties=frozenset({"校外培训"}),
            )
        )
    return found


ITEMS = {
    "education": (
        CheckItem(
            "JY-1", "从业人员资质", "《校外培训机构从业人员管理办法（试行）》", "实地核查、资料查阅"
        ),
        CheckItem("JY-2", "教材使用情况", "《中小学生校外培训材料管理办法（试行）》", "资料查阅"),
        CheckItem(
            "JY-3",
            "监管平台购销课情况",
            "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》",
            "网络监测",
        ),
    ),
    "police": (
        CheckItem("GA-1", "单位内部治安保卫情况", "《企业事业单位内部治安保卫条例》", "实地核查"),
    ),
    "fire": (
        CheckItem(
            "XF-1", "履行法定消防安全职责情况", "《中华人民共和国消防法》第十六条", "实地核查"
        ),
    ),
}
