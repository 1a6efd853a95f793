"""The lecture's classic Keras network and recipe, as a student runs it (run by bench/keras_recipe.py in a
virtual environment of its own that holds tensorflow-cpu; it needs only Keras and numpy).

    python bench/keras_seed_mnist.py MNIST_RAW_FOLDER [--epochs 10] [--batch-size 32] [--precision float32]

Conv2D 32@3x3 ReLU -> MaxPooling 2 -> Flatten -> Dense 100 ReLU -> Dense 10 softmax (542,230 weights), Adam
1e-3, batch 32, all 60,000 training images scaled to [0, 1], then the 10,000 test images. Prints one JSON
line: the seconds of each epoch (a callback's clock), the test accuracy, the versions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", type=Path)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--precision", default="float32", help="a Keras dtype policy: float32 or mixed_bfloat16")
    args = parser.parse_args()

    import keras
    import tensorflow as tf
    from keras import layers

    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy(args.precision)
    x_train = read_idx(args.raw / "train-images-idx3-ubyte").reshape(-1, 28, 28, 1).astype("float32") / 255
    y_train = keras.utils.to_categorical(read_idx(args.raw / "train-labels-idx1-ubyte"), 10)
    x_test = read_idx(args.raw / "t10k-images-idx3-ubyte").reshape(-1, 28, 28, 1).astype("float32") / 255
    y_test = keras.utils.to_categorical(read_idx(args.raw / "t10k-labels-idx1-ubyte"), 10)

    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(100, activation="relu"),
        layers.Dense(10, activation="softmax", dtype="float32"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])

    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.started)

    clock = Clock()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=2, callbacks=[clock])
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(json.dumps({"seconds": clock.seconds, "test_accuracy": float(accuracy), "parameters": model.count_params(),
                      "versions": f"Keras {keras.__version__}, TensorFlow {tf.__version__}"}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
