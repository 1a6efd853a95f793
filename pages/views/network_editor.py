"""Choose the data and the network, edit its layers in a table, and see every shape checked before Start.

Any cell may hold anything a person can type (empty, NaN, inf, 1e308, text): the table becomes layer
dicts as typed, cnn.models.summary checks them, and what is wrong is said in the user's language.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from cnn import cost, data, datasets, models, my_data, ops, own_sets, train, transfer
from pages.views import augment_preview, controls, identity, text
from pages.views.language import tr

COLUMNS = ("type", "filters", "kernel", "stride", "padding", "units", "name", "mode", "size", "p")
WHOLE = ("filters", "kernel", "stride", "padding", "dilation", "units", "size")


def spec_error(exc: models.SpecError) -> str:
    """A SpecError in the user's language: the layer it concerns, then the reason. Column keys, layer kinds,
    activations and data sets are named as the page names them; what the user typed stays as typed."""
    params = dict(exc.params)
    if params.get("key") in COLUMNS:
        params["key"] = tr(f"train.layer.{params['key']}")
    menus = {"layer_type": (models.LAYER_TYPES, "inside.kind"), "activation": (models.ACTIVATIONS, "activation")}
    if exc.code in menus and "choices" in params:
        options, prefix = menus[exc.code]
        params["choices"] = tr("list_separator").join(tr(f"{prefix}.{o}") for o in options)
    if datasets.find(params.get("dataset")) is not None:
        params["dataset"] = text.dataset(params["dataset"])
    if exc.code == "too_slow":
        params.update(time=duration(params["seconds"]), limit=duration(params["limit_s"]),
                      macs=f"{params['forward']:,}")
    reason = tr(f"spec_error.{exc.code}", **params)
    return tr("spec_error.at_layer", layer=params["layer"], reason=reason) if "layer" in params else reason


def _table(spec: models.ModelSpec) -> pd.DataFrame:
    return pd.DataFrame([{c: layer.get(c) for c in COLUMNS} for layer in spec.layers], columns=list(COLUMNS))


def _cell(key: str, value):
    """One typed cell as a layer value: empty means "use the default"; whole numbers in number columns become
    ints (anything else stays as typed, for summary to refuse with the reason)."""
    empty = isinstance(value, str) and not value.strip()
    if value is None or empty or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and key in WHOLE + ("p",):
        try:
            value = float(value)
        except ValueError:
            return value.strip()
    if key in WHOLE and isinstance(value, float) and value.is_integer() and abs(value) < 2**31:
        return int(value)
    return value


def layers_from(table: pd.DataFrame) -> list[dict]:
    """Edited table rows -> layer dicts; rows left wholly empty are dropped."""
    layers = []
    for row in table.to_dict("records"):
        layer = {key: value for key, value in ((k, _cell(k, v)) for k, v in row.items()) if value is not None}
        if layer:
            layers.append(layer)
    return layers


def column_config() -> dict:
    """The layer table's headers and menus in the user's language; the cells keep the keys ("conv", "max")."""
    config = {c: st.column_config.Column(tr(f"train.layer.{c}"), help=tr(f"train.layer.{c}_help")) for c in COLUMNS}
    menus = {"type": (models.LAYER_TYPES, "inside.kind"), "name": (models.ACTIVATIONS, "activation"),
             "mode": (ops.POOL_MODES, "pooling")}
    for column, (options, prefix) in menus.items():
        config[column] = st.column_config.SelectboxColumn(
            tr(f"train.layer.{column}"), help=tr(f"train.layer.{column}_help"), options=list(options),
            format_func=lambda key, prefix=prefix: tr(f"{prefix}.{key}"))
    return config


def network() -> tuple[str, models.ModelSpec, str | None]:
    """(data set, the network as edited, what is wrong with it or None), with the summary shown."""
    top = st.columns(2)
    # Every data set the description knows: the built-ins (offline ones first), then the own sets this
    # browser may see (its own, its class's).
    dataset = controls.select(tr("train.dataset"), visible_datasets(), "train_dataset", widget=top[0].selectbox,
                              format_func=text.dataset_choice, help=tr("train.dataset_help"))
    info = datasets.describe(dataset)
    if not info.presets:      # an own set of a size no preset fits, even adapted
        message = tr("train.no_preset", shape="×".join(map(str, info.input_shape)))
        st.error(message)
        return dataset, models.ModelSpec(dataset, info.input_shape, [], list(info.classes)), message
    preset = controls.select(tr("train.preset"), info.presets, f"train_preset_{dataset}", widget=top[1].selectbox)
    spec = datasets.preset_spec(dataset, preset)      # made for the set's channels, side and classes
    if info.own:
        st.caption(tr("train.own_input", shape="×".join(map(str, info.input_shape)), n=len(info.classes)))
    samples = preview_set(dataset, info.version)
    images = train_images(dataset, samples)
    with st.expander(tr("augment.title"), expanded=images <= train.SMALL_DATA, icon=":material/shuffle:"):
        if isinstance(samples, data.Dataset):
            augmented = bool(controls.get(augment_key(images), train.defaults_for(images).augment))
            augment_preview.augment_preview(samples, flips=bool(controls.get("train_flips", False)),
                                            key=f"augment_{dataset}", augmented=augmented)
        else:
            st.info(samples_problem(dataset))
    st.caption(tr("train.layers_help"))
    # An own set's table is its own (its last layer has one unit per class): a key per set and preset.
    key = f"layers_{dataset}_{preset}" if info.own else f"layers_{preset}"
    edited = st.data_editor(_table(spec), num_rows="dynamic", key=key, hide_index=True,
                            column_config=column_config(), placeholder="")   # an empty cell shows nothing
    spec.layers = layers_from(edited)
    try:
        rows = models.summary(spec)
    except models.SpecError as exc:
        message = spec_error(exc)
        st.error(tr("train.invalid", reason=message))
        return dataset, spec, message
    summary_table(rows)
    st.success(tr("train.valid", params=f"{sum(r.parameters for r in rows):,}",
                  macs=f"{sum(r.mult_adds for r in rows):,}"))
    if info.own and images == 0:     # an empty own set, or all of it held out: say so before Start
        message = tr("dataset_error.no_train", name=text.md(info.label))
        st.warning(message)
        return dataset, spec, message
    return dataset, spec, None


PREVIEW_SAMPLES = 40       # a preview needs a few of each class, not the whole data set


@st.cache_resource(max_entries=8, show_spinner=False)
def preview_set(name: str, version: str = "") -> data.Dataset | None:
    """A few training samples of a data set (shared read-only by every session), None where it cannot be had
    here (not downloaded: a preview never downloads). `version`: an own set's (cnn.datasets), so a set that
    grew is read again."""
    try:
        found = data.load_dataset(name, None, "train", download=False, count=12 if name == "shapes" else None)
    except (data.DatasetUnavailable, ValueError, OSError):
        return None
    picked = augment_preview._rows(found.labels.numpy(), len(found.classes), PREVIEW_SAMPLES)
    return data.Dataset(found.name, found.split, found.images[picked].clone(), found.labels[picked].clone(),
                        list(found.classes))


def samples_problem(dataset: str) -> str:
    return tr("augment.unavailable", dataset=text.dataset(dataset))


def visible_datasets() -> list[str]:
    """The built-ins and the own sets this browser may see (identity.sees_set): another student's set stays
    theirs."""
    sets = own_sets.summaries()

    def sees(name: str) -> bool:
        found = sets.get(name)     # None: a set from another source (a test's), with no owner
        return found is None or identity.sees_set(found.owner, found.class_code)
    return [n for n in datasets.names() if not n.startswith(my_data.PREFIX) or sees(n)]


def train_images(dataset: str, samples: data.Dataset | None = None) -> int:
    """How many images a run trains on per epoch (the split's size, without loading it where it can)."""
    try:
        return data.split_sizes(dataset)["train"]
    except (ValueError, data.DatasetUnavailable):     # unknown, or an own set deleted meanwhile
        return len(samples) if samples is not None else train.SMALL_DATA + 1


def summary_table(rows: list[models.LayerSummary]) -> None:
    """Every layer with its output shape, parameters and multiply-adds (a plain table: quicker to show than
    a second grid beside the layer editor)."""
    st.table(pd.DataFrame({
        tr("train.col.layer"): [f"{r.index + 1}. {tr(f'inside.kind.{r.kind}')}" for r in rows],
        tr("train.col.detail"): [detail(r) for r in rows],
        tr("train.col.shape"): ["×".join(map(str, r.output_shape)) for r in rows],
        tr("train.col.params"): [f"{r.parameters:,}" for r in rows],
        tr("train.col.macs"): [f"{r.mult_adds:,}" for r in rows],
    }), hide_index=True)


def detail(row: models.LayerSummary) -> str:
    """A layer's settings in the user's language ("32@3×3, stride 1, padding 0"); menus' keys translated."""
    values = dict(row.details)
    if "mode" in values:
        values["mode"] = tr(f"pooling.{values['mode']}")
    if "name" in values:
        values["name"] = tr(f"activation.{values['name']}")
    return tr(f"train.detail.{row.kind}", **values)


def duration(seconds: float) -> str:
    """"40 s", "7 h 48 min" in the user's language."""
    return cost.duration(seconds, {unit: tr(f"duration.{unit}") for unit in cost.ENGLISH_UNITS})


def cost_line(found: cost.Estimate) -> str | None:
    """How long the run would take here, shown under the network while it is edited; when that is over the
    limit, the refusal instead, which is also returned (Start is then disabled)."""
    try:
        cost.check(found)
    except cost.TooCostly as exc:
        message = spec_error(exc)
        st.error(tr("train.invalid_cost", reason=message), icon=":material/timer_off:")
        return message
    st.caption(tr("train.estimate", time=duration(found.seconds), macs=f"{found.per_image:,}",
                  images=f"{found.images:,}", epochs=found.epochs))
    return None


LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0]


def augment_key(images: int | None) -> str:
    """The augmentation toggle's key: small data sets have their own (on by default)."""
    return "train_augment_small" if images is not None and images <= train.SMALL_DATA else "train_augment"


def settings(images: int | None = None) -> train.TrainConfig:
    """The training settings. `images`: the data set's training images; a small set (a few dozen drawings)
    gets its own defaults (more, shorter epochs, small batches, augmentation) and controls of its own."""
    small = images is not None and images <= train.SMALL_DATA
    defaults, suffix = train.defaults_for(images or train.SMALL_DATA + 1), "_small" if small else ""
    epochs = controls.slider(tr("train.epochs"), 1, train.max_epochs(images or train.SMALL_DATA + 1),
                             f"train_epochs{suffix}", default=defaults.epochs)
    batch = controls.choice_slider(tr("train.batch"), [8, 16, 32, 64, 128, 256] if small else [16, 32, 64, 128, 256],
                                   f"train_batch{suffix}", default=defaults.batch_size)
    lr = controls.choice_slider(tr("train.lr"), LEARNING_RATES, f"train_lr{suffix}", default=defaults.lr,
                                help=tr("train.lr_help"))
    optimizer = controls.select(tr("train.optimizer"), ("adam", "sgd"), "train_optimizer", widget=st.radio,
                                horizontal=True, format_func=lambda o: tr(f"train.optimizer.{o}"))
    augment = controls.toggle(tr("train.augment"), augment_key(images), default=defaults.augment,
                              help=tr("train.augment_help"))
    flips = controls.toggle(tr("train.flips"), "train_flips", help=tr("train.flips_help"), disabled=not augment)
    return train.TrainConfig(epochs=epochs, batch_size=batch, lr=lr, optimizer=optimizer, augment=augment,
                             flips=flips and augment, schedule=defaults.schedule)


def start_from(spec: models.ModelSpec) -> tuple[str | None, bool, str | None]:
    """The "start from the shipped model" choice: (start_from or None, freeze, why it cannot or None)."""
    on = controls.toggle(tr("train.start_from"), "train_start_from", help=tr("train.start_from_help"))
    if not on:
        return None, False, None
    freeze = controls.toggle(tr("train.freeze"), "train_freeze", help=tr("train.freeze_help"))
    try:
        copied = transfer.check(spec)
    except models.SpecError as exc:
        message = spec_error(exc)
        st.error(message, icon=":material/block:")
        return transfer.SHIPPED, freeze, message
    st.caption(tr("train.start_from_copied", layers=tr("list_separator").join(str(i + 1) for i in copied)))
    return transfer.SHIPPED, freeze, None
