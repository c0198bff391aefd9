"""Shared fixtures: an isolated CFT_HOME and MLflow store per test session, a small tiny base model."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads (2 shared cores)

import pytest  # noqa: E402

# Tests that pre-train a model, start a server or drive the CLI in subprocesses are slow, whatever
# their own marks say: `pytest -m "not slow"` is the fast unit tier (under a minute on 2 cores).
HEAVY_FIXTURES = {"small_base_model", "server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("integration"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory):
    """CFT_HOME and the MLflow store under one temporary directory for the whole session."""
    home = tmp_path_factory.mktemp("cft-home")
    old = {k: os.environ.get(k) for k in ("CFT_HOME", "MLFLOW_TRACKING_URI")}
    os.environ["CFT_HOME"] = str(home / ".cft")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{home / 'mlflow.db'}"
    yield home
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def shared_store_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One real SQLite tracking store for the fast tests (creating its schema takes ~2 s, once)."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("shared-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    MlflowClient(uri).create_experiment("artifacts-here", artifact_location=str(root / "artifacts"))
    return uri


@pytest.fixture
def store_uri(shared_store_uri: str, monkeypatch: pytest.MonkeyPatch):
    """MLFLOW_TRACKING_URI pointed at the shared test store for one test (never the project's mlflow.db)."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", shared_store_uri)
    yield shared_store_uri
    mlflow.set_tracking_uri(None)  # mlflow_client() pins mlflow's global URI: leave it to the environment


@pytest.fixture(scope="session")
def small_recipe():
    """A tiny base model recipe small enough for tests (seconds on 2 cores); not a good solver."""
    from dataclasses import replace

    from cft_lib.train.pretrain import TinyBaseRecipe

    recipe = TinyBaseRecipe(problems=600, fact_exposures=10, copy_documents=60)
    return replace(recipe, train=replace(recipe.train, global_batch_size=32))


@pytest.fixture(scope="session")
def small_base_model(session_home, small_recipe):
    """Path of a small pre-trained tiny base model (built once per session)."""
    from cft_lib.train.pretrain import build_tiny_base

    return build_tiny_base(small_recipe, progress=False)


@pytest.fixture(scope="session")
def server(small_base_model):
    """`transformers serve` of the small tiny model on 127.0.0.1 (an OpenAI-compatible endpoint)."""
    from tests.support.servers import free_port, serving

    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_WAIT_POLICY="PASSIVE")
    command = ["transformers", "serve", str(small_base_model), "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, f"http://127.0.0.1:{port}", timeout_s=60, env=env) as url:
        yield f"{url}/v1"
