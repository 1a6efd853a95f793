"""One Chinese term per idea: every Chinese string follows cnn.glossary."""

from cnn import glossary
from cnn.i18n import catalog


def test_every_chinese_string_uses_the_glossarys_one_term():
    assert glossary.problems(catalog("en"), catalog("zh")) == []


def test_the_check_finds_a_missing_term_and_a_variant():
    english = {"a": "Train for 3 epochs with batch size 32.", "b": "Each filter makes one map.",
               "c": "A kernel slides.", "d": "Choose MNIST 5k or Shapes."}
    chinese = {"a": "训练 3 轮，批量大小 32。", "b": "每个卷积核产生一张特征图。",
               "c": "一个滤波器在滑动。", "d": "选择 MNIST 5k 或几何图形。"}
    found = glossary.problems(english, chinese)
    assert any(p.startswith("a:") and "批大小" in p and "lacks" in p for p in found)       # term missing
    assert any(p.startswith("a:") and "'批量大小'" in p for p in found)                     # variant used
    assert any(p.startswith("c:") and "'滤波器'" in p for p in found)
    assert not any(p.startswith(("b:", "d:")) for p in found)                               # 几何图形 holds 图形


def test_an_english_annotation_and_a_placeholder_are_not_variants():
    english = {"a": "One epoch is one pass.", "b": "epoch {epoch} of {epochs}"}
    chinese = {"a": "一轮（epoch）就是把训练图像过一遍。", "b": "第 {epoch}/{epochs} 轮"}
    assert glossary.problems(english, chinese) == []
    assert glossary.problems({"a": "One epoch."}, {"a": "一个 epoch。"}) != []


def test_filter_and_kernel_are_said_to_be_the_same_once_where_filter_is_met():
    term = glossary.GLOSSARY["filter"]
    zh = catalog("zh")
    for key in term.said_in:
        assert term.chinese in zh[key] and glossary.variants_used(term, zh[key])
