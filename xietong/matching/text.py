"""Text normalisation shared by the index and the demand parser.

Everything that is compared (product names on the index side, demand text on the query side)
goes through :func:`normalize` first, so that full-width and half-width forms, traditional
quotation marks and stray spaces never decide a match:

* Unicode NFKC folds full-width letters, digits and punctuation (``，：（）`` → ``,:()``) and
  compatibility forms such as the small comma ``﹐``.
* Quotation marks and brackets that carry no meaning for matching (``「」『』“”《》``) become
  spaces; other punctuation is unified to ``,`` (clause break) or ``。`` (sentence break);
  the enumeration comma ``、`` stays (it coordinates, see ``demand._link``).
* Latin letters are lower-cased; runs of white space collapse to one space.

:func:`strip_quantities` then removes amounts (``500吨``, ``年需求量约10套``,
``每月用量1000万件左右``, ``年采购额约50万元``): numbers and units never say *what* is
wanted. Numbers that are part of a name (``3D打印机``, ``5G基站``) stay because they are not
followed by a unit.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that end a clause (after NFKC, so full-width forms are already folded).
CLAUSE_BREAKS = ",;:!?、，；：！？。\n\r\t|/\\()（）"
SENTENCE_BREAKS = "。!?！？；;\n"

_QUOTES = str.maketrans({c: " " for c in "「」『』“”‘’\"'《》〈〉【】〔〕[]{}〖〗«»‹›"})
_PUNCT_TO_COMMA = str.maketrans({c: "," for c in "，﹐;；"})
_PUNCT_TO_STOP = str.maketrans({c: "。" for c in ".．｡!！?？"})

_SPACES = re.compile(r"\s+")
# A space next to a Chinese character separates nothing (求购 焊管 = 求购焊管).
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uf900-\ufaff])\s+(?=[\u3000-\u9fff\uf900-\ufaff])")

# Units and counters that follow an amount. Longest first so that 公斤 wins over 斤.
_UNITS = sorted(
    """
    万吨 千吨 吨 公斤 千克 克 斤 毫克 万件 千件 件 万套 套 箱 批 台 万台 个 万个 只 万只
    片 万片 卷 根 条 桶 袋 包 支 瓶 盒 箱 托 柜 车 船 米 千米 公里 平方米 平米 立方米 方 升 毫升
    万元 亿元 元 块 颗 粒 副 对 张 本 组 台套 辆 架 艘
    """.split(),
    key=len,
    reverse=True,
)
# Latin units count only when no letter or Chinese character follows (5g基站 is a name).
_LATIN_UNITS = sorted(
    "kg g t mt l ml m m2 m3 pcs sets units tons".split(),
    key=len,
    reverse=True,
)
_AMOUNT = re.compile(
    r"(?:约|大约|大概|近|超过|不少于|不低于|至少|每[年月周日天批次]|年|月)?"
    r"\d+(?:[.,]\d+)?(?:\s*[-~至到]\s*\d+(?:[.,]\d+)?)?\s*(?:[万千百亿])?\s*"
    r"(?:" + "|".join(re.escape(u) for u in _UNITS) + "|"
    r"(?:" + "|".join(re.escape(u) for u in _LATIN_UNITS) + r")(?![a-z\u4e00-\u9fff]))"
    r"(?:/[年月周日天])?"
    r"(?:左右|以上|以内|上下|起)?",
    re.IGNORECASE,
)
# Words that introduce an amount; removed together with it.
_AMOUNT_LEADS = re.compile(
    r"(?:年需求量|年需求|月需求量|需求量|年用量|月用量|每月用量|每年用量|用量|采购量|预计采购量|"
    r"年采购额|采购额|采购金额|数量|首批|首单|单次|每次|每批|预计|约)\s*[:：]?\s*(?=[\d约])"
)


def normalize(text: str) -> str:
    """Fold width, quotes, case and spacing; keep Chinese text otherwise unchanged."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_QUOTES).translate(_PUNCT_TO_COMMA).translate(_PUNCT_TO_STOP)
    text = _SPACES.sub(" ", text).strip().lower()
    return _CJK_SPACE.sub("", text)


def normalize_name(name: str) -> str:
    """Normalise a product or industry name: like :func:`normalize`, without any spaces."""
    return normalize(name).replace(" ", "")


def strip_quantities(text: str) -> str:
    """Replace amounts (number + unit, with their lead words) by a clause break."""
    text = _AMOUNT_LEADS.sub("", text)
    return _AMOUNT.sub(",", text)


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the clauses of ``text`` (split at punctuation)."""
    spans = []
    start = 0
    for i, ch in enumerate(text):
        if ch in CLAUSE_BREAKS:
            if i > start:
                spans.append((start, i))
            start = i + 1
    if len(text) > start:
        spans.append((start, len(text)))
    return spans
