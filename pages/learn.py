"""How a kernel learns: gradient descent on one 3x3 kernel, one step at a time, every number written out."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn import kernel_learning as kl
from cnn import kernels, viz
from pages.views import arithmetic, controls, errors, learn_views
from pages.views.language import tr
from pages.views.page import begin

TEACHERS = ("sobel_x", "sobel_y", "diagonal", "laplacian", "sharpen")
RATES = (0.1, 0.5, 1.0, 1.2)          # times the default learning rate (above ~1.1 the steps overshoot)
PATH_KEPT = 2000                      # kernels kept for the landscape's path (Play adds one every 0.4 s)

begin("learn")


def _state() -> dict:
    return st.session_state.setdefault("learn", {})


def _restart(problem: kl.Problem, seed: int) -> None:
    kernel, bias = kl.start(problem, seed)
    _state().update(kernel=kernel, bias=bias, history=[kl.loss(problem, kernel, bias)], path=[kernel], seed=seed,
                    error=None)


def _steps(problem: kl.Problem, lr: float, count: int) -> None:
    state = _state()
    try:
        walked = kl.trajectory(problem, state["kernel"], state["bias"], lr, count)
    except kl.LearningError as exc:
        # Kept as its code and numbers, put into words when shown: the language may change meanwhile.
        state["error"] = (exc.code, {**exc.params, "lr": f"{lr:.3g}"} if "lr" in exc.params else exc.params)
        controls.put("learn_playing", False)
        return
    state.update(kernel=walked.kernels[-1], bias=float(walked.biases[-1]),
                 history=state["history"] + walked.losses[1:].tolist(),
                 path=(state.get("path", [state["kernel"]]) + list(walked.kernels[1:]))[-PATH_KEPT:], error=None)


top = st.columns([1.2, 1, 1, 1.3], vertical_alignment="bottom")
teacher = controls.select(tr("learn.teacher"), TEACHERS, "learn_teacher", widget=top[0].selectbox,
                          format_func=lambda k: tr(f"kernel.{k}"), help=tr("learn.teacher_help"))
problem = kl.default_problem(teacher)
base_lr = kl.default_lr(problem)
scale = controls.choice_slider(tr("learn.rate"), list(RATES), "learn_rate", default=1.0,
                               format_func=lambda r: f"{r * base_lr:.3g}", help=tr("learn.rate_help"))
lr = scale * base_lr
if _state().get("teacher") != teacher or "kernel" not in _state():
    _restart(problem, _state().get("seed", 0))
    _state()["teacher"] = teacher
top[1].button(tr("learn.step"), on_click=errors.callback(_steps), args=(problem, lr, 1), width="stretch")
top[2].button(tr("learn.ten"), on_click=errors.callback(_steps), args=(problem, lr, 10), width="stretch")
top[3].button(tr("learn.restart"), on_click=errors.callback(_restart),
              args=(problem, int(_state().get("seed", 0)) + 1), width="stretch", help=tr("learn.restart_help"))
playing = controls.toggle(tr("learn.play"), "learn_playing", help=tr("learn.play_help"))


@errors.fragment(run_every=0.4 if playing else None)
def descent(problem: kl.Problem, lr: float, playing: bool, teacher: str) -> None:
    """The current kernel, its maps, the loss so far, the gradient and one weight's arithmetic."""
    state = _state()
    if playing and not state.get("error"):
        _steps(problem, lr, 1)
    if state.get("error"):
        code, params = state["error"]
        st.error(tr(f"learn.error.{code}", **params))
    kernel, bias = state["kernel"], state["bias"]
    grads = kl.gradients(problem, kernel, bias)
    output = kl.forward(problem, kernel, bias)
    history = state["history"]
    metrics = st.columns(3)
    metrics[0].metric(tr("learn.steps_done"), len(history) - 1)
    metrics[1].metric(tr("learn.loss"), f"{grads.loss:.3g}",
                      delta=f"{grads.loss - history[-2]:.2g}" if len(history) > 1 else None, delta_color="inverse")
    metrics[2].metric(tr("learn.lr"), f"{lr:.3g}")
    learn_views.maps(problem, output)
    left, right = st.columns([1, 1.2], gap="large")
    with left:
        st.markdown(f"**{tr('learn.loss_curve')}**")
        st.plotly_chart(viz.loss_curve_figure(history, x_title=tr("learn.steps_done"), y_title=tr("learn.loss")),
                        key="learn_loss_curve", config={"displayModeBar": False})
    with right:
        learn_views.landscape(problem, kernel, bias, np.stack(state.get("path", [kernel])))
    learn_views.update(kernel, grads.kernel, lr, kernels.preset(teacher))
    why(problem, kernel, bias, lr)


def why(problem: kl.Problem, kernel: np.ndarray, bias: float, lr: float) -> None:
    """One weight's gradient written out as a sum over the map, and its step."""
    st.markdown(f"**{tr('learn.why')}**")
    st.caption(tr("learn.why_help"))
    cells = [(i, j) for i in range(problem.size) for j in range(problem.size)]
    i, j = controls.select(tr("learn.weight"), cells, "learn_weight", default=(0, 0),
                           format_func=lambda c: f"k[{c[0]}, {c[1]}]", widget=st.columns(4)[0].selectbox)
    step = kl.weight_arithmetic(problem, kernel, bias, i, j)
    st.markdown(arithmetic.row_html(
        arithmetic.matrix_html(step.inputs, tr("learn.inputs_met", i=i, j=j), signed=False, legend=True),
        arithmetic.operator_html("⊙"), arithmetic.matrix_html(step.output_gradients, "dL/dy", legend=True),
        arithmetic.operator_html("="), arithmetic.matrix_html(step.products, tr("lab.arith.products"), legend=True)),
        unsafe_allow_html=True)
    st.markdown(f"Σ = dL/dk[{i}, {j}] = **{step.total:.4g}**&emsp;→&emsp;{tr('learn.new_weight', i=i, j=j)} = "
                f"{kernel[i, j]:.4g} − {lr:.3g} × {step.total:.4g} = **{kernel[i, j] - lr * step.total:.4g}**",
                unsafe_allow_html=True)
    st.caption(tr("learn.autograd"))


descent(problem, lr, playing, teacher)
learn_views.pool_gradient()
