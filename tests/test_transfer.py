"""Start from the shipped model: its conv layers copied (gray kernels spread over RGB), frozen or not, a new last
layer; a network they do not fit is refused with a reason in both languages; a run keeps the choice."""

import json

import pytest
import torch

from cnn import cli, data, i18n, models, runner, train, transfer


@pytest.fixture(scope="module")
def shipped():
    model, spec = models.load(transfer.SHIPPED_PATH)
    return model.state_dict(), spec


def tiny(channels=1, n=24, classes=("yes", "no", "maybe"), seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, channels, 28, 28), dtype=torch.uint8, generator=g)
    return data.Dataset("own-test", "train", images, torch.arange(n) % len(classes), list(classes))


def built(name="small-gray", classes=("yes", "no", "maybe"), **kwargs):
    base = models.preset(name)
    spec = models.for_data(base, base.input_shape, list(classes))
    torch.manual_seed(0)
    model = models.build(spec)
    return model, spec, transfer.start_from(model, spec, **kwargs)


def test_the_copied_layers_equal_the_shipped_ones_and_the_last_layer_is_new(shipped):
    weights, source = shipped
    model, spec, copied = built()
    assert copied == [0, 4] == transfer.check(spec)
    ours = model.state_dict()
    for i in copied:                                    # the conv and the batch norm after it, exactly
        for key in ("weight", "bias"):
            assert torch.equal(ours[f"{i}.{key}"], weights[f"{i}.{key}"])
        for key in ("weight", "bias", "running_mean", "running_var"):
            assert torch.equal(ours[f"{i + 1}.{key}"], weights[f"{i + 1}.{key}"])
    assert model[-1].out_features == 3 and spec.classes == ["yes", "no", "maybe"]
    assert source.layers[0]["filters"] == spec.layers[0]["filters"]


def test_a_colour_network_gets_the_gray_kernel_a_third_on_each_channel(shipped):
    weights, _ = shipped
    model, spec, copied = built("small-rgb")
    assert copied == [0, 4] and model[0].weight.shape == (32, 3, 5, 5)
    for c in range(3):
        torch.testing.assert_close(model[0].weight[:, c], weights["0.weight"][:, 0] / 3)
    assert torch.equal(model[4].weight, weights["4.weight"])
    # A gray picture shown in colour makes the shipped model's very first maps.
    x = torch.rand(2, 1, 28, 28)
    shipped_model, _ = models.load(transfer.SHIPPED_PATH)
    torch.testing.assert_close(model[0](x.expand(-1, 3, -1, -1)), shipped_model[0](x), atol=1e-5, rtol=1e-5)


def steps(model, ds, epochs=2):
    config = train.TrainConfig(epochs=epochs, batch_size=8, lr=1e-2, augment=True, validation=False, precision="fp32")
    train.train(model, ds, None, config)


@pytest.mark.parametrize("name, channels", [("small-gray", 1), ("small-rgb", 3)])
def test_frozen_layers_do_not_change_and_the_rest_learns(name, channels):
    model, _, copied = built(name, freeze=True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    steps(model, tiny(channels))
    after = model.state_dict()
    for i in copied:
        for key in (f"{i}.weight", f"{i}.bias", f"{i + 1}.weight", f"{i + 1}.bias"):
            assert torch.equal(after[key], before[key]), key
            assert not dict(model.named_parameters())[key].requires_grad
    last = len(model) - 1
    assert not torch.equal(after[f"{last}.weight"], before[f"{last}.weight"])


def test_unfrozen_copied_layers_are_trained_on():
    model, _, copied = built(freeze=False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    steps(model, tiny())
    for i in copied:
        assert not torch.equal(model.state_dict()[f"{i}.weight"], before[f"{i}.weight"])


@pytest.mark.parametrize("name", ["seed-mnist", "lenet5", "shapes"])
def test_a_network_the_shipped_layers_do_not_fit_is_refused_with_its_reason_in_both_languages(name):
    spec = models.preset(name)
    with pytest.raises(transfer.TransferError) as refused:
        transfer.check(spec)
    assert refused.value.code == "transfer_shape"
    assert "32@5×5" in str(refused.value)
    texts = [i18n.t(f"spec_error.{refused.value.code}", lang, **refused.value.params) for lang in ("en", "zh")]
    assert "32@5×5" in texts[0] and "32@5×5" in texts[1] and texts[0] != texts[1]
    assert "卷积核" in texts[1]
    torch.manual_seed(0)
    with pytest.raises(transfer.TransferError):
        transfer.start_from(models.build(spec), spec)


def test_copying_stops_at_the_first_layer_that_does_not_fit():
    spec = models.preset("small-gray")
    spec.layers[4] = {**spec.layers[4], "filters": 16}     # the second conv no longer matches the shipped one
    assert transfer.check(spec) == [0]
    spec.layers = [layer for layer in spec.layers if layer["type"] != "conv" and layer["type"] != "batchnorm"]
    spec.layers = [{"type": "flatten"}, {"type": "dense", "units": 3}]
    with pytest.raises(transfer.TransferError) as refused:
        transfer.check(spec)
    assert refused.value.code == "transfer_no_conv"
    assert i18n.t("spec_error.transfer_no_conv", "zh") != i18n.t("spec_error.transfer_no_conv", "en")


def test_an_unreadable_source_is_refused(tmp_path):
    (tmp_path / "m.json").write_text("{}")
    (tmp_path / "m.safetensors").write_bytes(b"\x80junk")
    with pytest.raises(transfer.TransferError) as refused:
        transfer.check(models.preset("small-gray"), tmp_path / "m")
    assert refused.value.code == "transfer_source"


def test_a_run_starts_from_the_shipped_model_and_keeps_the_choice_to_resume(tmp_path, shipped):
    weights, _ = shipped
    sets = {split: tiny(n=12, seed=i) for i, split in enumerate(data.SPLITS)}

    def load(name, root, split, **_):
        return sets[split]

    spec = models.for_data(models.preset("small-gray"), (1, 28, 28), ["yes", "no", "maybe"])
    plan = runner.RunPlan("with the shipped model", spec, train.TrainConfig(epochs=1, batch_size=8), "own-test",
                         start_from="shipped", freeze=True)
    outcome = runner.run(tmp_path / "run", plan, load=load)
    assert outcome.status == "finished"
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["transfer"] == {"start_from": "shipped", "freeze": True}
    again = runner.RunPlan.from_folder(tmp_path / "run")
    assert (again.start_from, again.freeze) == ("shipped", True)
    trained, _ = models.load(tmp_path / "run" / "model")
    assert torch.equal(trained.state_dict()["0.weight"], weights["0.weight"])     # frozen all along


def test_the_command_line_needs_start_from_for_freeze(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--preset", "small-gray", "--dataset", "mnist-5k", "--freeze", "--out", "/nonexistent/x"])
    assert "--freeze needs --start-from" in capsys.readouterr().err


def test_the_command_line_starts_a_small_preset_from_the_shipped_model(tmp_path, shipped):
    weights, _ = shipped
    code = cli.main(["--preset", "small-gray", "--dataset", "mnist-5k", "--epochs", "1", "--batch-size", "128",
                       "--start-from", "shipped", "--freeze", "--out", str(tmp_path / "run")])
    assert code == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["transfer"] == {"start_from": "shipped", "freeze": True}
    assert config["spec"]["classes"] == [str(d) for d in range(10)]       # fitted: one unit a digit
    model, _ = models.load(tmp_path / "run" / "model")
    assert torch.equal(model.state_dict()["4.weight"], weights["4.weight"])
    assert json.loads((tmp_path / "run" / "info.json").read_text())["status"] == "finished"
