"""My data: add samples to a class (drawn on the Draw page's own pad, pictures, a zip of folders), and every class
as a grid of thumbnails, newest first, each with its delete button for whoever may change the set."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from cnn import my_data
from pages.views import controls, draw_pad, errors, identity, my_data_tasks, text
from pages.views.language import tr
from pages.views.my_data_sets import error_text, flash, may_change

PAD = "my_data_pad"
PAD_RESETS = "my_data_pad_resets"     # bumped after each saved drawing: the pad wipes itself
PAD_SAVED = "my_data_pad_saved"       # the drawing saved last, as (its send's number, digest): the pad
                                      # still reports it after the wipe; a later one, even identical, has a new number
UPLOADS = "my_data_uploads"           # bumped after each batch: a fresh, empty uploader
HELD_OUT = "my_data_held_out"         # the teacher's toggle: drawings go into the held-out part
SHOWN = 30                            # thumbnails a class shows (its newest)
LIVE_S = 3.0                          # a class set's samples refresh this often (everyone sees it grow)
COLUMNS = 10


def _mark(raw, seq: int) -> tuple[int, str]:
    return seq, hashlib.blake2s(raw.tobytes(), digest_size=12).hexdigest()


def pick_class(current: my_data.SetSummary) -> int:
    """The class new samples go into."""
    options = list(range(len(current.classes)))
    return controls.select(tr("my_data.add.class"), options, f"my_data_class_{current.id}", widget=st.radio,
                           horizontal=True,
                           format_func=lambda i: f"{text.md(current.classes[i])} ({current.counts[i]})")


def teaches_set(current: my_data.SetSummary) -> bool:
    """This browser is the teacher of a class data set's class: it draws the held-out part, sees who drew what."""
    return bool(current.class_code) and may_change(current)


def add(current: my_data.SetSummary) -> None:
    st.subheader(tr("my_data.add.title"))
    label = pick_class(current)
    draw, pictures, archive = st.tabs([tr("my_data.add.draw"), tr("my_data.add.pictures"), tr("my_data.add.zip")])
    with draw:
        drawing(current.id, label, current.classes[label], teaches_set(current))
    with pictures:
        upload_pictures(current, label)
    with archive:
        upload_zip(current)


@errors.fragment
def drawing(set_id: str, label: int, class_name: str, may_hold_out: bool = False) -> None:
    """The pad; "Save drawing" puts it into the class at once and wipes the pad for the next one. A fragment:
    the pad's sends while the pen moves rerun only this. The teacher of a class set may draw the held-out part
    (for the leaderboard's scores, never trained on)."""
    left, right = st.columns([3, 2], gap="large")
    with left:
        stroke = controls.slider(tr("draw.stroke"), 6, 40, "my_data_stroke", default=20)
        raw, seq = draw_pad.draw_pad(PAD, stroke, reset=st.session_state.get(PAD_RESETS, 0))
    if raw is not None and _mark(raw, seq) == st.session_state.get(PAD_SAVED):
        raw = None                                    # the one just saved: the pad is already wiped
    with right:
        text.say(tr("my_data.draw.into"), name=class_name)
        st.caption(tr("my_data.draw.help"))
        held_out = may_hold_out and controls.toggle(tr("my_data.held_out.toggle"), HELD_OUT,
                                                    help=tr("my_data.held_out.toggle_help"))
        if st.button(tr("my_data.draw.save"), key="my_data_save_drawing", type="primary", icon=":material/save:"):
            if raw is None:
                st.info(tr("my_data.error.drawing_empty"))
                return
            try:
                my_data.add_drawing(set_id, label, raw, by=identity.me(), held_out=held_out)
            except my_data.MyDataError as exc:
                st.info(error_text(exc))
                return
            st.session_state[PAD_SAVED] = _mark(raw, seq)
            st.session_state[PAD_RESETS] = st.session_state.get(PAD_RESETS, 0) + 1
            flash("success", tr("my_data.draw.saved_held_out" if held_out else "my_data.draw.saved",
                                name=text.md(class_name)))
            st.rerun()


def upload_pictures(current: my_data.SetSummary, label: int) -> None:
    """PNG or JPEG pictures, several at once, into the chosen class; each checked like every upload."""
    as_drawing = False
    if current.channels == 1 or not current.channels_chosen:
        as_drawing = controls.toggle(tr("my_data.pictures.as_drawing"), "my_data_as_drawing",
                                     help=tr("my_data.pictures.as_drawing_help"))
    if my_data_tasks.running():
        st.info(tr("my_data.progress.busy"))
        return
    count = st.session_state.get(UPLOADS, 0)
    files = st.file_uploader(tr("my_data.pictures.label"), type=["png", "jpg", "jpeg"], accept_multiple_files=True,
                             key=f"my_data_pictures_{count}", help=tr("upload.help"))
    if not files:
        return
    my_data_tasks.start(my_data.add_pictures, current.id, label, [(f.name, f.getvalue()) for f in files],
                        by=identity.me(), as_drawing=as_drawing)
    st.session_state[UPLOADS] = count + 1            # a fresh, empty uploader
    st.rerun()


def upload_zip(current: my_data.SetSummary) -> None:
    """A zip of folders named like the classes: each folder's pictures into its class."""
    st.caption(tr("my_data.zip.help"))
    if my_data_tasks.running():
        st.info(tr("my_data.progress.busy"))
        return
    count = st.session_state.get(UPLOADS, 0)
    file = st.file_uploader(tr("my_data.zip.label"), type=["zip"], key=f"my_data_zip_{count}")
    if file is None:
        return
    my_data_tasks.start(my_data.add_zip, current.id, file.getvalue(), by=identity.me())
    st.session_state[UPLOADS] = count + 1
    st.rerun()


@errors.callback
def _delete(set_id: str, sample_id: str) -> None:
    try:
        my_data.delete_sample(set_id, sample_id)
    except my_data.MyDataError as exc:
        flash("warning", error_text(exc))


@errors.callback
def _hold_out(set_id: str, sample_id: str, held_out: bool) -> None:
    try:
        if not may_change(my_data.summary(set_id)):      # checked again: only the teacher moves samples
            return
        my_data.set_held_out(set_id, [sample_id], held_out)
    except my_data.MyDataError as exc:
        flash("warning", error_text(exc))


@st.cache_data(max_entries=20_000, show_spinner=False)
def _thumbnail(root: str, set_id: str, sample_id: str):
    """A sample never changes once saved (a new one gets a new id): its thumbnail is read once."""
    return my_data.thumbnail(set_id, sample_id, 56, root=Path(root))


def grid(current: my_data.SetSummary, deletable: bool) -> None:
    """Each class: its name and count, then its newest samples as thumbnails, each with a delete button where
    this browser may change the set. A class set refreshes by itself (everyone sees it grow): its teacher sees
    who drew each sample and the held-out part apart, with buttons that move a sample in or out of it; its
    students see only how many drawings are held out, never the drawings."""
    if not current.class_code:
        _samples(current.id, deletable, False)
        return

    @errors.fragment(run_every=LIVE_S)
    def live() -> None:
        _samples(current.id, deletable, teaches_set(current))

    live()


def _samples(set_id: str, deletable: bool, teacher: bool) -> None:
    st.subheader(tr("my_data.samples.title"))
    try:
        current = my_data.summary(set_id)
        every = my_data.samples(set_id)
    except my_data.MyDataError:
        st.info(tr("my_data.samples.gone"))
        return
    root = str(my_data.default_root())
    nicknames = identity.room().nicknames(s.by for s in every) if teacher else {}
    training = [s for s in every if not s.held_out]
    held = [s for s in every if s.held_out]
    if current.class_code:
        st.caption(tr("my_data.samples.live", n=len(training), held=len(held)))
    if held and not teacher:
        st.info(tr("my_data.held_out.hidden", n=len(held)), icon=":material/visibility_off:")
    by_class: dict[int, list[my_data.Sample]] = {i: [] for i in range(len(current.classes))}
    for sample in training:
        by_class.setdefault(sample.label, []).append(sample)
    for label, name in enumerate(current.classes):
        items = by_class.get(label, [])[::-1]
        with st.container(border=True, key=f"my_data_class_box_{label}"):
            text.say(tr("my_data.samples.class"), name=name, n=len(items))
            _thumbnails(root, set_id, items, deletable, teacher, nicknames, held_out=False)
    if held and teacher:
        with st.container(border=True, key="my_data_held_out_box"):
            text.say(tr("my_data.held_out.title"), n=len(held))
            st.caption(tr("my_data.held_out.help"))
            for label, name in enumerate(current.classes):
                items = [s for s in held if s.label == label][::-1]
                if items:
                    text.say(tr("my_data.samples.class"), name=name, n=len(items))
                    _thumbnails(root, set_id, items, deletable, teacher, nicknames, held_out=True)


def _thumbnails(root: str, set_id: str, items: list[my_data.Sample], deletable: bool, teacher: bool,
                nicknames: dict[str, str], *, held_out: bool) -> None:
    if not items:
        st.caption(tr("my_data.samples.none"))
        return
    if len(items) > SHOWN:
        st.caption(tr("my_data.samples.newest", shown=SHOWN, n=len(items)))
    cells = st.columns(COLUMNS)
    for k, sample in enumerate(items[:SHOWN]):
        with cells[k % COLUMNS]:
            try:
                picture = _thumbnail(root, set_id, sample.id)
            except (OSError, my_data.MyDataError):
                continue                      # deleted by someone else while we drew
            who = nicknames.get(sample.by) if teacher else None
            st.image(picture, width=56, caption=text.md(who) if who else None)
            if deletable:
                st.button("", key=f"my_data_del_{sample.id}", icon=":material/delete:",
                          help=tr("my_data.samples.delete"), on_click=_delete, args=(set_id, sample.id))
            if teacher:
                st.button("", key=f"my_data_{'unhold' if held_out else 'hold'}_{sample.id}",
                          icon=":material/school:" if held_out else ":material/visibility_off:",
                          help=tr("my_data.held_out.give_back" if held_out else "my_data.held_out.move"),
                          on_click=_hold_out, args=(set_id, sample.id, not held_out))


def augmentation(current: my_data.SetSummary) -> None:
    """What a network trained on this set will see (pages/views/augment_preview.py), for a few of its samples:
    one of each class in turn, read alone (never the whole set on every rerun). Shown when asked for."""
    import torch

    from cnn import data
    from pages.views import augment_preview

    if not st.toggle(tr("augment.title"), key=f"augment_show_{current.id}"):
        return
    kept = [s for s in my_data.samples(current.id) if not s.held_out]
    rows = augment_preview._rows(np.array([s.label for s in kept]), len(current.classes))   # one of each in turn
    picked = [kept[i] for i in rows]
    if not picked:
        st.info(tr("augment.empty"))
        return
    pictures = []
    for sample in picked:
        picture = my_data.read_sample(current.id, sample.id)
        pictures.append(picture[None] if picture.ndim == 2 else picture.transpose(2, 0, 1))
    channels = max(p.shape[0] for p in pictures)
    images = torch.from_numpy(np.stack([np.repeat(p, channels // p.shape[0], 0) for p in pictures]))
    few = data.Dataset(current.dataset, "train", images, torch.tensor([s.label for s in picked]),
                       list(current.classes))
    augment_preview.augment_preview(few, key=f"augment_{current.id}")
