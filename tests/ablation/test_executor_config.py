"""What a Ray worker is told (paths made absolute, its threads) and the executor flags' checks."""

from __future__ import annotations


def test_ray_workers_get_absolute_paths_and_one_thread_per_cpu(monkeypatch, tmp_path):
    from cft_lib.ablation.executors import ExecutorConfig, worker_environment
    from cft_lib.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CFT_HOME", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")  # relative to the driver's directory
    env = worker_environment(num_cpus=2)
    assert env["MLFLOW_TRACKING_URI"] == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert env["CFT_HOME"] == str(tmp_path / ".cft") and env["CFT_WORKDIR"] == str(tmp_path)
    assert env["OMP_NUM_THREADS"] == env["CFT_TORCH_THREADS"] == "2"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://user:secret@tracking:5000")  # a server: passed as is
    assert worker_environment(num_cpus=0.5)["CFT_TORCH_THREADS"] == "1"
    for bad, message in ((ExecutorConfig("slurm"), "unknown executor"), (ExecutorConfig(address="auto"), "--address")):
        try:
            bad.check()
        except ConfigError as error:
            assert message in str(error)
        else:
            raise AssertionError(f"{bad} passed its check")
