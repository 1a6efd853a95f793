"""The Train page's issue-19 parts, headless: the augmentation preview under the data set choice, the small
presets fitted to the data set's classes, and "start from the shipped model" with its refusal."""

from test_guard_pages import _start as start  # the Train page, opened as the guard tests open it
from test_guard_pages import _train_page as train_page

from pages.views import augment_preview, network_editor


def test_the_preview_shows_the_chosen_data_set_and_transfer_is_checked_before_start():
    at = train_page()
    assert "What the network will see" in [e.label for e in at.expander]
    images = [img for el in at.get("imgs") + at.get("image") for img in el.proto.imgs]
    assert sum(img.caption.endswith("original") for img in images) == augment_preview.ROWS
    assert any(img.caption.startswith("0 ·") for img in images)          # mnist-5k's classes, by name
    assert any("Augmentation is off for this run" in w.value for w in at.warning)   # off by default here
    at.toggle(key="train_augment").set_value(True).run()
    assert not any("Augmentation is off" in w.value for w in at.warning)
    at.selectbox(key="train_preset_mnist-5k").set_value("small-gray").run()
    assert "52,938 parameters" in at.success[0].value                    # its last layer: 10 digits
    at.toggle(key="train_start_from").set_value(True).run()
    assert not at.exception, at.exception
    assert any("Layers 1, 5 of this network start with the shipped model" in c.value for c in at.caption)
    assert not start(at).disabled
    at.selectbox(key="train_preset_mnist-5k").set_value("seed-mnist").run()
    assert "does not fit this network's first one (32@3×3" in at.error[0].value
    assert start(at).disabled


def test_transfer_and_its_refusal_read_in_chinese():
    at = train_page("zh")
    at.toggle(key="train_start_from").set_value(True).run()
    assert "从内置模型开始" in [t.label for t in at.toggle]
    assert "形状不一致" in at.error[0].value and start(at).disabled


def test_small_data_gets_its_own_defaults_on_the_page():
    assert network_editor.train_images("mnist-5k") == 3500
    assert network_editor.train_images("own-unknown") > 1000      # unknown here: treated as big until it loads


def test_the_two_runs_on_the_same_data_are_compared_side_by_side(runs_folder):
    """One run from random weights, one from the shipped model, on the same (own) data: the Train page's
    comparison lists both by name and overlays their validation accuracy."""
    import torch

    from cnn import data, models, runner, runs, train

    g = torch.Generator().manual_seed(0)
    sets = {split: data.Dataset("own-ticks", split, torch.randint(0, 256, (12, 1, 28, 28), dtype=torch.uint8,
                                                                  generator=g), torch.arange(12) % 3, ["✓", "✗", "○"])
            for split in data.SPLITS}
    spec = models.for_data(models.preset("small-gray"), (1, 28, 28), ["✓", "✗", "○"])
    config = train.TrainConfig(epochs=2, batch_size=8)
    names = {"small-gray": None, "small-gray · from the shipped model": "shipped"}
    for name, origin in names.items():
        plan = runner.RunPlan(name, spec, config, "own-ticks", start_from=origin)
        runner.run(runs.run_dir(runs.new_id(name)), plan, load=lambda _n, _r, split, **_: sets[split])
    at = train_page()
    options = at.multiselect(key="compare_runs").options
    for name in names:
        assert any(o.startswith(f"{name} · own-ticks · ") for o in options), options
    ids = [r.id for r in runs.list_runs() if r.dataset == "own-ticks"]
    at = at.multiselect(key="compare_runs").set_value(ids).run()
    assert not at.exception, at.exception
    ours = [o for o in at.multiselect(key="compare_runs").options if "own-ticks" in o]
    chart = [el for el in at.get("plotly_chart")]
    assert chart, "no comparison chart"
    import json

    figure = json.loads(chart[-1].proto.spec)
    assert sorted(trace["name"] for trace in figure["data"]) == sorted(ours)
