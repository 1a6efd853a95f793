"""One Chinese term per idea: the English term, the one Chinese term every string uses for it, and the
Chinese variants no string may use (a student who meets 滤波器 on one page and 卷积核 on the next
wonders whether they are two things).

A Chinese string may follow a term with its English name in full-width brackets, "轮（epoch）", so
a student can match it with the lecture; a variant may appear only in the strings named in `said_in`,
the place that says once that the two words mean the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    english: str                   # where the English strings use the idea (a regular expression)
    chinese: str                   # the one Chinese term
    avoid: tuple[str, ...] = ()    # Chinese variants no string may use
    said_in: tuple[str, ...] = ()  # catalog keys that may name a variant: where it is said to be the same


GLOSSARY: dict[str, Term] = {
    "epoch": Term(r"(?i)\bepochs?\b", "轮", ("epoch", "周期", "时期", "迭代次数")),
    "batch size": Term(r"(?i)\bbatch size\b", "批大小", ("批量大小", "批次大小", "batch size", "批尺寸")),
    # The data set (its English name is capitalised; "shapes" in small letters are tensors' shapes, 形状).
    "Shapes": Term(r"\bShapes\b", "几何图形", ("图形", "形状数据", "形状任务", "形状模型", "“形状”", "shapes")),
    # "filter" and "kernel" are the same thing; lesson 1 says so once, then it is 卷积核 everywhere.
    "filter": Term(r"(?i)\b(filters?|kernels?)\b", "卷积核", ("滤波器", "过滤器", "筛选器"), ("lesson.1.body",)),
    "diverge": Term(r"(?i)\b(diverg\w*|explod\w*)", "发散", ("爆炸",)),
    "feature map": Term(r"(?i)\bfeature maps?\b", "特征图", ("特征映射", "特征地图")),
    "stride": Term(r"(?i)\bstrides?\b", "步长", ("步幅",)),
    "padding": Term(r"(?i)\bpadding\b", "填充", ("补零", "边距")),
    "dilation": Term(r"(?i)\bdilation\b", "膨胀", ("扩张", "空洞")),
    "pooling": Term(r"(?i)\bpooling\b", "池化", ("汇聚", "汇合")),
    "learning rate": Term(r"(?i)\blearning rate\b", "学习率", ("学习速率", "学习速度")),
    "weight": Term(r"(?i)\bweights?\b", "权重", ("权值",)),
    "unit": Term(r"(?i)\bunits?\b", "单元", ("units",)),
    "flatten": Term(r"(?i)\bflatten\b", "展平", ("flatten", "扁平化", "拉平")),
}


def _annotation(name: str) -> str:
    return f"（{name}）"


def _words(text: str) -> str:
    """`text` without its {placeholders} (filled in later: "{epoch}" is no word of the text)."""
    return re.sub(r"\{\w*\}", "", text)


def variants_used(term: Term, text: str) -> list[str]:
    """The variants of `term` in a Chinese `text`, once the term itself and its English annotation are set
    aside (几何图形 holds 图形; "轮（epoch）" holds epoch)."""
    text = _words(text)
    for name in GLOSSARY:
        text = text.replace(_annotation(name), "")
    text = text.replace(term.chinese, "")
    return [variant for variant in term.avoid if variant.lower() in text.lower()]


def problems(english: dict[str, str], chinese: dict[str, str]) -> list[str]:
    """Every place the Chinese catalog leaves the glossary: a string whose English uses a term but which
    does not use the term's Chinese, and a string that uses a variant. Empty when all is well."""
    found = []
    for name, term in GLOSSARY.items():
        for key, text in chinese.items():
            if re.search(term.english, _words(english.get(key, ""))) and term.chinese not in text:
                found.append(f"{key}: the English says {name!r}, the Chinese lacks {term.chinese}")
            if key not in term.said_in:
                found += [f"{key}: {variant!r} where the glossary says {term.chinese}"
                          for variant in variants_used(term, text)]
    return found
