"""The two catalogs stay in step, and every string the pages ask for exists."""

import re
import string
from pathlib import Path

import pytest

from cnn import data, i18n, images, kernels, ops

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]


def _codes(module: str, error: str) -> set[str]:
    """Every code a cnn module raises an error with: ImageError("code", ...) or Error(<message>, "code", ...)."""
    text = (ROOT / "cnn" / f"{module}.py").read_text(encoding="utf-8")
    literal = r'f?"(?:[^"\\]|\\.)*"'
    first = re.findall(rf'{error}\(\s*"([a-z_]+)"\s*,', text)
    after_message = re.findall(rf'{error}\(\s*(?:{literal}\s*)+,\s*"([a-z_]+)"', text)
    return set(first) | set(after_message)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys():
    en, zh = i18n.catalog("en"), i18n.catalog("zh")
    assert set(en) - set(zh) == set(), "missing in zh"
    assert set(zh) - set(en) == set(), "missing in en"


def test_placeholders_match_between_languages():
    en, zh = i18n.catalog("en"), i18n.catalog("zh")
    mismatched = {k for k in en if _placeholders(en[k]) != _placeholders(zh[k])}
    assert mismatched == set()


def test_chinese_strings_are_translated_not_copied():
    en, zh = i18n.catalog("en"), i18n.catalog("zh")
    has_cjk = re.compile(r"[\u4e00-\u9fff]")
    # Names such as "ReLU" or "Prewitt x" are the same in both languages; sentences are not.
    untranslated = [k for k in en if len(en[k].split()) > 3 and not has_cjk.search(zh[k])]
    assert untranslated == []


def test_chinese_uses_the_seeds_terms():
    text = " ".join(i18n.catalog("zh").values())
    for term in ("卷积核", "步长", "填充", "池化", "特征图", "激活函数", "全连接层"):
        assert term in text, term


def test_every_static_key_in_the_code_exists():
    pattern = re.compile(r"""\btr?\(\s*["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""")
    used = {key for path in SOURCES for key in pattern.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 50  # the pattern really finds the page strings
    assert used - set(i18n.catalog("en")) == set()


@pytest.mark.parametrize("prefix, names", [
    ("activation", ops.ACTIVATIONS),
    ("pooling", ("none",) + ops.POOL_MODES),
    ("kernel", ("custom",) + kernels.PRESETS + kernels.CHANNEL_PRESETS),
    ("lab.padmode", ops.PAD_MODES),
    ("lab.padding", ("valid", "same", "full", "custom")),
    ("lab.source", ("digit", "grid", "photo", "draw", "upload")),
    ("nav", ("home", "lab", "draw", "train", "inside")),
    ("upload.error", _codes("images", "ImageError")),
    ("spec_error", _codes("models", "SpecError") | _codes("train", "SpecError") | {"invalid", "too_small"}),
    ("dataset_error", _codes("data", "DatasetUnavailable") | {"missing"}),
    ("job_reason", ("diverged", "worker_died", "stopped", "stopped_queued", "failed")),
    ("photo", images.PHOTOS),
    ("dataset", data.DATASETS),
    ("dataset_name", data.DATASETS),
    ("train.state", ("queued", "preparing", "running", "paused", "finished", "stopped", "failed", "interrupted")),
])
def test_dynamic_keys_exist(prefix, names):
    assert names, "the codes were found"
    catalog = i18n.catalog("en")
    assert [n for n in names if f"{prefix}.{n}" not in catalog] == []


def test_t_fills_placeholders_and_falls_back():
    assert i18n.t("lab.kernel.number", "zh", n=3) == "卷积核 3"
    assert i18n.t("lab.kernel.number", "xx", n=3) == "Kernel 3"  # unknown language -> English
    assert i18n.normalise_language("zh") == "zh"
    assert i18n.normalise_language(None) == "en"
    with pytest.raises(KeyError):
        i18n.t("no.such.key")
