"""Class: a student joins with the class code and a nickname; a teacher creates a class (or opens it from
another browser with its secret) and sees it live: who solved what, who trains what, each one's best run;
assigns a lesson, locks the Train page's limits, exports the results, projects the page."""

import streamlit as st

from pages.views import class_board, class_forms, class_view, identity, projector, shared
from pages.views.language import tr
from pages.views.page import begin

begin("class")
room = identity.room()
me = identity.me()
taught = room.teacher_classes(me)

if taught:
    info = class_view.pick_class(taught)
    top = st.columns([3, 1], vertical_alignment="center")
    with top[0]:
        class_view.header(info)
    top[1].toggle(tr("class.projector"), value=projector.on(), key="projector_toggle",
                  on_change=class_view.toggle_projector, help=tr("class.projector_help"))
    class_view.live(room, shared.job_manager(), info.id)
    class_board.boards(info, key="teacher")      # each class data set's leaderboard, with Reveal
    left, right = st.columns(2, gap="large")
    with left.container(border=True):
        class_view.assign(room, info)
    with right.container(border=True):
        class_view.limits(room, info)
    class_view.exports(room, shared.job_manager(), info)
    st.divider()

if not projector.on():
    student, teacher = st.columns(2, gap="large")
    with student.container(border=True):
        class_forms.student(room, me)
    with teacher.container(border=True):
        class_forms.teacher(room, me, has_classes=bool(taught))
    mine = identity.my_class()
    if mine is not None and mine.id not in {c.id for c in taught}:
        class_board.boards(mine, key="student")   # the student's class's leaderboards
