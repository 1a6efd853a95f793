# CNN Lab's one image: the app servers and the workers run it with different commands (compose.yaml).
#
#   docker build -t cnn-lab .                                                  CPU-only torch (small)
#   docker build -t cnn-lab:cuda --build-arg TORCH_INDEX=https://pypi.org/simple .   PyPI's CUDA build
#
# No data set is baked in: mnist-5k and shapes need none, MNIST and Fashion-MNIST download into
# $CNN_LAB_DATA (on the shared volume) where the network allows.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# torch first, from the index chosen (CPU-only by default: a few hundred MB instead of several GB), so that
# requirements.txt finds it installed and takes torchvision built against the same torch.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
WORKDIR /app
COPY requirements.txt .
RUN pip install torch torchvision --index-url "$TORCH_INDEX" \
 && pip install -r requirements.txt

COPY . .

# Not root. /data is where compose mounts the shared volume (runs, runs-data, downloaded data sets); made
# here so that a new named volume starts owned by this user.
RUN useradd --create-home --uid 1000 cnnlab \
 && mkdir -p /data/runs \
 && chown -R cnnlab:cnnlab /data
USER cnnlab
ENV CNN_LAB_RUNS=/data/runs \
    CNN_LAB_DATA=/data/datasets

EXPOSE 8501
CMD ["streamlit", "run", "serve.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true"]
