"""What one training epoch is made of: every command clip (or, balanced, the same fresh count of each command), a
fresh draw of unknown clips (per data folder), silence made from background noise, and
the augmentation of each batch; and the validation batches."""

from __future__ import annotations

import numpy as np

from kwsapp.core.labels import COMMANDS, LABELS, SILENCE, UNKNOWN
from trainer.data.augment import AugmentSettings, augment_batch
from trainer.data.dataset import TRAIN, DatasetError, silence_gains
from trainer.data.sources import Source, command_positions, features_at, silence_features
from trainer.models.config import TrainConfig
from trainer.models.distill import soft_targets


def augment_settings(cfg: TrainConfig) -> AugmentSettings:
    masks = 2 if cfg.spec_augment else 0
    return AugmentSettings(max_shift_frames=int(round(cfg.max_shift_ms / cfg.features.frame_step_ms)),
                           snr_db_range=tuple(cfg.snr_db_range), freq_masks=masks, time_masks=masks,
                           max_time_mask_frames=int(round(100.0 / cfg.features.frame_step_ms)))


class EpochPlan:
    """Which clips make up one epoch: every command clip, a fresh sample of unknown clips and of silence."""

    def __init__(self, sources: list[Source], cfg: TrainConfig):
        self.by_label: dict[str, np.ndarray] = {}
        for lab in (*COMMANDS, UNKNOWN):
            parts = [np.stack([np.full(len(p), si), p], axis=1)
                     for si, s in enumerate(sources) for p in [command_positions(s, TRAIN)[lab]]]
            self.by_label[lab] = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
        per_cmd = [len(self.by_label[c]) for c in COMMANDS if len(self.by_label[c])]
        if not per_cmd:
            raise DatasetError("no command clips (yes, no, up, ...) in the training split of " + ", ".join(cfg.data)
                               + " (data that is one part of a split already, such as Speech Commands' test "
                               "partition, needs a salted split: --split-salt kwsapp --test-percent 15)")
        mean_cmd = float(np.mean(per_cmd))
        self.n_unknown = min(len(self.by_label[UNKNOWN]), int(round(cfg.unknown_ratio * mean_cmd)))
        # Unknown clips are drawn from each data folder in proportion to its command clips, so the share of
        # unknown is the same in every folder. Drawn from the pooled clips instead, a folder rich in other
        # words (the synthetic one) fills the unknown class, and the model learns "a synthetic voice is
        # unknown": real people's other words then come out as commands.
        n_cmd = np.array([sum(int((self.by_label[c][:, 0] == si).sum()) for c in COMMANDS)
                          for si in range(len(sources))], dtype=np.float64)
        n_unk = np.array([int((self.by_label[UNKNOWN][:, 0] == si).sum()) for si in range(len(sources))])
        want = np.where(n_unk > 0, n_cmd, 0.0)
        self.unknown_per_source = (np.floor(self.n_unknown * want / want.sum()).astype(int) if want.sum() > 0
                                   else np.zeros(len(sources), dtype=int))
        self.n_unknown = int(self.unknown_per_source.sum())
        # balanced: every command gets an average command's count each epoch, drawn afresh (None: every clip once)
        self.n_per_command = int(round(mean_cmd)) if cfg.balance_commands else None
        self.n_silence = int(round(cfg.silence_ratio * mean_cmd))
        self.n_commands = (sum(len(self.by_label[c]) for c in COMMANDS) if self.n_per_command is None
                           else self.n_per_command * sum(1 for c in COMMANDS if len(self.by_label[c])))
        self.n_total = self.n_commands + self.n_unknown + self.n_silence

    @staticmethod
    def balanced_draw(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` clips of one command: a fresh subset of a larger pool, or every clip of a smaller one as many
        whole times as fit and the rest drawn without repeats."""
        whole, rest = divmod(n, len(pool))
        picks = [np.arange(len(pool))] * whole + [rng.choice(len(pool), rest, replace=False)]
        return pool[np.concatenate(picks)]

    def epoch(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(items, labels): items[:, 0] is the source (-1 for silence), items[:, 1] the position."""
        items, ys = [], []
        for lab in COMMANDS:
            pool = self.by_label[lab]
            if self.n_per_command is not None and len(pool):
                pool = self.balanced_draw(pool, self.n_per_command, rng)
            items.append(pool)
            ys.append(np.full(len(pool), LABELS.index(lab)))
        unk = self.by_label[UNKNOWN]
        for si, n in enumerate(self.unknown_per_source):
            if n:
                pool = unk[unk[:, 0] == si]  # without replacement while the folder has enough
                items.append(pool[rng.choice(len(pool), n, replace=bool(n > len(pool)))])
                ys.append(np.full(n, LABELS.index(UNKNOWN)))
        items.append(np.stack([np.full(self.n_silence, -1), np.arange(self.n_silence)], axis=1))
        ys.append(np.full(self.n_silence, LABELS.index(SILENCE)))
        items, ys = np.concatenate(items).astype(np.int64), np.concatenate(ys).astype(np.int64)
        order = rng.permutation(len(items))
        return items[order], ys[order]


def even(x, y, multiple_of: int):
    """A batch made a multiple of ``multiple_of`` rows (tf.distribute's mirrored replicas each take an equal share;
    Keras fails on a last batch that does not split evenly) by repeating its first rows: at most
    ``multiple_of - 1`` of them, never an empty share."""
    short = -len(x) % multiple_of
    if not short:
        return x, y
    take = np.arange(short) % len(x)
    return np.concatenate([x, x[take]]), np.concatenate([y, y[take]])


def make_training_dataset(sources: list[Source], cfg: TrainConfig, noise_bank: np.ndarray, teachers=None,
                          multiple_of: int = 1):
    """``teachers``: None, or a callable from a batch of features to scores (``distill.Teachers``) that
    supplies ``cfg.teacher_weight`` of every target. ``multiple_of``: every batch a multiple of this many rows."""
    import keras

    class TrainingData(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.plan = EpochPlan(sources, cfg)
            self.epoch_no = 0
            self._built_for = None
            self.aug = augment_settings(cfg)

        def set_epoch(self, epoch: int):
            self.epoch_no = epoch

        def _ensure(self):
            if self._built_for != self.epoch_no:
                rng = np.random.default_rng([cfg.seed, self.epoch_no])
                self.items, self.ys = self.plan.epoch(rng)
                self.sil_bank_idx = rng.integers(max(len(noise_bank), 1), size=self.plan.n_silence)
                self.sil_gains = silence_gains(self.plan.n_silence, rng)
                self._built_for = self.epoch_no

        def __len__(self):
            return int(np.ceil(self.plan.n_total / cfg.batch_size))

        def __getitem__(self, i):
            return even(*self.part(i, 0, 1), multiple_of)

        def part(self, i, r: int, parts: int):
            """Rows r, r + parts, r + 2 parts, ... of batch ``i``: one replica's share of it in multi-worker
            training (``trainer.models.multiworker``); ``part(i, 0, 1)`` is the whole batch."""
            self._ensure()
            sl = slice(i * cfg.batch_size, (i + 1) * cfg.batch_size)
            items, ys = self.items[sl][r::parts], self.ys[sl][r::parts]
            s = cfg.features
            x = np.empty((len(items),) + s.shape, dtype=np.float32)
            speech = items[:, 0] >= 0
            x[speech] = features_at(sources, items[speech], s.shape)
            rng = np.random.default_rng([cfg.seed, self.epoch_no, i, 1] + ([r, parts] if parts > 1 else []))
            if cfg.augment and speech.any():
                x[speech] = augment_batch(x[speech], noise_bank, rng, self.aug, s.floor, s.log_eps)
            if (~speech).any():
                k = items[~speech, 1]
                if len(noise_bank):
                    x[~speech] = silence_features(noise_bank[self.sil_bank_idx[k]], self.sil_gains[k], s)
                else:
                    x[~speech] = s.floor
            y = np.eye(len(LABELS), dtype=np.float32)[ys]
            if teachers is not None:
                y = soft_targets(y, teachers(x), cfg.teacher_weight)
            return x, y

    return TrainingData()


def make_eval_dataset(sources, es, batch_size: int, multiple_of: int = 1):
    import keras

    class EvalData(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.batches = list(es.batches(sources, batch_size))
            # batches() yields per source, then silence, in the order of es.y
            self.ys, start = [], 0
            for n in (len(b) for b in self.batches):
                self.ys.append(np.eye(len(LABELS), dtype=np.float32)[es.y[start:start + n]])
                start += n

        def __len__(self):
            return len(self.batches)

        def __getitem__(self, i):
            return even(self.batches[i], self.ys[i], multiple_of)

    return EvalData()
