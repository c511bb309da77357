"""Reading and validating ``.ini`` configuration files.

A config is a plain ``configobj`` file; ``configspec.ini`` beside this module lists every key
with its type. :func:`load_config` returns a dict with typed values or raises
:class:`~complex_auto.errors.ConfigError` naming the file and the key.
"""
import math
import re
from pathlib import Path

from configobj import ConfigObj, ConfigObjError, flatten_errors
from validate import Validator, VdtValueTooBigError, VdtValueTooSmallError

from .errors import ConfigError, DataError
from .utils import read_text

SPEC_PATH = Path(__file__).with_name("configspec.ini")

_TYPE_WORDS = {
    "integer": "an integer",
    "float": "a number",
    "boolean": "True or False",
    "string": "a string",
    "option": "one of",
    "int_list": "a comma-separated list of integers",
    "float_list": "a comma-separated list of numbers",
}


_RANGE_ERRORS = (VdtValueTooSmallError, VdtValueTooBigError)


def _spec_types():
    spec = ConfigObj(str(SPEC_PATH), list_values=False, _inspec=True)
    return dict(spec)


def config_beside(model_path):
    """The config a model was trained with, when one lies beside it: ``config.ini`` (what
    ``train.py`` writes into a run), else the first ``config*.ini`` in name order (e.g.
    ``models/cqt_jku/config_cqt.ini``); None when there is none."""
    folder = Path(model_path).parent
    return next((c for c in [folder / "config.ini", *sorted(folder.glob("config*.ini"))]
                 if c.is_file()), None)


def load_config(path, **overrides):
    """Read and validate a config file.

    Parameters
    ----------
    path : str or Path
        The ``.ini`` file.
    **overrides
        Values that replace the file's, e.g. ``epochs=3``, checked as the file's are.

    Returns
    -------
    dict
        Every key of the spec, typed; plus ``"config_path"``.

    Raises
    ------
    ConfigError
        When the file is missing or unparsable, or a key is unknown, missing or mistyped.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file does not exist")
    try:
        text = read_text(path)
    except DataError as e:
        raise ConfigError(str(e)) from None
    try:
        conf = ConfigObj(text.splitlines(), configspec=str(SPEC_PATH))
    except (ConfigObjError, OSError) as e:
        raise ConfigError(f"{path}: cannot parse config: {e}") from None

    spec = _spec_types()
    for key, value in overrides.items():   # checked as the file's values are
        if key not in spec:
            raise ConfigError(f"{path}: override of unknown key '{key}'")
        conf[key] = value
    unknown = [k for k in conf.keys() if k not in spec]
    if conf.sections:
        raise ConfigError(f"{path}: sections are not allowed (found [{conf.sections[0]}])")
    if unknown:
        raise ConfigError(f"{path}: unknown key '{unknown[0]}'")
    # Keys added after the paper's configs carry a default in the spec and may be left out.
    missing = [k for k in spec if k not in conf and "default=" not in spec[k]]
    if missing:
        raise ConfigError(f"{path}: missing key '{missing[0]}'")

    result = conf.validate(Validator(), preserve_errors=True, copy=True)
    if result is not True:
        for _, key, err in flatten_errors(conf, result):
            check = spec[key].split("(")[0]
            want = _TYPE_WORDS.get(check, check)
            if check == "option":   # the choices, not configobj's 'the value "x" is unacceptable'
                want += " " + ", ".join(re.findall(r"'([^']*)'",
                                                   spec[key].split("default=")[0]))
                err = None
            detail = f" ({err})" if err else ""
            # a number of the right type outside the spec's min / max is not "not a number"
            what = "is out of range" if isinstance(err, _RANGE_ERRORS) else f"is not {want}"
            # configobj reads 'transform = 2' as the string '2', not as a list
            hint = _one_value_list_hint(key, spec[key], conf[key])
            raise ConfigError(f"{path}: key '{key}' = {conf[key]!r} {what}{hint or detail}")
    cfg = dict(conf)
    for key, value in cfg.items():
        # the spec's bounds pass NaN (every comparison with it is false), and inf as a
        # learning rate or frequency is no setting either
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise ConfigError(f"{path}: key '{key}' = {conf[key]!r} is not a finite number")
    cfg["config_path"] = str(path)
    _check_consistency(cfg, path)
    return cfg


def _one_value_list_hint(key, check, value):
    """A hint for a list key given one bare value (``transform = 2``), else ``''``.

    configobj reads a value as a list only when it holds a comma, so a list of one value is
    written ``2,``; the hint is given only where the spec lets the list hold one value.

    Parameters
    ----------
    key : str
        The key, for the hint.
    check : str
        The key's spec, e.g. ``"int_list(min=1)"``.
    value : str or list
        The value configobj read.

    Returns
    -------
    str
    """
    kind = check.split("(")[0]
    if kind not in ("int_list", "float_list") or not isinstance(value, str):
        return ""
    least = re.search(r"\bmin=(\d+)", check)
    if least and int(least.group(1)) > 1:
        return ""
    try:
        (int if kind == "int_list" else float)(value.strip())
    except ValueError:
        return ""
    return f": a list of one value ends with a comma ({key} = {value.strip()},)"


def _check_consistency(cfg, path):
    bad = [t for t in cfg["transform"] if t not in (0, 1, 2)]
    if bad:
        raise ConfigError(f"{path}: key 'transform' has {bad[0]}; allowed are 0 (pitch shift), "
                          "1 (time shift), 2 (tempo change)")
    if cfg.get("init") == "fourier" and cfg["data_type"] == "signal":
        raise ConfigError(f"{path}: key 'init' = 'fourier' needs 2-D inputs (data_type cqt or mnist)")
    if cfg["data_type"] == "cqt" and min(cfg["shifts"]) < 0:
        raise ConfigError(f"{path}: key 'shifts' must be non-negative for data_type cqt")
    if cfg["data_type"] == "signal" and cfg["shifts"] and cfg["shifts"][0] < 0:
        # the largest shift in samples, drawn from [-s, s): a negative one was read as 0,
        # and every pair was a window and itself
        raise ConfigError(f"{path}: key 'shifts' = {cfg['shifts'][0]}, ...: its first value, "
                          "the largest time shift in samples, must be non-negative for "
                          "data_type signal")
    if cfg["data_type"] == "cqt" and min(cfg["scales"]) < 0:
        # a tempo change stretches by 1 + scales[0] * u, u in [0, 1): below 1, the n-gram's
        # frames were read from before its start (an IndexError in the first batch)
        shown = ", ".join(f"{v:g}" for v in cfg["scales"])
        raise ConfigError(f"{path}: key 'scales' = {shown} must be non-negative for data_type "
                          "cqt (a tempo change stretches by 1 + scales[0] * u, u in [0, 1))")
    if cfg["lr"] == 0:
        raise ConfigError(f"{path}: key 'lr' = 0: the weights would never move, and the model "
                          "saved would be its initialisation; it must be above 0")
    if cfg["dropout"] >= 1:
        raise ConfigError(f"{path}: key 'dropout' = {cfg['dropout']:g} drops every input: "
                          "it must be below 1")
    _check_cache_dir(cfg["cache_dir"], path)
    if cfg["data_type"] == "cqt":
        _check_cqt_range(cfg, path)


def _check_cache_dir(cache_dir, path):
    """Refuse a ``cache_dir`` that is empty, a file, or below one, when the config is loaded.

    Training made its run folder and the CQTs first, then failed to save them with a
    traceback; a folder that cannot be created for another reason is named when the cache
    is first written (:func:`complex_auto.cache.make_cache_dir`).
    """
    from .cache import check_not_a_file

    if not str(cache_dir).strip():        # '' wrote the cache files into the working folder
        raise ConfigError(f"{path}: key 'cache_dir' is empty: name a folder for the cached "
                          "training data, e.g. cache_dir = cache")
    try:
        check_not_a_file(cache_dir)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def _check_cqt_range(cfg, path):
    """The CQT's bins must lie between 0 Hz and the Nyquist frequency of ``sr``.

    librosa refuses them only when the first recording is transformed, with a traceback; the
    top filter's upper cutoff is what it compares, so the same is computed here.
    """
    import librosa

    if cfg["fmin"] <= 0:
        raise ConfigError(f"{path}: key 'fmin' = {cfg['fmin']:g} must be above 0 Hz")
    freqs = librosa.cqt_frequencies(cfg["n_bins"], fmin=cfg["fmin"],
                                    bins_per_octave=cfg["bins_per_oct"])
    _, cutoff = librosa.filters.wavelet_lengths(freqs=freqs, sr=cfg["sr"])
    if cutoff > cfg["sr"] / 2:
        top = f"{freqs[-1]:.0f}" if freqs[-1] < 1e6 else f"{freqs[-1]:.3g}"
        raise ConfigError(
            f"{path}: keys 'fmin' = {cfg['fmin']:g}, 'n_bins' = {cfg['n_bins']} and "
            f"'bins_per_oct' = {cfg['bins_per_oct']} reach {top} Hz, whose filter "
            f"passes the Nyquist frequency of 'sr' = {cfg['sr']} ({cfg['sr'] / 2:g} Hz): "
            "fewer bins or a lower fmin")
