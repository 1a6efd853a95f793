"""Who this browser is in the class: its token (pages/views/owner.py), and what the classroom database
(cnn.classroom) knows of it: nickname, class, teacher of which classes, the language it chose."""

from __future__ import annotations

import streamlit as st

from cnn import classroom
from cnn.i18n import LANGUAGES
from pages.views import owner


@st.cache_resource(show_spinner=False)
def _room(url: str) -> classroom.Classroom:
    return classroom.Classroom(url)


def room() -> classroom.Classroom:
    """The classroom database of this server (one per URL, so a test's temporary folder gets its own)."""
    return _room(classroom.default_url())


def me() -> str:
    """This browser's token. app.py asks owner.browser_token() once at the top of every run (it may mount
    the cookie's component, which can appear only once a run); everything after reads it from here."""
    return st.session_state.get("owner") or owner.browser_token()


def person() -> classroom.Person:
    return room().person(me())


def my_class() -> classroom.ClassInfo | None:
    return room().get_class(person().class_id)


def remembered_language() -> str | None:
    """The language this browser chose last time (read from its cookie alone: no component yet); None when
    there is none, or the database is out of reach (the page opens in the default language)."""
    token = st.context.cookies.get(owner.COOKIE)
    if not isinstance(token, str) or not owner.TOKEN.match(token):
        return None
    try:
        language = room().person(token).language
    except classroom.Unavailable:
        return None
    return language if language in LANGUAGES else None


def keep_language(language: str) -> None:
    """Remember the choice for this browser's next tab; with the database out of reach it holds for the
    session only (the switch itself never fails)."""
    try:
        room().set_language(me(), language)
    except classroom.Unavailable:
        pass


def may_manage(run_owner: str) -> bool:
    """cnn.classroom's one rule: the run's owner, or the teacher of the owner's class."""
    return room().may_manage(me(), run_owner)


def teaches() -> bool:
    """This browser is the teacher of a class (its runs may go ahead of the students' waiting runs)."""
    return bool(room().teacher_classes(me()))


def sees_set(set_owner: str, class_code: str | None) -> bool:
    """Whether this browser sees a data set of someone's own (My data, the Train page's menu): its owner, the
    owner's teacher, and, for a class's set, every student and the teacher of that class. A set made by no one
    (a script's) is everyone's. Another student's private set stays theirs."""
    if not set_owner or may_manage(set_owner):
        return True
    if not class_code:
        return False
    mine = my_class()
    if mine is not None and mine.code == class_code:
        return True
    return any(c.code == class_code for c in room().teacher_classes(me()))
