"""How many weights: a dense layer, a locally connected one and a convolution on the same input. The
numbers start from the Lab's settings and follow them when they change; the user may type others."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnn import ops
from pages.views import controls
from pages.views.language import tr


def parameter_calculator(height: int, width: int, channels: int, size: int, filters: int, *, stride, padding,
                         dilation: int) -> None:
    box = st.expander(tr("lab.params.title"), key="lab_params", on_change="rerun")
    if not box.open:       # drawn only while open: a closed expander costs the Lab's reruns nothing
        return
    with box:
        st.caption(tr("lab.params.help"))
        lab_numbers = {"calc_h": int(height), "calc_w": int(width), "calc_c": int(channels), "calc_k": int(size),
                       "calc_f": int(filters)}
        if controls.get("calc_from") != lab_numbers:
            for key, value in lab_numbers.items():
                controls.put(key, value)
            controls.kept()["calc_from"] = lab_numbers
        calc = st.columns(6)
        fields = [("calc_h", "height", 4096), ("calc_w", "width", 4096), ("calc_c", "channels", 512),
                  ("calc_k", "kernel", 15), ("calc_f", "filters", 1024)]
        h, w, c, k, f = (controls.number(tr(f"lab.params.{name}"), 1, top, key, default=lab_numbers[key],
                                         widget=column.number_input)
                         for column, (key, name, top) in zip(calc, fields))
        bias = controls.toggle(tr("lab.params.bias"), "calc_b", widget=calc[5].checkbox)
        try:
            counts = ops.connection_parameters((h, w), (k, k), in_channels=c, filters=f, stride=stride,
                                               padding=padding, dilation=dilation, bias=bias)
        except ValueError:
            st.warning(tr("lab.error.params"))
            return
        st.table(pd.DataFrame({
            tr("lab.params.kind"): [tr("lab.params.dense"), tr("lab.params.local"), tr("lab.params.shared")],
            tr("lab.params.count"): [f"{counts[key]:,}" for key in ("dense", "local", "shared")],
        }).set_index(tr("lab.params.kind")))
