"""The one vocabulary of metric roles: every naming family, every role, overrides, choices."""

from __future__ import annotations

import pytest

from trainboard import roles
from trainboard.roles import (
    ROLES,
    SECTION_ORDER,
    MetricRole,
    deciding_metric,
    definition,
    eval_loss_key,
    goal_of,
    grad_norm_key,
    learning_rate_key,
    parse_definition,
    pick,
    role_of,
    train_loss_key,
    words,
)

# (family, key, role, goal, split)
TABLE = [
    # trainboard and wandb style
    ("trainboard", "train/loss", "train_loss", "min", "train"),
    ("trainboard", "eval/loss", "eval_loss", "min", "eval"),
    ("trainboard", "val/loss", "eval_loss", "min", "eval"),
    ("trainboard", "validation/loss", "eval_loss", "min", "eval"),
    ("trainboard", "training/loss", "train_loss", "min", "train"),
    ("trainboard", "dev/loss", "eval_loss", "min", "eval"),
    ("trainboard", "test/loss", "eval_loss", "min", "eval"),
    ("trainboard", "train/grad_norm", "grad_norm", None, "train"),
    ("trainboard", "grad_norm", "grad_norm", None, None),
    ("trainboard", "lr", "learning_rate", None, None),
    ("trainboard", "tokens", "tokens", None, None),
    ("trainboard", "epoch", "epoch", None, None),
    ("trainboard", "batches", "counter", None, None),
    ("trainboard", "eval/accuracy", "quality", "max", "eval"),
    ("trainboard", "eval/perplexity", "perplexity", "min", "eval"),
    ("trainboard", "train/ppl", "perplexity", "min", "train"),
    ("trainboard", "tokens_per_s", "throughput", "max", None),
    ("trainboard", "tokens/s", "throughput", "max", None),
    ("trainboard", "sys/cpu_percent", "system", None, None),
    ("trainboard", "sys/gpu0/util", "system", None, None),
    ("wandb", "system/gpu.0.gpu", "system", None, None),
    ("wandb", "trainer/global_step", "counter", None, "train"),
    ("wandb", "eval/exact_match", "quality", "max", "eval"),
    ("wandb", "episode_reward", "quality", "max", None),
    ("wandb", "val/wer", "quality", "min", "eval"),
    # Hugging Face Trainer
    ("hf", "loss", "train_loss", "min", None),
    ("hf", "eval_loss", "eval_loss", "min", "eval"),
    ("hf", "grad_norm", "grad_norm", None, None),
    ("hf", "learning_rate", "learning_rate", None, None),
    ("hf", "epoch", "epoch", None, None),
    ("hf", "num_input_tokens_seen", "tokens", None, None),
    ("hf", "eval_accuracy", "quality", "max", "eval"),
    ("hf", "eval_f1", "quality", "max", "eval"),
    ("hf", "eval_bleu", "quality", "max", "eval"),
    ("hf", "train_runtime", "throughput", "min", "train"),
    ("hf", "train_samples_per_second", "throughput", "max", "train"),
    ("hf", "train_steps_per_second", "throughput", "max", "train"),
    ("hf", "eval_runtime", "throughput", "min", "eval"),
    ("hf", "total_flos", "counter", None, None),
    ("hf", "train_loss", "train_loss", "min", "train"),
    # Lightning
    ("lightning", "train_loss", "train_loss", "min", "train"),
    ("lightning", "val_loss", "eval_loss", "min", "eval"),
    ("lightning", "train_loss_step", "train_loss", "min", "train"),
    ("lightning", "train_loss_epoch", "train_loss", "min", "train"),
    ("lightning", "lr-AdamW", "learning_rate", None, None),
    ("lightning", "val_acc", "quality", "max", "eval"),
    # Keras
    ("keras", "loss", "train_loss", "min", None),
    ("keras", "val_loss", "eval_loss", "min", "eval"),
    ("keras", "accuracy", "quality", "max", None),
    ("keras", "val_accuracy", "quality", "max", "eval"),
    # TensorBoard guides
    ("tensorboard", "Loss/train", "train_loss", "min", "train"),
    ("tensorboard", "Loss/validation", "eval_loss", "min", "eval"),
    ("tensorboard", "Learning_Rate/lr", "learning_rate", None, None),
    ("tensorboard", "Gradient/norm", "grad_norm", None, None),
    ("tensorboard", "Performance/step_time_ms", "throughput", "min", None),
    ("tensorboard", "Performance/tokens_per_sec", "throughput", "max", None),
    ("tensorboard", "Training/epoch", "epoch", None, "train"),
    ("tensorboard", "Evaluation/hellaswag_accuracy", "quality", "max", "eval"),
    # case and separators do not matter
    ("any", "VAL-LOSS", "eval_loss", "min", "eval"),
    ("any", "valLoss", "eval_loss", "min", "eval"),
    ("any", "Train.Loss", "train_loss", "min", "train"),
    # not what a word inside them suggests
    ("any", "loss_scale", "other", None, None),
    ("any", "dropout", "other", None, None),
]


@pytest.mark.parametrize(("family", "key", "role", "goal", "split"), TABLE)
def test_every_family_is_recognised(
    family: str, key: str, role: str, goal: str | None, split: str | None
) -> None:
    got = role_of(key)
    assert (got.role, got.goal, got.split) == (role, goal, split), f"{family}: {key}"
    assert got.explicit is False


def test_the_table_covers_every_role() -> None:
    assert {row[2] for row in TABLE} == set(ROLES)
    assert set(roles.ROLE_TEXT) == set(ROLES)


def test_words_ignore_case_and_separators() -> None:
    assert words("Loss/validation") == ("loss", "validation")
    assert words("valLoss") == ("val", "loss")
    assert words("VAL-LOSS") == words("val_loss") == words("val/loss") == ("val", "loss")


@pytest.mark.parametrize(
    ("stored", "role", "goal"),
    [
        ("eval_loss", "eval_loss", "min"),
        ("max", "other", "max"),
        ("quality", "quality", "max"),
        ("quality:min", "quality", "min"),
        ("train_loss:max", "train_loss", "max"),
    ],
)
def test_a_definition_always_wins(stored: str, role: str, goal: str) -> None:
    got = role_of("my_custom_thing", {"my_custom_thing": stored})
    assert (got.role, got.goal, got.explicit) == (role, goal, True)


def test_a_definition_of_only_a_goal_keeps_the_inferred_role() -> None:
    got = role_of("eval/accuracy", {"eval/accuracy": "min"})
    assert (got.role, got.goal, got.split, got.explicit) == ("quality", "min", "eval", True)
    assert goal_of("score", {"score": "min"}) == "min"
    assert goal_of("score") == "max"


def test_definition_round_trip_and_errors() -> None:
    assert definition("eval_loss") == "eval_loss"
    assert definition(goal="maximize") == "max"
    assert definition("quality", "min") == "quality:min"
    assert parse_definition("quality:min") == ("quality", "min")
    assert parse_definition("max") == (None, "max")
    assert parse_definition("newer_role:max") == (None, "max")
    assert parse_definition(3) == (None, None)
    with pytest.raises(ValueError, match="role must be one of train_loss, eval_loss"):
        definition("val_loss")
    with pytest.raises(ValueError, match="goal must be 'min' or 'max', got 'up'"):
        definition(goal="up")
    with pytest.raises(ValueError, match="give a role, a goal or both"):
        definition()


def test_plainest_key_is_picked() -> None:
    lightning = ["train_loss_epoch", "train_loss_step", "train_loss", "val_loss"]
    assert train_loss_key(lightning) == "train_loss"
    assert train_loss_key(["train_loss_epoch", "train_loss_step"]) == "train_loss_step"
    assert train_loss_key(["train/aux_loss", "train/loss", "train/z_loss"]) == "train/loss"
    assert grad_norm_key(["grad_norm/layer0", "grad_norm"]) == "grad_norm"
    assert learning_rate_key(["lr-AdamW", "epoch"]) == "lr-AdamW"


def test_the_issue_examples_disagree_no_more() -> None:
    # training/loss with dev/loss: dev/loss is the eval loss everywhere
    keys = ["training/loss", "dev/loss"]
    assert train_loss_key(keys) == "training/loss"
    assert eval_loss_key(keys) == "dev/loss"
    # a run that logged only train/loss has no eval loss
    assert eval_loss_key(["train/loss"]) is None
    # the TensorBoard-guide run decides on its validation loss, not on an accuracy
    guide = [
        "Loss/train", "Loss/validation", "Learning_Rate/lr", "Gradient/norm",
        "Performance/step_time_ms", "Performance/tokens_per_sec", "Training/epoch",
        "Evaluation/hellaswag_accuracy",
    ]  # fmt: skip
    assert deciding_metric(guide) == "Loss/validation"
    assert train_loss_key(guide) == "Loss/train"
    assert grad_norm_key(guide) == "Gradient/norm"


def test_deciding_metric_order() -> None:
    assert deciding_metric(["loss", "eval_loss"]) == "eval_loss"
    assert deciding_metric(["loss", "eval_accuracy"]) == "loss"
    assert deciding_metric(["accuracy", "val_accuracy", "lr"]) == "val_accuracy"
    assert deciding_metric(["lr", "grad_norm", "tokens"]) is None
    # an explicit role overrides the name
    assert deciding_metric(["loss", "hellaswag"], {"hellaswag": "eval_loss"}) == "hellaswag"
    assert pick(["a", "b"], "grad_norm", {"b": "grad_norm"}) == "b"


def test_explicit_key_beats_a_recognised_one() -> None:
    keys = ["train/loss", "my_loss"]
    assert train_loss_key(keys, {"my_loss": "train_loss"}) == "my_loss"


def test_to_json() -> None:
    r = role_of("eval/loss")
    assert isinstance(r, MetricRole)
    assert r.to_json() == {
        "role": "eval_loss",
        "goal": "min",
        "split": "eval",
        "explicit": False,
        "text": "eval loss",
        "group": "loss",
        "section": "Loss",
        "section_rank": 0,
    }
    assert role_of("sys/cpu").to_json()["section_rank"] == len(SECTION_ORDER) - 1


def test_run_keys_are_worked_out_once_and_read_by_progress_and_figures() -> None:
    from trainboard.analysis.progress import key_roles
    from trainboard.report.roles import figure_keys
    from trainboard.roles import run_keys
    from trainboard.store.records import RunRecord

    keys = ["loss", "eval_loss", "eval_accuracy", "grad_norm", "learning_rate", "epoch",
            "num_input_tokens_seen", "train_accuracy", "eval_perplexity"]  # fmt: skip
    k = run_keys(keys)
    assert (k.train_loss, k.eval_loss, k.grad_norm, k.learning_rate, k.epoch, k.tokens) == (
        "loss", "eval_loss", "grad_norm", "learning_rate", "epoch", "num_input_tokens_seen"
    )  # fmt: skip
    assert k.accuracy == ("eval_accuracy", "train_accuracy")  # eval first
    assert k.to_json()["accuracy"] == ["eval_accuracy", "train_accuracy"]
    assert run_keys(keys) is k  # once per set of keys and definitions
    run = RunRecord("a" * 12, "p", "r", summary=dict.fromkeys(keys))  # type: ignore[arg-type]
    assert key_roles(run) is k and figure_keys(keys) is k
    defined = run_keys(["score", "loss"], {"score": "eval_loss"})
    assert defined.eval_loss == "score"


def test_splits_of_one_metric_share_a_chart_group() -> None:
    groups = {k: role_of(k).group for k in ["train/loss", "Loss/validation", "val_loss", "loss"]}
    assert set(groups.values()) == {"loss"}
    assert role_of("eval_accuracy").group == role_of("train/accuracy").group == "accuracy"
    assert role_of("sys/gpu0/util").group == "sys/gpu0/util"
    assert role_of("sys/gpu0/util").section == "System"
    # each rank's metric of a multi-process job: one chart per metric, every rank on it
    ranked = {role_of(f"sys/rank{r}/gpu/util").group for r in (0, 1, 12)}
    assert ranked == {"sys/rank*/gpu/util"}
    assert role_of("sys/rank1/steps_per_s").group == "sys/rank*/steps_per_s"
    assert role_of("Gradient/norm").section == "Gradients"
    assert set(roles.SECTIONS.values()) == set(roles.SECTION_ORDER)
