"""The augmentation preview, headless: a few samples each beside copies moved as training moves them, the
sentence in both languages, "New batch" draws new moves, colour stays colour, names stay text."""

from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnn import augment
from pages.views import augment_preview as view

APP = str(Path(__file__).resolve().parent / "apps" / "augment_preview_app.py")


def images(at: AppTest) -> list:
    return [img for el in at.get("imgs") + at.get("image") for img in el.proto.imgs]


def run(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test_each_sample_beside_its_moved_copies_and_new_batch_draws_new_ones():
    at = run()
    assert not at.exception, at.exception
    shown = images(at)
    assert len(shown) == view.ROWS * (view.COPIES + 1)
    captions = [img.caption for img in shown]
    assert captions[0].endswith("original") and captions[1] == "seen 1"
    assert "20 drawings can be enough" in at.markdown[0].value
    assert any("Batch 1." in c.value for c in at.caption)
    first = [img.url for img in shown]
    next(b for b in at.button if b.label == "New batch").click().run()
    second = [img.url for img in images(at)]
    assert first[0] == second[0] and first[1:6] != second[1:6]     # the originals stay, the copies change
    assert any("Batch 2." in c.value for c in at.caption)


def test_names_are_text_and_the_sentence_reads_in_chinese():
    at = run(lang="zh")
    assert not at.exception, at.exception
    assert "20 张手绘图" in at.markdown[0].value
    captions = [img.caption for img in images(at)]
    assert captions[0] == "bar \\<b\\> · 原图" and captions[1] == "第 1 次"
    assert captions[6].startswith("✗ \\*x\\*")
    assert [b.label for b in at.button] == ["换一批"]


def test_colour_samples_stay_colour_and_flips_are_said():
    at = run(colour=True, flips=True)
    assert not at.exception, at.exception
    assert any("mirrored" in c.value for c in at.caption) and not at.warning
    assert len(images(at)) == view.ROWS * (view.COPIES + 1)


def test_the_pictures_are_the_samples_moved_by_cnn_augment():
    sample = torch.zeros(2, 3, 28, 28)
    sample[0, 0, 5:20, 10:14] = 1.0
    drawn = view.picture(sample[0].numpy())
    assert drawn.shape == (28 * 3, 28 * 3, 3) and drawn[5 * 3, 10 * 3].tolist() == [255, 0, 0]
    gray = view.picture(sample[:1, 0].numpy())
    assert gray.shape == (84, 84)
    labels = np.array([0, 1, 2, 0, 1, 2, 0])
    assert view._rows(labels, 3) == [0, 1, 2, 3]
    assert view._rows(np.array([1, 1, 1]), 3, rows=2) == [0, 1]
    moved = augment.augment_batch(sample, torch.Generator().manual_seed(0))
    assert moved.shape == sample.shape


def test_without_augmentation_it_says_the_network_sees_only_the_originals():
    at = run(augmented=False, lang="zh")
    assert not at.exception, at.exception
    assert "没有开启数据增强" in at.warning[0].value


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_empty_set_says_so(lang):
    from cnn import data

    at = AppTest.from_function(_empty_app, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    assert at.info and ("no samples" in at.info[0].value or "还没有样本" in at.info[0].value)
    assert data  # imported for the app below


def _empty_app():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path.cwd()))
    import torch

    from cnn import data
    from pages.views.augment_preview import augment_preview

    augment_preview(data.Dataset("own-empty", "train", torch.zeros(0, 1, 28, 28, dtype=torch.uint8),
                                 torch.zeros(0, dtype=torch.long), ["a", "b"]))
