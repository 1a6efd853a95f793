"""The Train page, headless: a short run on offline data from Start to results, downloads and "use"."""

import json
import re
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
    return "\n".join(parts + [e.value for e in at.error] + [i.value for i in at.info])


def test_a_short_run_from_start_to_results():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    assert "No run yet" in _text(at)
    assert "542,230 parameters" in _text(at)          # seed-mnist on mnist-5k, checked before starting
    at.slider(key="train_epochs").set_value(1).run()
    at.select_slider(key="train_batch").set_value(128).run()
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception, at.exception
    deadline = time.monotonic() + 120
    while not at.metric and time.monotonic() < deadline:   # the fragment polls each second in a browser
        time.sleep(1)
        at.run()
    assert at.metric, _text(at)
    accuracy = float(at.metric[0].value.rstrip("%"))
    assert 50 < accuracy <= 100                         # one epoch on 3,500 digits: far above chance
    text = _text(at)
    assert "finished" in text and "The most confident mistakes" in text
    assert "Click a cell of the matrix" in text
    labels = [b.label for b in at.button]
    assert "Use this model" in labels
    next(b for b in at.button if b.label == "Use this model").click().run()
    assert "is now the current model" in _text(at)
    assert at.session_state["current_model"]


def test_the_train_page_reads_in_chinese():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception and at.title[0].value == "训练"
    assert "开始训练" in [b.label for b in at.button]


# Names that are the same in Chinese texts (functions and layers known by their English names).
NAMES = {"ReLU", "Leaky", "Sigmoid", "tanh", "Dropout"}


def _english(text: str) -> set[str]:
    """The English words in `text`, less the names Chinese texts keep."""
    return set(re.findall(r"[A-Za-z]{2,}", text)) - NAMES


def test_the_chinese_layer_table_and_summary_have_no_english_and_no_none():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    editor = at.dataframe[0]
    columns = json.loads(editor.proto.columns)
    shown = [c for c in columns.values() if not c.get("hidden")]
    assert {"type", "filters", "kernel", "stride", "padding", "units"} <= columns.keys()
    for column in shown:                       # headers, their help and every menu choice, in Chinese
        texts = [column["label"], column["help"]]
        texts += [o["label"] for o in column.get("type_config", {}).get("options", [])]
        for text in texts:
            assert text and not _english(text), text
    kinds = {o["value"]: o["label"] for o in columns["type"]["type_config"]["options"]}
    assert kinds["conv"] == "卷积" and kinds["dense"] == "全连接层" and kinds["pool"] == "池化"
    assert editor.proto.placeholder == ""      # an empty cell shows nothing (Streamlit would write "None")
    summary = at.table[0].value
    cells = [str(c) for c in summary.columns] + [str(v) for v in summary.to_numpy().ravel()]
    for cell in cells:
        assert "None" not in cell and not _english(cell), cell
    assert "32@3×3，步长 1，填充 0" in cells and "最大池化 2×2，步长 2" in cells and "1. 卷积" in cells


def _spec_errors_in_chinese():
    import streamlit as st

    from cnn import models
    from pages.views.network_editor import spec_error

    st.session_state.lang = "zh"
    for exc in (models.SpecError("", "whole_number", layer=1, key="filters", minimum=1, maximum=1024, value="x"),
                models.SpecError("", "layer_type", value="convv", choices="conv, pool"),
                models.SpecError("", "activation", value="relux", choices="relu"),
                models.SpecError("", "data_mismatch", expects="1×28×28", classes=10, dataset="shapes",
                                 has="1×72×72", has_classes=3)):
        st.text(spec_error(exc))


def test_a_spec_error_names_columns_kinds_and_data_sets_in_chinese():
    at = AppTest.from_function(_spec_errors_in_chinese).run()
    assert not at.exception, at.exception
    lines = [t.value for t in at.text]
    assert lines[0].startswith("第 1 层：“卷积核数”必须是 1 到 1024 之间的整数，而不是 x")
    assert "卷积、激活函数、池化" in lines[1] and "“convv”" in lines[1]    # the typed value stays as typed
    assert "ReLU、Leaky ReLU" in lines[2]
    assert "几何图形" in lines[3]
    for line in lines:
        assert not _english(line.replace("convv", "").replace("relux", "")), line
