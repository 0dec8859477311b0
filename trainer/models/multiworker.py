"""Training over several machines: ``train --distribute multiworker`` runs ``tf.distribute.MultiWorkerMirroredStrategy``
from ``TF_CONFIG``, with a training loop of its own (Keras 3's ``fit`` does not run under that strategy:
keras-team/keras#20585).

Every worker runs the same command on its own copy of the data. An epoch's draw depends only on the seed and the
epoch number, so all workers agree on every batch without sending data: at each step every replica prepares only its
own share of the global batch (rows r, r + R, r + 2R, ...), the gradients are summed over all replicas, and the
weights stay the same everywhere. Each worker scores the validation split itself (the same weights give the same
figure), so all of them stop early together; the chief (task ``chief``, else worker 0) keeps the best epoch and
writes the model folder, the others write nothing but their checkpoint.

After every epoch each worker writes its checkpoint, one file replaced whole (weights, optimizer state, the epoch,
the history so far): a run stopped or killed anywhere is continued by starting every worker again with ``--resume``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from kwsapp.core.files import write_atomic


class ClusterError(Exception):
    pass


def cluster_from_env() -> tuple[str, int, int, bool]:
    """(task type, task index, number of workers, is chief) from ``TF_CONFIG``; a one-line error when it is missing
    or malformed."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ClusterError("--distribute multiworker: TF_CONFIG is not set (it names the cluster and this task; "
                           "see docs/training.md)")
    try:
        conf = json.loads(raw)
        cluster, task = conf["cluster"], conf["task"]
        kind, index = str(task["type"]), int(task["index"])
        n = sum(len(cluster.get(k, [])) for k in ("chief", "worker"))
    except (ValueError, KeyError, TypeError) as exc:
        raise ClusterError(f"--distribute multiworker: TF_CONFIG is not a cluster description ({exc})") from None
    if kind not in ("chief", "worker") or index < 0 or index >= len(cluster.get(kind, [])):
        raise ClusterError(f"--distribute multiworker: TF_CONFIG's task {kind} {index} is not in its cluster")
    chief = kind == "chief" or (kind == "worker" and index == 0 and not cluster.get("chief"))
    return kind, index, n, chief


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def checkpoint_file(ckpt_dir: Path, kind: str, index: int) -> Path:
    """This task's checkpoint: one file per task, so workers that share a folder do not write over each other."""
    return Path(ckpt_dir) / f"{kind}-{index}.npz"


def save_checkpoint(path: Path, model, optimizer, state: dict) -> None:
    """Weights, optimizer variables and ``state`` (JSON) in one .npz, written beside and renamed over the last."""
    arrays = {f"w{i:04d}": w for i, w in enumerate(model.get_weights())}
    arrays.update({f"o{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)})
    arrays["state"] = np.frombuffer(json.dumps(state).encode(), np.uint8)

    def write(tmp: Path) -> None:
        np.savez(tmp, **arrays)
        if path.is_file():  # the epoch before is kept too (a worker killed a step behind the others resumes from
            os.replace(path, previous_checkpoint(path))  # it), moved aside only once the new one is whole
    write_atomic(path, write, suffix=".npz")


def previous_checkpoint(path: Path) -> Path:
    return path.with_name(path.stem + "-previous.npz")


def epochs_done(path: Path) -> int | None:
    """The epochs a checkpoint holds, without loading its weights (None: no readable checkpoint there)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return int(json.loads(bytes(z["state"]).decode())["epochs_done"])
    except (OSError, ValueError, KeyError):
        return None


def agreed_checkpoint(strategy, path: Path, max_epochs: int) -> Path:
    """The checkpoint of the last epoch every worker finished: workers stopped at different moments can be one epoch
    apart, so each offers its newest and the one before, and all take the oldest newest (counted over replicas)."""
    import tensorflow as tf

    mine = {e: p for p in (path, previous_checkpoint(path)) if (e := epochs_done(p)) is not None}
    if not mine:
        raise ClusterError(f"{path}: not a readable checkpoint")
    newest = np.zeros(max_epochs + 1, np.float32)
    newest[min(max(mine), max_epochs)] = 1.0
    per = strategy.run(lambda: tf.constant(newest))
    counts = strategy.reduce(tf.distribute.ReduceOp.SUM, per, axis=None).numpy()
    agreed = int(np.flatnonzero(counts)[0])
    if agreed not in mine:
        raise ClusterError(f"{path}: no checkpoint of epoch {agreed}, the last one every worker finished")
    return mine[agreed]


def load_checkpoint(path: Path, model, optimizer) -> dict:
    """Restore what :func:`save_checkpoint` wrote (no pickle); the state back. A checkpoint of another model is a
    ClusterError naming the file."""
    try:
        with np.load(path, allow_pickle=False) as z:
            weights = [z[k] for k in sorted(k for k in z.files if k.startswith("w"))]
            opt = [z[k] for k in sorted(k for k in z.files if k.startswith("o"))]
            state = json.loads(bytes(z["state"]).decode())
    except (OSError, ValueError, KeyError) as exc:
        raise ClusterError(f"{path}: not a readable checkpoint ({exc})") from None
    now = model.get_weights()
    if len(weights) != len(now) or any(a.shape != b.shape for a, b in zip(weights, now)):
        raise ClusterError(f"{path}: a checkpoint of another model (its weights do not fit this one)")
    model.set_weights(weights)
    optimizer.build(model.trainable_variables)
    if len(opt) != len(optimizer.variables) or any(a.shape != tuple(v.shape) for a, v in zip(opt, optimizer.variables)):
        raise ClusterError(f"{path}: its optimizer state does not fit this model")
    for v, a in zip(optimizer.variables, opt):
        v.assign(a)
    return state


def fit_multiworker(cfg, strategy, model, train_data, val_data, out: Path, best_file: str, history_file: str,
                    chief: bool, learning_rate_of, ckpt_file: Path) -> None:
    """Train ``model`` (built in ``strategy``'s scope) for ``cfg.epochs`` with early stopping on validation accuracy;
    the chief writes ``out/best_file`` (the best epoch) and ``out/history_file``. Every worker keeps its last
    finished epoch in ``ckpt_file`` (continued from there with ``cfg.resume``; removed when the run ends)."""
    import keras
    import tensorflow as tf

    from trainer.models.interrupts import SigintLatch

    replicas = strategy.num_replicas_in_sync
    with strategy.scope():
        optimizer = keras.optimizers.Adam(cfg.learning_rate)
        loss_fn = keras.losses.CategoricalCrossentropy(reduction="none")

    @tf.function
    def train_step(x, y, global_rows):
        def replica(xb, yb):
            with tf.GradientTape() as tape:
                p = model(xb, training=True)
                loss = tf.reduce_sum(loss_fn(yb, p)) / global_rows
                if model.losses:
                    loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(replica, args=(x, y)), axis=None)

    # batch-norm statistics are kept by each replica from its own rows: averaged over all replicas after each epoch,
    # so that every worker validates, and the chief saves, the same model
    stats = [v for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
             for v in (layer.moving_mean, layer.moving_variance)]

    def sync_statistics() -> None:
        if not stats:
            return
        per = strategy.run(lambda: [tf.identity(v.value) for v in stats])
        for v, p in zip(stats, per):
            v.assign(strategy.reduce(tf.distribute.ReduceOp.MEAN, p, axis=None).numpy())

    @tf.function
    def predict(x):
        return model(x, training=False)

    def validate() -> tuple[float, float]:
        right, loss, n = 0, 0.0, 0
        for i in range(len(val_data)):
            x, y = val_data[i]
            p = predict(x).numpy()
            right += int((p.argmax(1) == y.argmax(1)).sum())
            loss += float(-(y * np.log(np.clip(p, 1e-7, 1.0))).sum())
            n += len(y)
        return right / max(n, 1), loss / max(n, 1)

    steps = max(1, train_data.plan.n_total // cfg.batch_size)  # every replica gets rows at every step
    best, since_best, rows, first = -1.0, 0, [], 0
    if cfg.resume:
        with strategy.scope():
            state = load_checkpoint(agreed_checkpoint(strategy, ckpt_file, cfg.epochs), model, optimizer)
        best, since_best, rows, first = state["best"], state["since_best"], state["rows"], state["epochs_done"]
        _log(f"multi-worker training: resumed after epoch {first} of {cfg.epochs}")
        if since_best >= cfg.patience:
            first = cfg.epochs  # it had stopped early
    latch = SigintLatch()

    def run_epoch(epoch: int) -> bool:
        """One epoch on every worker; True when training stops early."""
        nonlocal best, since_best
        t0 = time.time()
        train_data.set_epoch(epoch)
        lr = learning_rate_of(epoch)
        optimizer.learning_rate.assign(lr)
        total = 0.0
        for i in range(steps):
            ys = {}

            def x_of(ctx, i=i, ys=ys):  # this replica's rows of batch i (their labels kept for y_of)
                x, ys[ctx.replica_id_in_sync_group] = train_data.part(i, ctx.replica_id_in_sync_group, replicas)
                return x

            x = strategy.experimental_distribute_values_from_function(x_of)
            y = strategy.experimental_distribute_values_from_function(lambda ctx, ys=ys: ys[ctx.replica_id_in_sync_group])
            total += float(train_step(x, y, tf.constant(float(cfg.batch_size))))
        sync_statistics()
        val_acc, val_loss = validate()
        row = {"epoch": epoch, "loss": total / steps, "val_accuracy": val_acc, "val_loss": val_loss, "learning_rate": lr}
        rows.append(row)
        latch.hold()  # Ctrl-C waits until the epoch's files are all written
        if val_acc > best:
            best, since_best = val_acc, 0
            if chief:
                keras.saving.save_model(model, out / best_file)
        else:
            since_best += 1
        save_checkpoint(ckpt_file, model, optimizer,
                        {"epochs_done": epoch + 1, "best": best, "since_best": since_best, "rows": rows})
        if chief:
            with open(out / history_file, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(row))
                w.writeheader()
                w.writerows(rows)
        _log(f"Epoch {epoch + 1}/{cfg.epochs}: {time.time() - t0:.0f}s - loss {row['loss']:.4f} - val_accuracy "
             f"{val_acc:.4f} - val_loss {val_loss:.4f} ({replicas} replicas)")
        if latch.release():
            raise KeyboardInterrupt
        if since_best >= cfg.patience:
            _log(f"early stop: no better validation accuracy for {cfg.patience} epochs")
            return True
        return False

    # another worker that stops (killed, its machine lost) makes the collectives fail here with a gRPC error
    lost = (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.CancelledError,
            tf.errors.DeadlineExceededError, tf.errors.InternalError)
    for epoch in range(first, cfg.epochs):
        try:
            if run_epoch(epoch):
                break
        except lost as exc:
            raise ClusterError(f"another worker of the cluster stopped during epoch {epoch + 1} "
                               f"({type(exc).__name__}); start every worker again with the same command and "
                               "--resume") from None
    ckpt_file.unlink(missing_ok=True)
    previous_checkpoint(ckpt_file).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        ckpt_file.parent.rmdir()  # when no other task's checkpoint is left in it
