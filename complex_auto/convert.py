"""Convert recordings into feature files and self-similarity matrices (``convert.py``).

On the CPU every file is handled whole (decode, CQT, encode, matrix, writes) by one of
``jobs`` worker processes, each running torch on one thread; with CUDA the CQTs are computed
in workers and the encoding runs on the GPU in this process.
"""
import functools
import logging

import numpy as np

from .errors import DataError
from .features import conversion_cqt, encode_features
from .representations import file_input, kind_self_similarity, window_features
from .layout import piece_name
from .runinfo import write_conversion_info
from .utils import atomic_path, atomic_write_text, progress_map, save_npy, save_pyc_bz

log = logging.getLogger(__name__)

CQT_KEYS = ("sr", "n_bins", "bins_per_oct", "fmin", "hop_length")
IMAGE_MAX_PIXELS = 1500


def save_matrix_image(matrix, path, max_pixels=IMAGE_MAX_PIXELS):
    """The self-similarity matrix as a PNG (``hot`` colour map), written atomically.

    Matrices larger than ``max_pixels`` are shown block-averaged to at most that size.
    """
    from matplotlib import colormaps
    from PIL import Image

    m = np.asarray(matrix, dtype=np.float64)
    f = int(np.ceil(len(m) / max_pixels))
    if f > 1:
        n = len(m) // f * f
        m = m[:n, :n].reshape(n // f, f, n // f, f).mean(axis=(1, 3))
    rgb = (colormaps["hot"](np.clip(m, 0, 1))[..., :3] * 255).astype(np.uint8)
    with atomic_path(path) as tmp:
        Image.fromarray(rgb).save(tmp, format="png", compress_level=1)


def encode_and_save(path, spec, model, cfg, layout, step, self_sim, legacy_layout, device,
                    features="cae"):
    """Encode one CQT and write its features (and matrix); returns (features, matrix or None).

    ``features`` other than ``'cae'`` (:mod:`complex_auto.representations`) need no model:
    ``spec`` is then :func:`~complex_auto.representations.file_input` of that kind and the
    file holds ``np.array([features])``.
    """
    length = cfg["length_ngram"]
    if spec.shape[1] <= length:
        log.warning("skipping %s: %d CQT frames, not more than one window of %d",
                    path, spec.shape[1], length)
        return None, None
    if features == "cae":
        feats = encode_features(model, spec, length, step, legacy_layout, device)
    else:
        feats = window_features(features, spec, length, step, cfg["bins_per_oct"])[None]
    out = layout.features(path.name)
    save_pyc_bz(feats, out)
    matrix = None
    if self_sim:
        m = kind_self_similarity(features, feats[0], length)
        matrix = layout.matrix(path.name)
        save_npy(matrix, m)
        save_matrix_image(m, layout.matrix_image(path.name))
    return out, matrix


_WORKER = {}


def _init_worker(state, cfg, options):
    import torch

    from .training import build_model

    torch.set_num_threads(1)
    model = None
    if state is not None:   # features other than 'cae' have no model
        model = build_model(cfg, state["layer.weight"].shape[1])
        model.load_state_dict(state)
        model.eval()
    _WORKER.update(model=model, cfg=cfg, options=options)


def _convert_in_worker(path):
    w = _WORKER
    spec = file_input(w["options"]["features"], path, {k: w["cfg"][k] for k in CQT_KEYS})
    return encode_and_save(path, spec, w["model"], w["cfg"], device="cpu", **w["options"])


def convert_files(model, files, cfg, layout, step=1, self_sim=False, legacy_layout=False,
                  device="cpu", jobs=1, tempi=None, info=None, features="cae"):
    """Features (and matrices) of every file into the run folder.

    Parameters
    ----------
    model : ComplexAutoEncoder or None
        ``None`` for ``features`` other than ``'cae'``.
    files : list of Path
    cfg : dict
    layout : RunLayout
    step : int
        Window hop in frames.
    self_sim : bool
        Also write ``NAME.npy``, ``NAME.png`` and ``ss_matrices_filelist.txt``.
    legacy_layout : bool
        Flatten windows frame-major, as the original implementation did.
    device : torch.device or str
    jobs : int
        Worker processes.
    tempi : list of float or None, optional
        Tempo of each file in beats per minute, copied as a second column into
        ``ss_matrices_filelist.txt`` for ``extract_motives.py``.
    info : dict, optional
        Further keys for ``conversion.json`` (e.g. ``model``).
    features : str
        Feature kind (:data:`complex_auto.representations.KINDS`), recorded in
        ``conversion.json``; only ``'cae'`` uses ``model``.

    Returns
    -------
    list of Path
        The feature files written.

    Raises
    ------
    DataError
        When no recording is long enough for one window.
    """
    from tqdm import tqdm

    options = dict(layout=layout, step=step, self_sim=self_sim, legacy_layout=legacy_layout,
                   features=features)
    if str(device) == "cpu" or features != "cae":
        state = None if model is None else {k: v.cpu() for k, v in model.state_dict().items()}
        # Longest files first, so that the workers finish together.
        order = sorted(range(len(files)), key=lambda i: -files[i].stat().st_size)
        done = progress_map(_convert_in_worker, [files[i] for i in order], jobs=jobs,
                            desc="convert", initializer=_init_worker,
                            initargs=(state, cfg, options))
        results = [None] * len(files)
        for i, r in zip(order, done):
            results[i] = r
    else:
        params = {k: cfg[k] for k in CQT_KEYS}
        specs = progress_map(functools.partial(conversion_cqt, cfg=params), files, jobs=jobs,
                             desc="CQT")
        results = [encode_and_save(p, s, model, cfg, device=device, **options)
                   for p, s in tqdm(list(zip(files, specs)), desc="encode", unit="file")]
    written = [f for f, _ in results if f is not None]
    if not written:
        raise DataError("no recording is longer than one window "
                        f"({cfg['length_ngram']} frames = "
                        f"{cfg['length_ngram'] * cfg['hop_length'] / cfg['sr']:.1f} s)")
    tempi = tempi or [None] * len(files)
    if self_sim:
        lines = [f"{m}\t{bpm:g}\n" if bpm else f"{m}\n"
                 for (_, m), bpm in zip(results, tempi) if m]
        atomic_write_text(layout.matrix_list, "".join(lines))
    records = [{"piece": piece_name(p), "audio": str(p), "features": str(f),
                "matrix": str(m) if m else None, "bpm": bpm}
               for p, (f, m), bpm in zip(files, results, tempi) if f is not None]
    write_conversion_info(layout.conversion_info, cfg, step, records,
                          legacy_layout=legacy_layout, **dict(info or {}, features=features))
    return written
