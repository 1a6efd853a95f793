"""Home's first lines for a student of a class: who they are in which class, and what the teacher assigned
(a lesson, or any page of the app as a link), above everything else."""

from __future__ import annotations

from urllib.parse import parse_qsl

import streamlit as st

from cnn import classroom, lessons
from pages import registry
from pages.views import errors, identity
from pages.views.class_view import describe_assignment
from pages.views.language import lang, tr
from pages.views.text import say


def show() -> None:
    """The banner, or, with the class database out of reach, a line saying so (Home goes on below it)."""
    try:
        person = identity.person()
        info = identity.room().get_class(person.class_id)
    except classroom.Unavailable as exc:
        errors.database_unavailable(exc, "class_banner")
        return
    if info is None:
        return
    with st.container(border=True, key="class_banner"):
        say(tr("home.class.member"), nickname=person.nickname, name=info.name)
        target = info.assignment
        if not target:
            st.caption(tr("home.class.nothing"))
            return
        st.markdown(f"**{tr('home.class.assigned')}**")
        label = describe_assignment(target)
        if target.startswith("lesson:"):
            n = int(target.split(":")[1])
            if n in lessons.LESSONS:
                st.page_link("pages/lessons.py", label=label, icon=":material/school:", query_params={"lesson": n})
            return
        page, _, query = target.removeprefix("link:").partition("?")
        entry = registry.BY_URL.get(page)
        if entry is not None:
            st.page_link(entry.file, label=label, icon=entry.icon,
                         query_params={**dict(parse_qsl(query)), "lang": lang()})
