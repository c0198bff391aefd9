"""Shared fixtures: an isolated CFT_HOME and MLflow store per test session, a small tiny base model."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads (2 shared cores)

import pytest  # noqa: E402


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
def small_recipe():
    """A tiny base model recipe small enough for tests (~20 s on 2 cores); not a good solver."""
    from dataclasses import replace

    from cft_lib.train.pretrain import TinyBaseRecipe

    recipe = TinyBaseRecipe(documents=600)
    return replace(recipe, train=replace(recipe.train, global_batch_size=32))


@pytest.fixture(scope="session")
def small_base_model(session_home, small_recipe):
    """Path of a small pre-trained tiny base model (built once per session)."""
    from cft_lib.train.pretrain import build_tiny_base

    return build_tiny_base(small_recipe, progress=False)
