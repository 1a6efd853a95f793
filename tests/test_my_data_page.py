"""The My data page, headless: make a set, draw and upload samples into it, delete one; every bad input says
what is wrong in both languages and the page keeps working; names are shown as typed; only the owner
changes a set."""

import base64
import html
import io
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from bad_uploads import BAD_UPLOADS
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnn import i18n, my_data
from pages.views import text

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/my_data.py"
OWNER = "tok-owner-aaaaaaaaaaaa"
MARKUP = "![x](http://127.0.0.1:9/x) [CLICK](http://x) <b>b</b> **bold**"


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_LAB_MY_DATA", str(tmp_path / "my-data"))
    return tmp_path / "my-data"


def _open(lang: str = "en", owner: str = OWNER, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.session_state["owner"] = owner
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _messages(at: AppTest) -> str:
    parts = [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(parts + [s.value for s in at.success])


def _settle(at: AppTest) -> AppTest:
    """Wait until the import this session started (in a thread of its own) has ended, then run the page as its
    progress fragment would (AppTest does not run `run_every` by itself)."""
    if "my_data_task" not in at.session_state:       # it ended within the last run, which said what it gave
        return at
    deadline = time.monotonic() + 120
    while not at.session_state["my_data_task"].finished:
        assert time.monotonic() < deadline, "the import did not end"
        time.sleep(0.02)
    at.run()
    assert not at.exception, at.exception
    return at


def _html(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


def _t(lang: str, key: str, **values) -> str:
    return i18n.t(key, lang, **values)


def _create(at: AppTest, name: str, classes: str) -> AppTest:
    at.text_input(key="my_data_new_name").input(name)
    at.text_area(key="my_data_new_classes").input(classes)
    at.button[[b.label for b in at.button].index(_t(at.session_state["lang"], "my_data.new.create"))].click()
    at.run()
    assert not at.exception, at.exception
    return at


def _pad(pixels: np.ndarray) -> dict:
    rgba = np.zeros(pixels.shape + (4,), np.uint8)
    rgba[..., :3] = pixels[..., None]
    rgba[..., 3] = 255
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    return {"drawing": {"seq": 1, "png": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}}


def _bar() -> np.ndarray:
    canvas = np.zeros((280, 280), np.uint8)
    canvas[40:240, 130:150] = 255
    return canvas


def _png(side: int = 40, seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (side, side), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_opens_empty_then_a_set_is_made(lang, data_folder):
    at = _open(lang)
    assert _t(lang, "my_data.none") in _messages(at)
    _create(at, "符号" if lang == "zh" else "Symbols", "✓\n✗\n○\n")
    [made] = my_data.list_sets(data_folder)
    assert made.classes == ["✓", "✗", "○"] and made.owner == OWNER
    assert _t(lang, "my_data.new.made", name="符号" if lang == "zh" else "Symbols") in _messages(at)
    # Three classes with no samples yet: one warning names them all.
    sep = _t(lang, "my_data.list_separator")
    assert _t(lang, "my_data.warn.few", classes=sep.join(f"{c} (0)" for c in "✓✗○"), min=10) in _messages(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("classes, key, params", [
    ("only one", "my_data.error.too_few_classes", {"min": 2, "count": 1}),
    ("\n".join(f"c{i}" for i in range(100)), "my_data.error.too_many_classes", {"max": 10, "count": 100}),
    ("x" * 500 + "\ny", "my_data.error.class_name_long", {"start": "x" * 24, "length": 500, "max": 64}),
    ("cat\nCat", "my_data.error.class_duplicate", {"name": "Cat"}),
])
def test_bad_class_lists_say_why_in_both_languages(lang, classes, key, params, data_folder):
    at = _create(_open(lang), "pets", classes)
    assert _t(lang, key, **params) in _messages(at)
    assert my_data.list_sets(data_folder) == []
    _create(at, "pets", "a\nb")                      # the page still works
    assert len(my_data.list_sets(data_folder)) == 1


def _own_set(data_folder, **kwargs):
    return my_data.create_set(kwargs.pop("name", "pets"), kwargs.pop("classes", ["cat", "dog"]), owner=OWNER,
                              root=data_folder, **kwargs)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_drawing_is_saved_and_an_empty_pad_says_so(lang, data_folder):
    made = _own_set(data_folder)
    at = _open(lang)
    at.button(key="my_data_save_drawing").click().run()
    assert _t(lang, "my_data.error.drawing_empty") in _messages(at)
    assert my_data.summary(made.id, data_folder).counts == [0, 0]
    at.session_state["my_data_pad"] = _pad(_bar())
    at.button(key="my_data_save_drawing").click().run()
    assert not at.exception
    assert my_data.summary(made.id, data_folder).counts == [1, 0]
    assert _t(lang, "my_data.draw.saved", name="cat") in _messages(at)
    # The pad still reports the saved drawing until it is wiped: saving again adds nothing.
    at.button(key="my_data_save_drawing").click().run()
    assert my_data.summary(made.id, data_folder).counts == [1, 0]
    # A dot.
    dot = np.zeros((280, 280), np.uint8)
    dot[140:145, 140:145] = 255
    at.session_state["my_data_pad"] = _pad(dot)
    at.button(key="my_data_save_drawing").click().run()
    assert _t(lang, "my_data.error.drawing_dot") in _messages(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_bad_upload_says_why_and_good_ones_are_added(lang, data_folder):
    made = _own_set(data_folder)
    at = _open(lang)
    files = [(name, make(), "image/png") for name, make, _ in BAD_UPLOADS]
    _settle(at.file_uploader(key="my_data_pictures_0").set_value(files).run())
    ok = sum(expected == "ok" for *_, expected in BAD_UPLOADS)
    assert my_data.summary(made.id, data_folder).counts == [ok, 0]
    shown = _messages(at)
    assert _t(lang, "my_data.report.added", n=ok) in shown
    for code in {expected for *_, expected in BAD_UPLOADS if expected != "ok"}:
        assert _t(lang, f"my_data.skip.{code}") in shown, code
    # One bad picture alone: its reason, as a sentence.
    _settle(at.file_uploader(key="my_data_pictures_1").set_value(("notes.png", b"not a picture", "image/png")).run())
    assert _t(lang, "my_data.pictures.refused", reason=_t(lang, "my_data.skip.not_image")) in _messages(at)


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_zips_into_a_set_say_why_they_are_refused(lang, data_folder):
    made = _own_set(data_folder)
    at = _open(lang)
    cases = [(b"not a zip", "my_data.error.zip_not_zip", {}),
             (_zip({"../../etc/cat.png": _png()}), "my_data.error.zip_unsafe_path", {"path": "../../etc/cat.png"}),
             (_zip({"cat/a.txt": b"x"}), "my_data.error.zip_no_pictures", {"files": 1})]
    for n, (body, key, params) in enumerate(cases):
        _settle(at.file_uploader(key=f"my_data_zip_{n}").set_value(("set.zip", body, "application/zip")).run())
        params = {k: text.md(v) if isinstance(v, str) else v for k, v in params.items()}   # a path is shown as text
        assert _t(lang, key, **params) in _messages(at), (key, _messages(at))
    _settle(at.file_uploader(key="my_data_zip_3").set_value(
        ("set.zip", _zip({"cat/a.png": _png(), "dog/b.png": _png(seed=1)}), "application/zip")).run())
    assert my_data.summary(made.id, data_folder).counts == [1, 1]
    assert _t(lang, "my_data.report.added", n=2) in _messages(at)


def test_a_zip_imports_as_a_new_set_with_its_progress(data_folder):
    at = _open("en")
    at.file_uploader(key="my_data_import_file").set_value(
        ("animals.zip", _zip({f"animals/{c}/{i}.png": _png(seed=i) for c in ("猫", "狗") for i in range(12)}),
         "application/zip"))
    _settle(at.button[[b.label for b in at.button].index("Import")].click().run())
    [made] = my_data.list_sets(data_folder)
    assert made.name == "animals" and made.classes == ["狗", "猫"] and made.counts == [12, 12]
    assert "24 samples added." in _messages(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_names_are_shown_as_typed_never_as_markup(lang, data_folder):
    made = my_data.create_set(MARKUP, [MARKUP, "plain"], owner=OWNER, root=data_folder)
    my_data.add_drawing(made.id, 0, np.dstack([_bar()] * 3 + [np.full((280, 280), 255, np.uint8)]), root=data_folder)
    at = _open(lang)
    # The header, the pad's sentence and each class's title are HTML holding the name escaped: its characters,
    # no tag, no link, no image (st.html reads no Markdown).
    shown = _html(at)
    assert shown.count(html.escape(MARKUP, quote=True)) >= 3
    assert "<b>b</b>" not in shown and "<a " not in shown and "<img" not in shown
    # Where Streamlit reads Markdown (the class menu, warnings), the name is escaped; a select shows plain text.
    assert text.md(MARKUP) in at.radio(key=f"my_data_class_{made.id}").options[0]
    assert MARKUP in at.selectbox(key="my_data_set").options[0]
    assert any(text.md(MARKUP) in w.value for w in at.warning)
    assert not any(MARKUP in m for m in _messages(at).splitlines())


def test_only_the_owner_may_change_a_set(data_folder):
    made = _own_set(data_folder)
    my_data.add_drawing(made.id, 0, np.dstack([_bar()] * 3 + [np.full((280, 280), 255, np.uint8)]), root=data_folder)
    sample = my_data.samples(made.id, data_folder)[0]
    other = _open("en", owner="tok-someone-else-bbbbbbbb")
    assert _t("en", "my_data.none") in _messages(other), "another student's set is not even listed"
    assert made.name not in _html(other) + _messages(other)
    assert not [b for b in other.button if b.key == f"my_data_del_{sample.id}"]
    assert not [b for b in other.button if b.key == "my_data_save_drawing"]
    owner = _open("en")
    owner.button(key=f"my_data_del_{sample.id}").click().run()
    assert not owner.exception
    assert my_data.summary(made.id, data_folder).counts == [0, 0]


def test_a_set_deleted_by_its_owner_leaves_the_page_working(data_folder):
    made = _own_set(data_folder)
    at = _open("zh")
    at.checkbox(key=f"my_data_sure_{made.id}").check().run()
    at.button(key=f"my_data_delete_{made.id}").click().run()
    assert not at.exception
    assert my_data.list_sets(data_folder) == []
    assert _t("zh", "my_data.manage.deleted") in _messages(at) and _t("zh", "my_data.none") in _messages(at)


def test_a_hundred_samples_and_ten_classes_render(data_folder):
    made = _own_set(data_folder, classes=[f"class {i}" for i in range(10)])
    for label in range(10):
        my_data.add_pictures(made.id, label, [(f"{i}.png", _png(seed=label * 100 + i)) for i in range(10 + label)],
                             root=data_folder)
    at = _open("en")
    assert not at.exception
    assert all(f"<b>class {i}</b> · samples: {10 + i}" in _html(at) for i in range(10))
    assert sum(len(element.proto.imgs) for element in at.get("image")) == sum(10 + i for i in range(10))


def test_a_class_set_takes_every_students_drawings_and_the_teacher_sees_who_drew_each(data_folder, tmp_path,
                                                                                      monkeypatch):
    from cnn import classroom

    monkeypatch.setenv("CNN_LAB_DATABASE", f"sqlite:///{tmp_path / 'class.sqlite'}")
    room = classroom.Classroom(classroom.default_url())
    teacher, student = "tok-teacher-cccccccccccc", "tok-student-dddddddddddd"
    info = room.create_class("7B", "BIRDS7", "a long teacher secret", teacher)
    room.join(student, info.code, MARKUP)
    room.close()
    made = my_data.create_set("class symbols", ["✓", "✗"], owner=teacher, class_code=info.code, root=data_folder)
    pupil = _open("en", owner=student)
    assert "only its owner" not in _messages(pupil)
    pupil.session_state["my_data_pad"] = _pad(_bar())
    pupil.button(key="my_data_save_drawing").click().run()
    assert not pupil.exception
    [sample] = my_data.samples(made.id, data_folder)
    assert sample.by == student
    assert not [b for b in pupil.button if b.key == f"my_data_del_{sample.id}"]     # a student deletes nothing
    stranger = _open("en", owner="tok-stranger-eeeeeeeeeee")
    assert _t("en", "my_data.none") in _messages(stranger), "a class's set is the class's"
    lead = _open("en", owner=teacher)
    captions = [img.caption for element in lead.get("image") for img in element.proto.imgs]
    assert text.md(MARKUP) in captions                                             # who drew it, as text
    lead.button(key=f"my_data_del_{sample.id}").click().run()
    assert my_data.summary(made.id, data_folder).counts == [0, 0]


def _many(count: int) -> bytes:
    rng = np.random.default_rng(0)
    files = {}
    for i in range(count):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(buffer, "PNG")
        files[f"c{i % 3}/{i}.png"] = buffer.getvalue()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ten_thousand_pictures_import_with_progress_and_the_page_keeps_working(lang, data_folder):
    big = _many(10_000)
    at = _open(lang)
    at.file_uploader(key="my_data_import_file").set_value(("big.zip", big, "application/zip"))
    started = time.monotonic()
    at.button[[b.label for b in at.button].index(_t(lang, "my_data.import.go"))].click().run()
    assert time.monotonic() - started < 10 and not at.exception          # the script did not wait for it
    bars = [p.proto.text for p in at.get("progress")]
    assert bars and bars[0].startswith(_t(lang, "my_data.progress", percent=0).split("0")[0])
    assert _t(lang, "my_data.progress.busy") in _messages(at)             # one import at a time
    at.run()                                                              # the page answers meanwhile
    assert not at.exception
    _settle(at)
    [made] = my_data.list_sets(data_folder)
    assert made.counts == [3334, 3333, 3333]
    assert _t(lang, "my_data.report.added", n=10_000) in _messages(at)
    # Stopped half-way, an import into the set adds nothing.
    at.file_uploader(key="my_data_zip_0").set_value(("more.zip", big, "application/zip")).run()
    at.button(key="my_data_stop").click().run()
    _settle(at)
    assert _t(lang, "my_data.progress.stopped") in _messages(at)
    assert my_data.summary(made.id, data_folder).counts == [3334, 3333, 3333]


def test_a_script_made_set_is_everyones_and_its_augmentation_is_shown_when_asked(data_folder):
    made = my_data.create_set("by a script", ["a", "b"], owner="", root=data_folder)
    for label in (0, 1):
        my_data.add_drawing(made.id, label, np.dstack([_bar()] * 3 + [np.full((280, 280), 255, np.uint8)]),
                            root=data_folder)
    at = _open("zh", owner="tok-anyone-ffffffffffff")
    assert "by a script" in _html(at) + str([h.value for h in at.get("heading")]) + _messages(at), "listed for all"
    at.toggle(key=f"augment_show_{made.id}").set_value(True).run()
    assert not at.exception, at.exception
    shown = [img.caption for element in at.get("image") for img in element.proto.imgs]
    originals = [c for c in shown if c.endswith(_t("zh", "augment.original"))]
    assert [c.split(" · ")[0] for c in originals] == ["a", "b"], shown   # one of each class, then its copies
    assert shown.count(_t("zh", "augment.seen", n=1)) == 2
