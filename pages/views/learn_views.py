"""The views of How a kernel learns: the maps, one step's update written out, the loss as a landscape with the
path the kernel took, and how max pooling passes its gradient back. Plain values in; they only draw."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn import kernel_learning as kl
from cnn import viz
from pages.views import arithmetic, controls
from pages.views.language import tr


def maps(problem: kl.Problem, output: np.ndarray) -> None:
    """Input, output, target and their difference, side by side; they wrap rather than overlap."""
    st.markdown(arithmetic.row_html(*(
        arithmetic.matrix_html(values, title, signed=signed, legend=True)
        for title, values, signed in ((tr("learn.input"), problem.image, False), (tr("learn.output"), output, True),
                                      (tr("learn.target"), problem.target, True),
                                      (tr("learn.difference"), output - problem.target, True)))),
        unsafe_allow_html=True)


def update(kernel: np.ndarray, gradient: np.ndarray, lr: float, teacher_kernel: np.ndarray) -> None:
    """new kernel = kernel now − learning rate × gradient, with this step's numbers; the teacher's kernel
    apart, as the goal gradient descent never sees."""
    st.markdown(f"**{tr('learn.update_title')}**")
    goal = ('<div style="border-left:1px solid #ccc;padding-left:14px;margin-left:14px">'
            + arithmetic.matrix_html(teacher_kernel, tr("learn.teacher_kernel")) + "</div>")
    st.markdown(arithmetic.row_html(
        arithmetic.matrix_html(kernel - lr * gradient, tr("learn.kernel_next")), arithmetic.operator_html("="),
        arithmetic.matrix_html(kernel, tr("learn.kernel_now")), arithmetic.operator_html("−"),
        arithmetic.operator_html(f"{lr:.3g} ×"), arithmetic.matrix_html(gradient, tr("learn.gradient")), goal),
        unsafe_allow_html=True)
    st.caption(tr("learn.update_help", lr=f"{lr:.3g}") + " " + tr("learn.teacher_kernel_help"))


def _weight(cell: tuple[int, int]) -> str:
    return f"k[{cell[0]}, {cell[1]}]"


def landscape(problem: kl.Problem, kernel: np.ndarray, bias: float, path: np.ndarray) -> None:
    """The loss over two weights the student picks, around the current kernel, with the path so far."""
    st.markdown(f"**{tr('learn.landscape')}**")
    cells = [(i, j) for i in range(problem.size) for j in range(problem.size)]
    pick = st.columns(2)
    first = controls.select(tr("learn.landscape_x"), cells, "learn_land_x", default=cells[0], format_func=_weight,
                            widget=pick[0].selectbox)
    others = [c for c in cells if c != first]
    second = controls.select(tr("learn.landscape_y"), others, "learn_land_y",
                             default=(1, 1) if (1, 1) in others else others[0], format_func=_weight,
                             widget=pick[1].selectbox)
    land = kl.landscape_around(problem, kernel, bias, (first, second), path)
    figure = viz.landscape_figure(land.a, land.b, land.losses, path[:, first[0], first[1]],
                                  path[:, second[0], second[1]], x_title=_weight(first), y_title=_weight(second),
                                  loss_title=tr("learn.loss_short"), start=tr("learn.start"), now=tr("learn.now"))
    st.plotly_chart(figure, key="learn_landscape", config={"displayModeBar": False})
    st.caption(tr("learn.landscape_help", a=_weight(first), b=_weight(second)))


def _pool_state() -> int:
    return int(st.session_state.setdefault("learn_pool_seed", 0))


def _another_pool_map() -> None:
    st.session_state.learn_pool_seed = _pool_state() + 1


def pool_gradient() -> None:
    """A 4×4 map, 2×2 max pooling, an upstream gradient, and the gradient that flows back to the map."""
    st.subheader(tr("learn.pool_title"))
    st.caption(tr("learn.pool_help"))
    x, upstream = kl.pool_example(_pool_state())
    back = kl.max_pool_gradient(x, upstream, 2)
    winners = {(int(r), int(c)) for r, c in back.winners.reshape(-1, 2)}
    st.markdown(f"**{tr('learn.pool_forward')}**")
    st.markdown(arithmetic.row_html(
        arithmetic.matrix_html(x, tr("learn.pool_input"), marked=winners, block=2, legend=True),
        arithmetic.operator_html("→"), arithmetic.matrix_html(back.pooled, tr("learn.pool_output"), legend=True)),
        unsafe_allow_html=True)
    st.markdown(f"**{tr('learn.pool_backward')}**")
    st.markdown(arithmetic.row_html(
        arithmetic.matrix_html(back.upstream, tr("learn.pool_upstream"), legend=True), arithmetic.operator_html("→"),
        arithmetic.matrix_html(back.input_gradient, tr("learn.pool_back"), marked=winners, block=2, legend=True)),
        unsafe_allow_html=True)
    st.caption(tr("learn.pool_rule"))
    st.button(tr("learn.pool_another"), on_click=_another_pool_map, key="learn_pool_another")

