"""The Class page's forms: a student joins (code + nickname) or leaves; a teacher creates a class or opens
one with its secret. cnn.classroom checks everything; a refusal is shown in the user's language."""

from __future__ import annotations

import streamlit as st

from cnn import classroom
from pages.views import errors
from pages.views.language import tr
from pages.views.text import say


def _refusal(exc: classroom.ClassroomError) -> str:
    return tr(f"class.error.{exc.code}", **exc.params)


def _join(room: classroom.Classroom, me: str) -> None:
    try:
        room.join(me, st.session_state.get("join_code", ""), st.session_state.get("join_nickname", ""))
    except classroom.ClassroomError as exc:
        st.session_state.class_notice = ("join", _refusal(exc))


def _create(room: classroom.Classroom, me: str) -> None:
    try:
        room.create_class(st.session_state.get("new_class_name", ""), st.session_state.get("new_class_code", ""),
                          st.session_state.get("new_class_secret", ""), me)
    except classroom.ClassroomError as exc:
        st.session_state.class_notice = ("create", _refusal(exc))
        return
    st.session_state.pop("new_class_code", None)     # a fresh suggestion for the next class


def _open(room: classroom.Classroom, me: str) -> None:
    try:
        room.open_as_teacher(st.session_state.get("open_class_code", ""), st.session_state.get("open_class_secret", ""),
                             me)
    except classroom.ClassroomError as exc:
        st.session_state.class_notice = ("open", _refusal(exc))


def _notice(where: str) -> None:
    notice = st.session_state.get("class_notice")
    if notice and notice[0] == where:
        st.session_state.pop("class_notice")
        st.error(notice[1])


def student(room: classroom.Classroom, me: str) -> None:
    st.subheader(tr("class.student.title"))
    person = room.person(me)
    info = room.get_class(person.class_id)
    if info is not None:
        say(tr("class.student.member"), nickname=person.nickname, name=info.name)
        st.button(tr("class.student.leave"), on_click=errors.callback(room.leave), args=(me,))
        return
    st.caption(tr("class.student.alone"))
    with st.form("join_class", border=False):
        st.text_input(tr("class.code"), key="join_code", max_chars=12, placeholder="AB12CD")
        st.text_input(tr("class.nickname"), key="join_nickname", max_chars=classroom.NICKNAME_MAX,
                      help=tr("class.nickname_help"))
        st.form_submit_button(tr("class.student.join"), type="primary", on_click=errors.callback(_join),
                              args=(room, me))
    _notice("join")


def teacher(room: classroom.Classroom, me: str, has_classes: bool) -> None:
    st.subheader(tr("class.teacher.title"))
    st.caption(tr("class.teacher.intro"))
    with st.expander(tr("class.teacher.create"), expanded=not has_classes):
        st.session_state.setdefault("new_class_code", classroom.new_code())
        with st.form("create_class", border=False):
            st.text_input(tr("class.name"), key="new_class_name", max_chars=classroom.CLASS_NAME_MAX)
            st.text_input(tr("class.code"), key="new_class_code", max_chars=12, help=tr("class.code_help"))
            st.text_input(tr("class.secret"), key="new_class_secret", type="password", help=tr("class.secret_help"))
            st.form_submit_button(tr("class.teacher.create_button"), type="primary",
                                  on_click=errors.callback(_create), args=(room, me))
        _notice("create")
    with st.expander(tr("class.teacher.open"), expanded=False):
        with st.form("open_class", border=False):
            st.text_input(tr("class.code"), key="open_class_code", max_chars=12)
            st.text_input(tr("class.secret"), key="open_class_secret", type="password")
            st.form_submit_button(tr("class.teacher.open_button"), on_click=errors.callback(_open), args=(room, me))
        _notice("open")
