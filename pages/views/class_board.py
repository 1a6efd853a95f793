"""A class data set's leaderboard: every run of the class trained on the set, scored on the drawings the teacher
held out (cnn.leaderboard). The public score while the class trains; the final ranking on the private part once
the teacher reveals it (kept in the classroom database: every session, and the next server, sees it). Shown on
the Class page and on My data; it refreshes by itself. Nicknames and run names go into a table, as text."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnn import classroom, leaderboard, my_data
from pages.views import errors, identity
from pages.views.language import tr
from pages.views.text import say

REFRESH_S = 5.0


def class_sets(code: str) -> list[my_data.SetSummary]:
    """The class data sets made for the class with this code, newest first."""
    return [s for s in my_data.list_sets() if s.class_code == code]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@errors.callback
def _reveal(class_id: int, set_id: str, revealed: bool) -> None:
    room = identity.room()
    if room.is_teacher(identity.me(), class_id):       # checked again here: only the class's teacher reveals
        room.reveal(class_id, set_id, revealed)


def table(entries: list[leaderboard.Entry], nicknames: dict[str, str], final: bool) -> pd.DataFrame:
    """One row per run, best first: rank, nickname, run, network, accuracy (public; private once final), time."""
    rows = []
    rank = 0
    for entry in entries:
        scored = entry.problem is None and (entry.score.private if final else entry.score.public) is not None
        rank += scored
        # The scores first, so a narrow column (a phone, a projector at large fonts) still shows them.
        row = {tr("board.rank"): str(rank) if scored else "—", tr("class.nickname"): nicknames.get(entry.owner, "")}
        if final:
            row[tr("board.private")] = _percent(entry.score.private)
        row[tr("board.public")] = _percent(entry.score.public)
        row[tr("board.network")] = entry.network
        row[tr("board.time")] = _clock(entry.seconds)
        row[tr("board.run")] = entry.name
        row[tr("board.note")] = tr(f"board.problem.{entry.problem}") if entry.problem else ""
        rows.append(row)
    return pd.DataFrame(rows)


def board(info: classroom.ClassInfo, current: my_data.SetSummary, *, key: str) -> None:
    """The leaderboard of one class set, refreshing by itself; the class's teacher gets the Reveal button."""

    @errors.fragment(run_every=REFRESH_S)
    def refresh() -> None:
        room = identity.room()
        teacher = room.is_teacher(identity.me(), info.id)
        final = room.revealed(info.id, current.id)
        nicknames = {s.token: s.nickname or "" for s in room.students(info.id)}
        with st.container(border=True, key=f"board_{key}_{current.id}"):
            say(tr("board.title"), tag="h3", name=current.name)
            try:
                entries = leaderboard.class_board(current.id, nicknames, final=final)
                held = my_data.summary(current.id).held_out
            except my_data.MyDataError:
                st.info(tr("board.gone"))
                return
            if not held:
                st.info(tr("board.no_holdout"))
            else:
                n_public = sum(leaderboard.is_public(s.id) for s in my_data.samples(current.id) if s.held_out)
                st.caption(tr("board.final_help" if final else "board.public_help", n=held, public=n_public,
                              private=held - n_public))
            if final:
                st.success(tr("board.final"), icon=":material/emoji_events:")
            if entries:
                names = {tr(k): st.column_config.TextColumn(width="medium") for k in ("class.nickname", "board.run")}
                st.dataframe(table(entries, nicknames, final), hide_index=True, width="stretch",
                             column_config=names, key=f"board_table_{key}_{current.id}")
            else:
                st.caption(tr("board.none"))
            if teacher:
                st.button(tr("board.hide") if final else tr("board.reveal"), key=f"board_reveal_{key}_{current.id}",
                          on_click=_reveal, args=(info.id, current.id, not final),
                          type="secondary" if final else "primary", icon=":material/emoji_events:")

    refresh()


def boards(info: classroom.ClassInfo, *, key: str) -> None:
    """The leaderboards of every class set of the class (none: nothing is drawn)."""
    for current in class_sets(info.code):
        board(info, current, key=key)
