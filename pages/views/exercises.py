"""A checked exercise: the prompt, an answer field, Check, a hint after a wrong answer, the worked
solution on request, and a link to the exercise. cnn.lessons checks the answer; this only shows it."""

from __future__ import annotations

import streamlit as st

from cnn import lessons
from pages.views import errors, progress
from pages.views.language import lang, tr


def solved() -> set[str]:
    """The exercises answered right (kept by pages/views/progress.py)."""
    return progress.solved()


def _results() -> dict[str, tuple[str, dict]]:
    return st.session_state.setdefault("lessons_results", {})


def _check(lesson: int, item: lessons.Exercise) -> None:
    text = st.session_state.get(f"answer_{item.id}", "")
    try:
        verdict = item.verdict(text)
    except lessons.AnswerError as exc:
        _results()[item.id] = (f"exercise.error.{exc.code}", exc.params)
        return
    progress.attempt(lesson, item.id, verdict.right)
    if verdict.right:
        _results()[item.id] = ("right", {"answer": text.strip()})
    else:
        _results()[item.id] = ("wrong", {"mistake": verdict.mistake})


def link(lesson: int, item: lessons.Exercise) -> str:
    base = (st.context.url or "").split("?")[0]
    return f"{base}?lesson={lesson}&lang={lang()}#exercise-{item.id}"


def exercise(lesson: int, item: lessons.Exercise) -> None:
    done = item.id in solved()
    mark = f" · ✓ {tr('exercise.solved')}" if done else ""
    st.subheader(f"{tr('exercise.title', id=item.id)}{mark}", anchor=f"exercise-{item.id}")
    prompt = tr(f"exercise.{item.id}.prompt", **item.params)
    if item.decimals is not None:
        prompt += " " + tr("exercise.precision", decimals=item.decimals)
    st.markdown(prompt)
    placeholder = tr("exercise.placeholder_number") if item.kind == "number" else \
        tr("exercise.placeholder_integers", count=item.count)
    with st.form(key=f"form_{item.id}", border=False):
        row = st.columns([3, 1], vertical_alignment="bottom")
        row[0].text_input(tr("exercise.answer"), key=f"answer_{item.id}", placeholder=placeholder)
        row[1].form_submit_button(tr("exercise.check"), on_click=errors.callback(_check), args=(lesson, item),
                                  width="stretch")
    outcome = _results().get(item.id)
    if outcome is not None:
        code, params = outcome
        if code == "right":
            st.success(tr("exercise.right", answer=params["answer"]), icon=":material/check_circle:")
        elif code == "wrong":
            mistake = params.get("mistake")
            hint = tr(f"exercise.{item.id}.mistake.{mistake}" if mistake else f"exercise.{item.id}.hint", **item.params)
            st.warning(tr("exercise.wrong", hint=hint), icon=":material/lightbulb:")
        else:
            st.error(tr(code, **params))
    with st.expander(tr("exercise.show")):
        st.markdown(tr(f"exercise.{item.id}.solution", answer=item.solution_text(), **item.params))
    st.caption(f"[{tr('exercise.link')}]({link(lesson, item)})")
