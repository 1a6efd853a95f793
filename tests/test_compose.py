"""compose.yaml, the Dockerfile, deploy/nginx.conf and the README's school set-up say what the code does.

No Docker here: the files are read as data and held to the code. Every command names a file or module that
exists (with options its parser has), every CNN_LAB_* variable is one the code reads, the app servers and
the workers share one queue, one database and one runs folder on one volume, and nginx sends each browser
to one of exactly the app servers compose starts, websocket included.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVERS = ("app1", "app2")
WORKERS = ("worker1", "worker2", "worker-gpu")
SHARED = ("CNN_LAB_RUNS", "CNN_LAB_QUEUE", "CNN_LAB_DATABASE", "CNN_LAB_DATA")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def env_names_read_by_code() -> set[str]:
    """Every CNN_LAB_* name the code spells as a whole string (os.environ.get("CNN_LAB_RUNS"), or a constant
    such as cnn.tasks.DEFAULT_ENV that is read through)."""
    names = set()
    files = [*ROOT.glob("cnn/*.py"), *ROOT.glob("pages/**/*.py"), ROOT / "app.py", ROOT / "serve.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and re.fullmatch(r"CNN_LAB_[A-Z_]+", node.value):
                names.add(node.value)
    return names


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):                        # the KEY=VALUE spelling
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_it_parses_and_starts_the_whole_school(services):
    assert set(services) == {"redis", "postgres", "proxy", *APP_SERVERS, *WORKERS}
    assert services["postgres"]["image"].split(":")[1].startswith("15")
    redis_command = services["redis"]["command"]
    assert option(redis_command, "--appendonly") == "yes"     # Redis keeps the queue across a restart
    for name in ("redis", "postgres"):
        assert services[name]["healthcheck"]["test"]


def test_every_command_names_what_exists_in_the_repository(services):
    for name in APP_SERVERS:
        command = services[name]["command"]
        assert command[:2] == ["streamlit", "run"]
        assert (ROOT / command[2]).is_file(), command[2]
        assert command[2] == "serve.py"
    worker_source = (ROOT / "cnn" / "worker.py").read_text(encoding="utf-8")
    for name in WORKERS:
        command = services[name]["command"]
        assert command[:3] == ["python", "-m", "cnn.worker"]
        assert (ROOT / "cnn" / "worker.py").is_file()
        for flag in (arg for arg in command[3:] if arg.startswith("--")):
            assert f'add_argument("{flag}"' in worker_source, f"{name}: cnn.worker has no {flag}"
    # The image's own default command is an app server too.
    cmd = re.search(r'^CMD\s+(\[.*?\])\s*$', (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.M | re.S)
    assert cmd, "the Dockerfile has no CMD"
    default = ast.literal_eval(cmd.group(1).replace("\\\n", ""))
    assert default[:3] == ["streamlit", "run", "serve.py"]


def test_env_names_are_the_ones_the_code_reads(services):
    known = env_names_read_by_code()
    assert {"CNN_LAB_RUNS", "CNN_LAB_QUEUE", "CNN_LAB_DATABASE", "CNN_LAB_LOCAL_WORKERS"} <= known
    for name, service in services.items():
        for key in environment(service):
            if key.startswith("CNN_LAB_"):
                assert key in known, f"{name} sets {key}, which no code reads"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for where, text in (("Dockerfile", dockerfile), ("README.md", readme)):
        for key in set(re.findall(r"CNN_LAB_[A-Z_]*[A-Z]", text)):
            assert key in known, f"{where} names {key}, which no code reads"


def test_app_servers_and_workers_share_one_queue_database_and_runs_folder(services):
    envs = {name: environment(services[name]) for name in (*APP_SERVERS, *WORKERS)}
    for key in SHARED:
        assert len({env.get(key) for env in envs.values()}) == 1, f"{key} differs: {envs}"
    some = envs["app1"]
    assert some["CNN_LAB_QUEUE"].startswith("redis://redis:")          # the redis service, by its name
    db = some["CNN_LAB_DATABASE"]
    assert db.startswith(("postgresql://", "postgresql+psycopg://"))
    pg = environment(services["postgres"])
    user, password, host, database = re.match(r"[^:]+://([^:]+):([^@]+)@([^:/]+)(?::\d+)?/(\w+)$", db).groups()
    assert (user, password, host, database) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], "postgres",
                                                pg["POSTGRES_DB"])
    for name in APP_SERVERS:
        assert envs[name]["CNN_LAB_LOCAL_WORKERS"] == "0"            # the workers train, not the app servers
        needs = services[name]["depends_on"]
        assert needs["redis"]["condition"] == needs["postgres"]["condition"] == "service_healthy"
    for name in WORKERS:
        command = services[name]["command"]
        assert option(command, "--queue") == some["CNN_LAB_QUEUE"]
        assert option(command, "--runs") == some["CNN_LAB_RUNS"]
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    # The runs folder (and runs-data beside it, and downloaded data sets) on the one shared volume.
    for name in (*APP_SERVERS, *WORKERS):
        mounts = [m.split(":") for m in services[name]["volumes"]]
        shared = [target for source, target, *_ in mounts if source == "shared"]
        assert shared, f"{name} lacks the shared volume"
        for key in ("CNN_LAB_RUNS", "CNN_LAB_DATA"):
            assert envs[name][key].startswith(shared[0].rstrip("/") + "/")


def test_the_cuda_worker_waits_behind_its_profile_and_asks_for_a_gpu(services):
    gpu = services["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    assert all("profiles" not in services[name] for name in services if name != "worker-gpu")
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    assert gpu["image"] != services["worker1"]["image"]      # PyPI's CUDA torch, not the CPU image's
    # The worker's health is its heartbeat file, where cnn.worker writes it.
    assert 'Path(root) / ".workers"' in (ROOT / "cnn" / "worker.py").read_text(encoding="utf-8")
    for name in WORKERS:
        check = " ".join(services[name]["healthcheck"]["test"])
        assert environment(services[name])["CNN_LAB_RUNS"] + "/.workers/" in check
        assert environment(services[name])["WORKER_NAME"] == option(services[name]["command"], "--name")


def test_nginx_sends_each_browser_to_one_of_exactly_the_app_servers(services):
    mount = next(m for m in services["proxy"]["volumes"] if "nginx.conf" in m)
    conf_path = ROOT / mount.split(":")[0]
    assert conf_path.is_file()
    conf = re.sub(r"#.*", "", conf_path.read_text(encoding="utf-8"))
    upstream = re.search(r"upstream\s+(\w+)\s*\{(.*?)\}", conf, re.S)
    assert upstream, "no upstream block"
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", upstream.group(2), re.M)
    assert sorted(host for host, _ in servers) == sorted(APP_SERVERS)
    for host, port in servers:
        assert port == option(services[host]["command"], "--server.port")
    assert re.search(r"^\s*(hash\s+\$\w+|ip_hash|sticky)\b", upstream.group(2), re.M), "no sticky sessions"
    assert f"proxy_pass http://{upstream.group(1)};" in conf
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", conf)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", conf)
    # Uploads the app takes are not refused by the proxy first.
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    limit = int(re.search(r"^maxUploadSize\s*=\s*(\d+)", config, re.M).group(1))
    assert int(re.search(r"client_max_body_size\s+(\d+)m;", conf).group(1)) >= limit


def test_the_image_carries_no_runs_and_no_data(services):
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert "pip install -r requirements.txt" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for path in ("runs", "runs-*", ".git"):
        assert path in ignored
