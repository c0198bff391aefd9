"""Data parallelism and DeepSpeed through `torchrun` on CPU: the same training, the same model.

Two processes (gloo) must train what one process trains: each takes half of every global batch,
and the loss is scaled so that the averaged gradient is the one-process gradient. DeepSpeed ZeRO-2
and ZeRO-3 (CPU accelerator) must step once per global batch, as the plain loop does, and save
the whole model (ZeRO-3 gathers its shards).
"""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from cft_lib.data.builders import DataConfig, build_dataset
from cft_lib.data.formats import COT_SYSTEM
from cft_lib.data.records import read_training_records
from cft_lib.train.config import TrainConfig
from cft_lib.train.tokenize import tokenize_records
from cft_lib.train.trainer import train
from tests.support.servers import free_port

pytestmark = pytest.mark.integration
WORKER = Path(__file__).with_name("parallel_worker.py")
CONFIG = TrainConfig(
    learning_rate=1e-3, global_batch_size=16, micro_batch_size=4, num_validations=0, mixed_precision="no", epochs=1.0
)


@pytest.fixture(scope="module")
def setup(small_base_model, tmp_path_factory):
    tokenizer = AutoTokenizer.from_pretrained(small_base_model)
    records = read_training_records(build_dataset(DataConfig(variant="cft", size=72), progress=False).path)
    examples = tokenize_records(records, tokenizer, COT_SYSTEM, max_seq_len=512).examples
    path = tmp_path_factory.mktemp("parallel") / "examples.jsonl"
    path.write_text("".join(json.dumps(dataclasses.asdict(e)) + "\n" for e in examples))
    single = train(small_base_model, tokenizer, examples, path.parent / "single", CONFIG, progress=False)
    return small_base_model, path, single


def _torchrun(processes: int, model: Path, examples: Path, out: Path, **env: str) -> dict:
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nproc_per_node={processes}",
        f"--master_port={free_port()}",
        str(WORKER),
        str(model),
        str(examples),
        str(out),
        json.dumps(dataclasses.asdict(CONFIG)),
    ]
    done = subprocess.run(
        command, env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE", **env), capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "result.json").read_text())


def _max_difference(a: Path, b: Path) -> float:
    x = AutoModelForCausalLM.from_pretrained(a, dtype=torch.float32)
    y = AutoModelForCausalLM.from_pretrained(b, dtype=torch.float32)
    return max((p - q).abs().max().item() for p, q in zip(x.parameters(), y.parameters(), strict=True))


def test_two_processes_train_the_model_one_process_trains(setup, tmp_path):
    """Also with checkpoints due by the clock while the main process logs slowly: all save together."""
    model, examples, single = setup
    result = _torchrun(
        2, model, examples, tmp_path, ACCELERATE_USE_CPU="true", CFT_CHECKPOINT_INTERVAL_S="0.6", SLOW_LOG_S="0.3"
    )
    assert list((tmp_path / "checkpoints").glob("step-*/progress.json"))
    assert result["examples"] == single.examples and result["target_tokens"] == single.target_tokens
    assert abs(result["losses"][-1] - single.final_loss) < 1e-4
    assert _max_difference(single.model_dir, tmp_path / "model") < 1e-4


@pytest.mark.skipif(shutil.which("c++") is None, reason="DeepSpeed builds its CPU communication op with c++")
@pytest.mark.parametrize("stage", ["2", "3"])
def test_deepspeed_zero_steps_once_per_global_batch_and_saves_the_whole_model(setup, tmp_path, stage):
    pytest.importorskip("deepspeed")
    model, examples, single = setup
    result = _torchrun(
        1, model, examples, tmp_path, ACCELERATE_USE_DEEPSPEED="true", ACCELERATE_DEEPSPEED_ZERO_STAGE=stage
    )
    assert len(result["losses"]) == single.steps
    assert abs(result["losses"][-1] - single.final_loss) < 1e-4
    assert _max_difference(single.model_dir, tmp_path / "model") < 1e-4
