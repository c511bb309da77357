"""Training data by ``data_type``: which pairs a config trains on, and their shape."""
import logging
from dataclasses import dataclass, field

from .errors import ConfigError

log = logging.getLogger(__name__)


@dataclass
class TrainingData:
    """Pair sources and how to draw their items."""

    train: object               #: pair source for training
    eval: object                #: pair source for the evaluation loss
    shape: tuple                #: shape of one item, for plots
    transform_names: dict = field(default_factory=dict)
    sr: int = None              #: sample rate for 1-D signals (plots in Hz)

    @property
    def skipped(self):
        """Files of the training list left out of training (silent or too short)."""
        return list(getattr(self.train, "skipped", ()))

    @property
    def evaluated(self):
        """The files that give the evaluation loss, when they are not the list's split (files
        left out, or the training files in their place); else None."""
        return getattr(self.eval, "sources", None)


def input_shape(cfg):
    """Shape of one model input for a config: ``(n_bins, length_ngram)``, ``(length,)`` or (28, 28)."""
    kind = cfg["data_type"]
    if kind == "cqt":
        return (cfg["n_bins"], cfg["length_ngram"])
    if kind == "signal":
        return (cfg["length_ngram"],)
    if kind == "mnist":
        return (28, 28)
    raise ConfigError(f"{cfg.get('config_path', 'config')}: unknown data_type '{kind}'")


def training_data(cfg, filelist, refresh=False, jobs=1):
    """Load (or build and cache) the pairs a config trains on.

    Parameters
    ----------
    cfg : dict
    filelist : str or Path
        A file list of audio files (``cqt``, ``signal``); not read for ``mnist``, whose
        digits come from ``data/`` (write ``no_filelist``).
    refresh : bool
        Rebuild the preprocessing cache.
    jobs : int
        Processes for preprocessing audio.

    Returns
    -------
    TrainingData
    """
    from .filelist import read_filelist

    kind = cfg["data_type"]
    if kind == "cqt":
        from .cqt_pairs import TRANSFORM_NAMES, training_sets

        train, ev = training_sets(read_filelist(filelist), cfg, filelist, refresh, jobs)
        return TrainingData(train, ev, input_shape(cfg), TRANSFORM_NAMES)
    if kind == "signal":
        from .signal_pairs import TRANSFORM_NAMES, training_sets

        train, ev = training_sets(read_filelist(filelist), cfg, filelist, refresh, jobs)
        return TrainingData(train, ev, input_shape(cfg), TRANSFORM_NAMES, sr=cfg["sr"])
    if kind == "mnist":
        # The digits come from data/ (see complex_auto.mnist_pairs); the file list is unused.
        from .mnist_pairs import TRANSFORM_NAMES, training_sets

        if filelist is not None and str(filelist) != "no_filelist":
            log.warning("%s is not read: digits (data_type mnist) come with the toolkit "
                        "(write no_filelist)", filelist)
        train, ev = training_sets(cfg)
        return TrainingData(train, ev, input_shape(cfg), TRANSFORM_NAMES)
    raise ConfigError(f"{cfg['config_path']}: data_type '{kind}' is not supported yet")
