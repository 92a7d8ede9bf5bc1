"""Training on several devices or machines, and the guards that make a run safe to kill and repeat.

Strategies (TensorFlow backend):

- ``"mirrored"``: ``tf.distribute.MirroredStrategy``, every GPU of this machine (or every logical CPU device
  when there is no GPU).
- ``"multiworker"``: ``tf.distribute.MultiWorkerMirroredStrategy``; the cluster comes from ``TF_CONFIG``.
  Start one process per worker, each with the same cluster and its own ``task.index``.

Batch size: ``--batch-size`` (``batch_size=``) is the *global* batch. Each step reads one global batch and
splits it across the ``num_replicas_in_sync`` replicas, so a run on 4 GPUs with ``--batch-size 256`` gives
each GPU 64 texts. The learning rate is therefore that of a single-device run with the same batch size, and
the loss and metrics Keras reports are those of the global batch (Keras divides the summed per-replica loss by
the global batch size). To keep the per-device batch when adding devices, multiply ``--batch-size`` by the
number of replicas yourself.

JAX backend: the equivalent is ``keras.distribution.DataParallel`` (see ``data_parallel``); PyTorch has no
built-in multi-device ``fit`` in Keras 3.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from typing import Any

import keras

from kernest._errors import KernestError, TrainingDiverged

STRATEGIES = ("mirrored", "multiworker")


def make_strategy(name: str | None) -> Any:
    """The ``tf.distribute`` strategy that ``--distribute NAME`` asks for.

    Create it first, before any other TensorFlow call: ``MultiWorkerMirroredStrategy`` must configure the
    collective runtime before TensorFlow initialises its devices.

    Args:
        name: ``"mirrored"``, ``"multiworker"``, or ``None`` / ``""`` / ``"none"`` for no strategy.

    Returns:
        The strategy, or ``None`` for a single-device run.

    Raises:
        KernestError: an unknown name; a backend other than TensorFlow; ``"multiworker"`` without a valid
            ``TF_CONFIG``.

    Example:
        >>> make_strategy(None) is None
        True
        >>> make_strategy("ring")
        Traceback (most recent call last):
        ...
        kernest._errors.KernestError: unknown distribution strategy 'ring'. Choose one of: mirrored, multiworker.
    """
    if name is None or name.strip().lower() in ("", "none", "off"):
        return None
    key = name.strip().lower().replace("-", "").replace("_", "")
    if key not in STRATEGIES:
        raise KernestError(f"unknown distribution strategy {name!r}. Choose one of: {', '.join(STRATEGIES)}.")
    backend = keras.backend.backend()
    if backend != "tensorflow":
        hint = (" On JAX use keras.distribution.DataParallel instead (kernest.text._distribute.data_parallel())."
                if backend == "jax" else "")
        raise KernestError(
            f"--distribute {key} needs the TensorFlow backend, but Keras runs on {backend!r}. Run with "
            f"--backend tensorflow (or KERAS_BACKEND=tensorflow).{hint}"
        )
    import tensorflow as tf

    if key == "mirrored":
        # Every GPU; without one, every logical CPU device (one, unless the process split the CPU with
        # tf.config.set_logical_device_configuration, as the tests do).
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    cluster, task_type, task_index = read_tf_config()
    del cluster, task_type, task_index  # validated; TensorFlow reads TF_CONFIG itself
    return tf.distribute.MultiWorkerMirroredStrategy()


def read_tf_config() -> tuple[dict[str, list[str]], str, int]:
    """Parse and check ``TF_CONFIG``: ``{"cluster": {"worker": [...]}, "task": {"type": ..., "index": ...}}``.

    Returns:
        The cluster, this task's type and index.

    Raises:
        KernestError: ``TF_CONFIG`` is unset, not JSON, or inconsistent; the message shows a valid example.
    """
    example = ('TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
               '"task": {"type": "worker", "index": 0}}\'')
    raw = os.environ.get("TF_CONFIG", "").strip()
    if not raw:
        raise KernestError(
            "--distribute multiworker needs the TF_CONFIG environment variable, which names every worker and "
            f"this process's place among them. Set it in each worker, e.g. {example} (index 1 on host2)."
        )
    try:
        conf = json.loads(raw)
    except json.JSONDecodeError as e:
        raise KernestError(f"TF_CONFIG is not valid JSON ({e}). Set it like {example}.") from None
    cluster = conf.get("cluster") if isinstance(conf, dict) else None
    task = conf.get("task") if isinstance(conf, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise KernestError(f"TF_CONFIG needs a 'cluster' and a 'task' mapping. Set it like {example}.")
    task_type, task_index = task.get("type"), task.get("index")
    members = cluster.get(task_type) if isinstance(task_type, str) else None
    if (not isinstance(task_type, str) or not isinstance(members, list) or not isinstance(task_index, int)
            or not 0 <= task_index < len(members)):
        raise KernestError(
            f"TF_CONFIG task {task!r} is not a member of its cluster {cluster!r}: task.type must be a key of "
            f"cluster and task.index a position in that list. Set it like {example}."
        )
    return cluster, task_type, task_index


def is_chief(strategy: Any = None) -> bool:
    """Whether this process writes the run directory: always, except on non-chief multi-worker workers.

    Worker 0 is the chief unless the cluster names a ``chief`` task, as in TensorFlow.
    """
    if strategy is None or not os.environ.get("TF_CONFIG"):
        return True
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None:
        return True
    if task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and not has_chief


def replicas(strategy: Any = None) -> int:
    """Replicas that share each global batch (1 without a strategy)."""
    return 1 if strategy is None else int(strategy.num_replicas_in_sync)


def check_batch_size(batch_size: int, strategy: Any = None) -> int:
    """Check the global batch gives every replica at least one example; returns the per-replica batch.

    Raises:
        KernestError: ``batch_size`` is below 1 or below the number of replicas.

    Example:
        >>> check_batch_size(32)
        32
    """
    n = replicas(strategy)
    if batch_size < 1:
        raise KernestError(f"--batch-size must be at least 1 (got {batch_size}).")
    if batch_size < n:
        raise KernestError(
            f"--batch-size {batch_size} is the global batch, split across {n} replicas; it must be at least "
            f"{n}. Use --batch-size {n * max(1, batch_size)} or more."
        )
    return math.ceil(batch_size / n)


def scope(strategy: Any = None) -> contextlib.AbstractContextManager[Any]:
    """``strategy.scope()``, or a no-op without a strategy. Build and compile the model inside it."""
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def shard_by_data(dataset: Any, strategy: Any = None) -> Any:
    """Make a multi-worker run split an in-memory ``tf.data`` pipeline by element, not by file.

    Our pipelines are built from tensors, so TensorFlow's default file-based auto-sharding would fall back
    with a warning; ``DATA`` sharding gives each worker every n-th element of the global batch.
    """
    if strategy is None or replicas(strategy) == 1 and not os.environ.get("TF_CONFIG"):
        return dataset
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def is_multiworker(strategy: Any) -> bool:
    """Whether ``strategy`` is a ``MultiWorkerMirroredStrategy``."""
    if strategy is None:
        return False
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def prepare_fit(model: Any, dataset: Any, strategy: Any = None) -> None:
    """Make ``model.fit(dataset)`` work under ``MultiWorkerMirroredStrategy`` (no-op otherwise).

    Keras 3.15's TensorFlow trainer builds the model before ``fit`` by reducing the first distributed
    ``(x, y)`` batch with ``strategy.reduce``; the multi-worker strategy cannot reduce a tuple and fails with
    "Attempt to convert a value (PerReplica ...) to a Tensor". The build needs only shapes and dtypes, so this
    builds the model, its loss, metrics and optimizer from ``dataset.element_spec`` inside the strategy's
    scope, then skips Keras's own pre-build for this model; and it makes each step's logs vectors of one
    value, which Keras can average across workers. Call it after ``compile``, before ``fit``.

    Args:
        model: the compiled model.
        dataset: the training ``tf.data.Dataset`` (only its ``element_spec`` is read).
        strategy: the strategy the model was built under.
    """
    if not is_multiworker(strategy):
        return
    with strategy.scope():
        model._symbolic_build(data_batch=dataset.element_spec)
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)

    def _already_built(iterator: Any = None, data_batch: Any = None) -> None:
        return None

    model._maybe_symbolic_build = _already_built
    # Keras 3.15 also reduces each step's scalar logs across workers with ``reduce("MEAN", v, axis=0)``,
    # which fails on a scalar ("Invalid reduction dimension 0"); logs of shape (1,) reduce to the same mean.
    model.train_step = _vector_logs(model.train_step)
    model.test_step = _vector_logs(model.test_step)


def _vector_logs(step: Any) -> Any:
    import tensorflow as tf

    def wrapped(data: Any) -> Any:
        logs = step(data)
        return {k: tf.reshape(v, [1]) if getattr(v, "shape", None) is not None and v.shape.rank == 0 else v
                for k, v in logs.items()}

    return wrapped


def enable_determinism(seed: int) -> None:
    """Seed Python, NumPy and the backend, and make TensorFlow ops deterministic (``--deterministic``).

    Deterministic ops are slower on GPUs and some ops have no deterministic kernel (TensorFlow then raises).
    """
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


class NaNGuard(keras.callbacks.Callback):
    """Stop training at the first batch whose loss is NaN or infinite, before anything is saved.

    Keras's ``TerminateOnNaN`` only sets ``stop_training``; the epoch still ends and checkpoint callbacks would
    save the broken weights. This guard raises ``TrainingDiverged`` from the batch, so ``fit`` stops there and
    the last good checkpoint stays on disk. Put it first in the callback list.

    Args:
        checkpoint: where the last good checkpoint lives, for the message.
        learning_rate: the learning rate in use, for the message.
    """

    def __init__(self, checkpoint: str | os.PathLike[str] | None = None,
                 learning_rate: float | None = None) -> None:
        super().__init__()
        self.checkpoint = checkpoint
        self.learning_rate = learning_rate
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        value = float(loss)
        if math.isfinite(value):
            return
        self.model.stop_training = True
        kept = (f"The last good checkpoint is kept in {os.fspath(self.checkpoint)!r}; "
                if self.checkpoint is not None else "")
        lr = f" (now {self.learning_rate:g})" if self.learning_rate is not None else ""
        raise TrainingDiverged(
            f"training diverged: the loss became {value} at epoch {self._epoch + 1}, batch {batch + 1}, so "
            f"training stopped. {kept}lower learning_rate{lr} in the model config and train again."
        )


def data_parallel() -> Any:
    """Spread each batch over all local devices on the JAX backend (``keras.distribution.DataParallel``).

    Call it before building the model; ``fit`` then splits every batch across the devices. For several
    virtual CPU devices set ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` before JAX starts.

    Returns:
        The distribution, already set with ``keras.distribution.set_distribution``.

    Raises:
        KernestError: the backend is not JAX.
    """
    if keras.backend.backend() != "jax":
        raise KernestError(
            f"keras.distribution.DataParallel needs the JAX backend, but Keras runs on "
            f"{keras.backend.backend()!r}. On TensorFlow use --distribute mirrored."
        )
    dist = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    keras.distribution.set_distribution(dist)
    return dist
