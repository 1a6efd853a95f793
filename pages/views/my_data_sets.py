"""My data: which data set, a new one (named classes, or a zip of folders), what its owner may change, and the
messages every part of the page shares. Names users typed are shown as text (pages/views/text.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from cnn import images, my_data
from pages.views import controls, errors, identity, sources, text
from pages.views.language import tr

FLASH = "my_data_flash"
CURRENT = "my_data_set"
CHANNELS = ("auto", "gray", "rgb")
CHANNEL_VALUES = {"auto": None, "gray": 1, "rgb": 3}


# ---------------------------------------------------------------- messages


def error_text(exc: Exception) -> str:
    """A refusal in the user's language (for Markdown: names in it escaped)."""
    if isinstance(exc, images.ImageError):
        return sources.image_error(exc)
    params = {k: text.md(v) if isinstance(v, str) else v for k, v in getattr(exc, "params", {}).items()}
    return tr(f"my_data.error.{exc.code}", **params)


def flash(kind: str, message: str) -> None:
    """A message for the next run (after st.rerun): kind "success", "warning" or "info"."""
    st.session_state.setdefault(FLASH, []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop(FLASH, []):
        getattr(st, kind)(message)


def report_text(report: my_data.ImportReport) -> tuple[str, str]:
    """(kind, message) for what a batch of pictures or a zip gave."""
    if not report.added and sum(report.skipped.values()) == 1 and not report.ignored:   # one picture: its reason
        return "warning", tr("my_data.pictures.refused", reason=tr(f"my_data.skip.{next(iter(report.skipped))}"))
    parts = [tr("my_data.report.added", n=report.added)]
    parts += [tr("my_data.report.skipped", n=n, reason=tr(f"my_data.skip.{code}"))
              for code, n in sorted(report.skipped.items())]
    if report.ignored:
        parts.append(tr("my_data.report.ignored", n=report.ignored))
    if report.unknown_folders:
        parts.append(tr("my_data.report.unknown", folders=", ".join(text.md(f) for f in report.unknown_folders[:10])))
    kind = "success" if report.added and not report.skipped and not report.unknown_folders else "warning"
    return kind, " ".join(parts)


# ---------------------------------------------------------------- who


def owner_label(owner: str) -> str:
    if owner and owner == identity.me():
        return tr("my_data.owner.you")
    if not owner:
        return tr("my_data.owner.nobody")
    return identity.room().person(owner).nickname or tr("my_data.owner.someone")


def may_change(current: my_data.SetSummary) -> bool:
    """Rename, delete, remove samples: the set's owner, or the teacher of the owner's class; for a class's set,
    also its class's teacher in another browser (opened with the teacher secret)."""
    if identity.may_manage(current.owner):
        return True
    if not current.class_code:
        return False
    room = identity.room()
    made_for = room.class_by_code(current.class_code)
    return made_for is not None and room.is_teacher(identity.me(), made_for.id)


def may_add(current: my_data.SetSummary) -> bool:
    """Add samples: whoever may change the set, and, to a class's set, every student of that class."""
    if may_change(current):
        return True
    mine = identity.my_class() if current.class_code else None
    return mine is not None and mine.code == current.class_code


# ---------------------------------------------------------------- which set


def pick(sets: list[my_data.SetSummary]) -> my_data.SetSummary | None:
    """The set this session works on (kept by id), listed with its owner and size."""
    if not sets:
        return None
    by_id = {s.id: s for s in sets}
    chosen = controls.select(tr("my_data.pick"), list(by_id), CURRENT, format_func=lambda i: tr(
        "my_data.pick.option", name=by_id[i].name, owner=owner_label(by_id[i].owner), classes=len(by_id[i].classes)))
    return by_id.get(chosen)


def _choose(set_id: str) -> None:
    controls.put(CURRENT, set_id)


def _class_names(typed: str) -> list[str]:
    return [line for line in (typed or "").splitlines() if line.strip()]


def new_set(expanded: bool) -> None:
    """Name the set and its classes (one a line, any language); gray, colour or as the pictures are; a side."""
    with st.expander(tr("my_data.new.title"), expanded=expanded, icon=":material/add:"):
        with st.form("my_data_new", border=False):
            name = st.text_input(tr("my_data.new.name"), key="my_data_new_name",
                                 placeholder=tr("my_data.new.name_hint"))
            typed = st.text_area(tr("my_data.new.classes"), key="my_data_new_classes",
                                 placeholder=tr("my_data.new.classes_hint"), help=tr("my_data.new.classes_help"))
            shown = {c: tr(f"my_data.channels.{c}") for c in CHANNELS}   # made now: AppTest calls it later
            channels = st.radio(tr("my_data.new.channels"), CHANNELS, key="my_data_new_channels", horizontal=True,
                                format_func=shown.get)
            side = st.selectbox(tr("my_data.new.side"), my_data.SIDES, key="my_data_new_side",
                                help=tr("my_data.new.side_help"))
            code = _class_choice()
            if st.form_submit_button(tr("my_data.new.create"), type="primary"):
                try:
                    made = my_data.create_set(name, _class_names(typed), owner=identity.me(),
                                              channels=CHANNEL_VALUES[channels], side=int(side), class_code=code)
                except my_data.MyDataError as exc:
                    st.error(error_text(exc))
                    return
                _choose(made.id)
                flash("success", tr("my_data.new.made", name=text.md(made.name)))
                st.rerun()


def _class_choice() -> str | None:
    """A teacher may make the set their class's: every student of it may then add samples."""
    taught = identity.room().teacher_classes(identity.me())
    if not taught:
        return None
    shown = {None: tr("my_data.new.alone")} | {c.code: c.name for c in taught}
    return st.selectbox(tr("my_data.new.for_class"), list(shown), key="my_data_new_class", format_func=shown.get)


def import_set() -> None:
    """A new set from a zip: one folder per class (torchvision's ImageFolder), or a set exported here."""
    with st.expander(tr("my_data.import.title"), icon=":material/folder_zip:"):
        st.caption(tr("my_data.import.help"))
        from pages.views import my_data_tasks

        if my_data_tasks.running():
            st.info(tr("my_data.progress.busy"))
            return
        with st.form("my_data_import", border=False, clear_on_submit=True):
            file = st.file_uploader(tr("my_data.import.file"), type=["zip"], key="my_data_import_file")
            name = st.text_input(tr("my_data.new.name"), key="my_data_import_name",
                                 placeholder=tr("my_data.import.name_hint"))
            if st.form_submit_button(tr("my_data.import.go"), type="primary"):
                if file is None:
                    st.warning(tr("my_data.import.no_file"))
                    return
                # In a thread of its own: 10,000 pictures take seconds, and the page stays usable meanwhile.
                my_data_tasks.start(my_data.import_zip, file.getvalue(),
                                    name=name.strip() or Path(file.name).stem, owner=identity.me())
                st.rerun()


# ---------------------------------------------------------------- one set


def training_view(current: my_data.SetSummary) -> my_data.SetSummary:
    """The set as its trainers see it: the counts (in the header, the class picker, the warnings) without the
    held-out drawings, which no run trains on (the header says how many are held out)."""
    if not current.held_out:
        return current
    counts = list(current.counts)
    try:
        every = my_data.samples(current.id)
    except my_data.MyDataError:          # deleted a moment ago: the page says so further down
        return current
    for sample in every:
        if sample.held_out and 0 <= sample.label < len(counts):
            counts[sample.label] -= 1
    return dataclasses.replace(current, counts=counts)



def header(current: my_data.SetSummary) -> None:
    """Its name and owner, its shape, the counts per class and the warnings."""
    text.say(tr("my_data.header"), tag="h3", name=current.name)
    shape = tr(f"my_data.channels.{'rgb' if current.channels == 3 else 'gray'}") if current.channels_chosen \
        else tr("my_data.channels.auto")
    st.caption(tr("my_data.about", owner=text.md(owner_label(current.owner)), n=current.total, shape=shape,
                  side=current.side) + (" · " + tr("my_data.held_out", n=current.held_out) if current.held_out else ""))
    found = my_data.warnings(current)
    few = [params for code, params in found if code == "few"]
    if few:   # one warning naming every class that has too few
        listed = tr("my_data.list_separator").join(f"{text.md(p['name'])} ({p['count']})" for p in few)
        st.warning(tr("my_data.warn.few", classes=listed, min=my_data.FEW), icon=":material/warning:")
    for code, params in found:
        if code != "few":
            named = {k: text.md(v) if isinstance(v, str) else v for k, v in params.items()}
            st.warning(tr(f"my_data.warn.{code}", **named), icon=":material/warning:")


@errors.callback
def _rename(set_id: str) -> None:
    try:
        my_data.rename_set(set_id, st.session_state.get(f"my_data_rename_{set_id}", ""))
        flash("success", tr("my_data.manage.renamed"))
    except my_data.MyDataError as exc:
        flash("warning", error_text(exc))


@errors.callback
def _rename_classes(set_id: str, count: int) -> None:
    try:
        names = [st.session_state.get(f"my_data_class_name_{set_id}_{i}", "") for i in range(count)]
        current = my_data.summary(set_id)
        for i, name in enumerate(names):
            if name != current.classes[i]:
                my_data.rename_class(set_id, i, name)
        added = st.session_state.get(f"my_data_new_class_{set_id}", "")
        if added.strip():
            my_data.add_class(set_id, added)
        flash("success", tr("my_data.manage.classes_saved"))
    except my_data.MyDataError as exc:
        flash("warning", error_text(exc))


@errors.callback
def _delete(set_id: str) -> None:
    try:
        my_data.delete_set(set_id)
        flash("success", tr("my_data.manage.deleted"))
    except my_data.MyDataError as exc:
        flash("warning", error_text(exc))


def manage(current: my_data.SetSummary) -> None:
    """Rename the set and its classes, add a class, export it as a zip, delete it (the owner or the teacher)."""
    with st.expander(tr("my_data.manage.title"), icon=":material/settings:"):
        left, right = st.columns(2, gap="large")
        with left:
            st.text_input(tr("my_data.manage.name"), value=current.name, key=f"my_data_rename_{current.id}")
            st.button(tr("my_data.manage.rename"), key=f"my_data_rename_go_{current.id}", on_click=_rename,
                      args=(current.id,))
            for i, name in enumerate(current.classes):
                st.text_input(tr("my_data.manage.class", n=i + 1), value=name,
                              key=f"my_data_class_name_{current.id}_{i}")
            if len(current.classes) < my_data.MAX_CLASSES:
                st.text_input(tr("my_data.manage.add_class"), key=f"my_data_new_class_{current.id}")
            st.button(tr("my_data.manage.save_classes"), key=f"my_data_classes_go_{current.id}",
                      on_click=_rename_classes, args=(current.id, len(current.classes)))
        with right:
            ready = st.session_state.get("my_data_export")
            if ready is None or ready[0] != (current.id, current.total):
                if st.button(tr("my_data.export.prepare"), key=f"my_data_export_go_{current.id}",
                             icon=":material/folder_zip:"):
                    st.session_state["my_data_export"] = ((current.id, current.total), my_data.export_zip(current.id))
                    st.rerun()
            else:
                st.download_button(tr("my_data.export.download"), ready[1], file_name=f"{current.id}.zip",
                                   mime="application/zip", key=f"my_data_export_dl_{current.id}",
                                   icon=":material/download:")
            st.caption(tr("my_data.export.help"))
            st.divider()
            sure = st.checkbox(tr("my_data.manage.sure"), key=f"my_data_sure_{current.id}")
            st.button(tr("my_data.manage.delete"), key=f"my_data_delete_{current.id}", disabled=not sure,
                      on_click=_delete, args=(current.id,), icon=":material/delete_forever:")
