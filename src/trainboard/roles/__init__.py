"""What each metric key *is*: the one vocabulary of metric roles for the whole product.

Progress, health, ranking, compare, the runs list, reports, the CLI, the integrations and the
UI (through the API) ask this module which key is the train loss, the eval loss, the grad
norm..., and which way is better for a key. Two lists of the same thing drift apart; this is
the only one. It imports nothing else from trainboard, so every layer can import it.

    table.py   the vocabulary as data: roles, their text and sections, each family's words
    match.py   what one key is (`role_of`), and a run's own definitions
    choose.py  which key plays a role among several (`pick`), and which decides "best"
    keys.py    a run's keys by role, once (`run_keys`): progress, figures and the UI read it
    measure.py what runs are compared on whatever each tool named it (`Measure`), and each
               run's own key for it

Roles (`ROLES`, with a one-line meaning each in `ROLE_TEXT`):

    train_loss     the training objective              min
    eval_loss      the loss on held-out data           min
    perplexity     exp(loss), train or eval            min
    quality        accuracy, F1, BLEU, exact match,    max (min for error, WER, MSE...)
                   reward... (`split` says train/eval)
    grad_norm      the gradient norm                   -
    learning_rate  the learning rate (any param group) -
    tokens         the cumulative count of tokens seen -
    throughput     tokens/s, samples/s, step time      max for rates, min for times
    epoch          the (fractional) epoch              -
    counter        step, global_step, batches, samples -
    system         CPU, RAM, GPU (sys/..., system/...) -
    other          anything else (goal from its words when they say one)

Recognition ignores case and separators ("Loss/validation", "val_loss", "valLoss" and
"VAL-LOSS" are the same words) and knows the common naming families: trainboard and wandb
(`train/loss`, `eval/loss`, `val/loss`), Hugging Face Trainer (`loss`, `eval_loss`,
`grad_norm`, `learning_rate`, `epoch`, `num_input_tokens_seen`, `eval_accuracy`,
`train_runtime`), Lightning (`train_loss`, `val_loss`, `train_loss_step`, `train_loss_epoch`,
`lr-AdamW`), Keras (`loss`, `val_loss`, `accuracy`, `val_accuracy`) and the names the
TensorBoard guides teach (`Loss/train`, `Loss/validation`, `Learning_Rate/lr`,
`Gradient/norm`, `Performance/step_time_ms`, `Performance/tokens_per_sec`, `Training/epoch`,
`Evaluation/hellaswag_accuracy`).

A run can say it outright, and that always wins: `define_metric(key, role=..., goal=...)`
stores a *definition* per key in the run's `goals` mapping (the JSON column that always held
"min"/"max"): "min", "max", a role name, or "role:goal" (`definition`, `parse_definition`).

When several keys share a role (`train/loss` and `train/aux_loss`; Lightning's `train_loss`,
`train_loss_step` and `train_loss_epoch`), `pick` chooses the plainest: an explicit
definition first, then the fewest extra words, then the per-step variant over the per-epoch
one, then (for the train loss) a name that says so ("train/loss" over "loss"), then the
shortest name.
"""

from trainboard.roles.choose import (
    batches_key,
    can_decide,
    deciding_metric,
    defined_roles,
    epoch_key,
    eval_loss_key,
    grad_norm_key,
    is_system,
    keys_with,
    learning_rate_key,
    pick,
    tokens_key,
    train_loss_key,
)
from trainboard.roles.keys import RunKeys, run_keys
from trainboard.roles.match import (
    MetricRole,
    data_wait_key,
    definition,
    goal_of,
    parse_definition,
    role_of,
    roles_of,
    words,
)
from trainboard.roles.measure import (
    Measure,
    deciding_measure,
    measure_of,
    parse_metric,
    value_kind,
)
from trainboard.roles.vocabulary import (
    DECIDING_ROLES,
    GOALS,
    ROLE_TEXT,
    ROLES,
    SECTION_ORDER,
    SECTIONS,
    Goal,
    Role,
    Split,
)

__all__ = [
    "DECIDING_ROLES",
    "GOALS",
    "ROLES",
    "ROLE_TEXT",
    "SECTIONS",
    "SECTION_ORDER",
    "Goal",
    "Measure",
    "MetricRole",
    "RunKeys",
    "Role",
    "Split",
    "batches_key",
    "can_decide",
    "data_wait_key",
    "deciding_metric",
    "defined_roles",
    "deciding_measure",
    "definition",
    "epoch_key",
    "eval_loss_key",
    "goal_of",
    "grad_norm_key",
    "is_system",
    "keys_with",
    "learning_rate_key",
    "measure_of",
    "parse_definition",
    "parse_metric",
    "pick",
    "role_of",
    "roles_of",
    "run_keys",
    "tokens_key",
    "train_loss_key",
    "value_kind",
    "words",
]
