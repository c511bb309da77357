"""The training loop: plain Adam over batches of pairs, one epoch at a time.

Each epoch draws ``samples_epoch`` pairs with a generator seeded by ``(seed, epoch)``, so an
interrupted and resumed run sees exactly the batches an uninterrupted one would. After every
epoch the model and a checkpoint (model, optimizer, epoch, loss history) are saved atomically and
``train_log.csv`` is rewritten; plots are drawn every ``plot_interval`` epochs and at the end.
On Ctrl-C the checkpoint of the last finished epoch stays, ready for ``--resume``.
"""
import logging
import math
import os
import re
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .distributed import SINGLE, sum_over_ranks, wrap
from .errors import ComplexAutoError, DataError, Interrupted, Terminated
from .model import ComplexAutoEncoder, pair_loss
from .runinfo import add_model, start_training_record, weights_sha256, write_training_info
from .utils import atomic_path, atomic_write_text, counted, default_jobs, progress

log = logging.getLogger(__name__)

LOG_HEADER = "epoch,train_loss,eval_loss,seconds"


def build_model(cfg, n_in):
    """A :class:`ComplexAutoEncoder` sized and regularised as ``cfg`` says.

    Parameters
    ----------
    cfg : dict
        Uses ``n_bases``, ``dropout``, ``learn_norm`` and ``init`` (default ``'random'``;
        ``'fourier'`` also needs the input shape's keys, :func:`~complex_auto.data.input_shape`).
    n_in : int
        Input size: values per item (bins × frames, samples, or pixels).

    Returns
    -------
    ComplexAutoEncoder
        Untrained (bases as ``init`` sets them), on the CPU, in training mode.
    """
    from .data import input_shape

    init = cfg.get("init", "random")
    shape = input_shape(cfg) if init == "fourier" else None
    return ComplexAutoEncoder(n_in, cfg["n_bases"], dropout=cfg["dropout"],
                              learn_norm=cfg["learn_norm"], init=init, shape=shape)


def save_state(obj, path):
    """``torch.save`` to ``path`` atomically.

    Saved through a file object: given a path, torch names the archive's folder after it, and
    the temporary name (host, process id, random letters) made equal weights differ in bytes.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(obj, f)


def load_model(cfg, n_in, path, device="cpu", warn_unfinished=True):
    """Load a saved model, checking that its shape fits ``cfg``.

    With ``warn_unfinished``, a model whose training stopped before its target
    (:func:`unfinished_training`) is loaded with a warning that says so. A model trained on
    other input settings than ``cfg``'s (:func:`settings_differ`) loads with a warning too:
    its windows would have the same size and another meaning.

    Parameters
    ----------
    cfg : dict
        The config the model is used with (:func:`build_model`).
    n_in : int
        Input size the config gives.
    path : str or Path
        A model file, or a ``train.py`` checkpoint that holds the weights.
    device : torch.device or str
        Where the model is moved.
    warn_unfinished : bool
        Warn when the run's log says that training stopped early; :func:`train` turns it
        off, as the model it loads is the run's own, to continue or to keep.

    Returns
    -------
    ComplexAutoEncoder

    Raises
    ------
    DataError
        When the file is missing, unreadable, not a model, or its sizes or ``learn_norm``
        differ from the config's.
    """
    stopped = unfinished_training(path) if warn_unfinished else None
    if stopped:
        # train.py saves the model after every epoch, so that Ctrl-C leaves one to resume
        # from: usable, but not what the run was meant to train.
        # --epochs: without it, --resume trains to the epochs of the config it is given
        log.warning("%s is from epoch %d of %d: its training stopped early (train.py ... "
                    "--resume --epochs %d finishes it)", path, *stopped, stopped[1])
    model = build_model(cfg, n_in)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DataError(f"{path}: model file does not exist") from None
    except IsADirectoryError:
        raise DataError(f"{path}: a folder, not a model file") from None
    except Exception as e:
        # torch names the pickle's or zip's insides (KeyError, UnpicklingError): the user
        # needs to hear that the file is not what train.py writes
        raise DataError(f"{path}: not a model file that train.py writes (a torch state "
                        f"dict, model_complex_auto_*.save; {type(e).__name__})") from None
    if isinstance(state, dict) and "optimizer" in state and "epoch" in state:
        # a checkpoint of train.py: its weights, when it holds them, are the model's
        if "model" not in state:
            raise DataError(f"{path}: a training checkpoint without weights; pass the "
                            "model file saved beside it (model_complex_auto_*.save)")
        state = state["model"]
    check_fit(state, model, cfg, path)
    model.load_state_dict(state)
    differ = settings_differ(path, cfg)
    if differ:
        log.warning("%s was trained with other input settings than the config gives (%s: "
                    "%s): its features will not mean what they meant in training", path,
                    differ[0], "; ".join(differ[1]))
    return model.to(device)


def check_fit(state, model, cfg, path):
    """Raise unless the weights ``state`` (read from ``path``) fit ``model``, built from ``cfg``.

    Parameters
    ----------
    state : dict
        A state dict, as saved by :func:`train`.
    model : ComplexAutoEncoder
        The model :func:`build_model` makes of ``cfg``.
    cfg : dict
    path : str or Path
        Named in the error.

    Raises
    ------
    DataError
        When ``state`` is no CAE's, or its sizes or ``learn_norm`` differ from ``cfg``'s.
    """
    w = state.get("layer.weight") if isinstance(state, dict) else None
    if w is None:
        raise DataError(f"{path}: not a complex_auto model (no 'layer.weight')")
    want = tuple(model.layer.weight.shape)
    if tuple(w.shape) != want:
        diffs = []
        if w.shape[0] != want[0]:
            diffs.append(f"n_bases {w.shape[0] // 2} in the model, {want[0] // 2} in the config")
        if w.shape[1] != want[1]:
            diffs.append(f"input size {w.shape[1]} in the model, {want[1]} from the config")
        raise DataError(f"{path}: model does not fit the config: " + "; ".join(diffs))
    if cfg["learn_norm"] != ("norm_val" in state):
        raise DataError(f"{path}: model does not fit the config: learn_norm is "
                        f"{'norm_val' in state} in the model, {cfg['learn_norm']} in the config")


#: Config keys that fix what an input window is, by data type: a model fed windows of other
#: settings of the same shape runs, and computes something else.
INPUT_KEYS = {"cqt": ("sr", "fmin", "bins_per_oct", "hop_length", "n_bins", "length_ngram")}


def settings_differ(path, cfg):
    """``(config beside the model, ['sr 22050 there, 44100 here', ...])`` when the config
    that the model at ``path`` was trained with (:func:`~complex_auto.config.config_beside`)
    sets its inputs otherwise than ``cfg``; else None.

    Only the :data:`INPUT_KEYS` of ``cfg['data_type']`` are compared, and only with a config
    beside the model that loads and has the same data type: a model without one is not judged.
    """
    from .config import config_beside, load_config

    keys = INPUT_KEYS.get(cfg.get("data_type"), ())
    beside = config_beside(path)
    if not keys or beside is None:
        return None
    try:
        theirs = load_config(beside)
    except ComplexAutoError:
        return None
    if theirs["data_type"] != cfg["data_type"]:
        return None
    differ = [f"{k} {theirs[k]:g} there, {cfg[k]:g} here" for k in keys
              if not math.isclose(theirs[k], cfg[k], rel_tol=1e-9)]
    return (beside, differ) if differ else None


def unfinished_training(path):
    """``(epochs trained, epochs meant)`` of a model in a ``train.py`` run folder whose
    training stopped before its target, else None.

    Read from ``train_log.csv`` (its last epoch) and the run's ``config.ini`` (``epochs``,
    as the command set it) beside the model; a model without them (shipped, or copied
    elsewhere) is not judged.
    """
    folder = Path(path).parent
    done = _logged_epochs(folder / "train_log.csv")
    try:
        target = int(re.search(r"^\s*epochs\s*=\s*(\d+)\s*$",
                               (folder / "config.ini").read_text(), re.M).group(1))
    except (OSError, ValueError, AttributeError):
        return None
    return (done, target) if done is not None and done < target else None


def _logged_epochs(path):
    """The last epoch ``train_log.csv`` at ``path`` lists; None without one (or no row)."""
    try:
        return int(Path(path).read_text().split()[-1].split(",")[0])
    except (OSError, ValueError, IndexError):
        return None


def write_log(path, history):
    """Rewrite ``train_log.csv`` from the loss history.

    Parameters
    ----------
    path : str or Path
    history : list of dict
        ``epoch``, ``train_loss``, ``eval_loss``, ``seconds`` per epoch (:func:`train`).
    """
    rows = [LOG_HEADER] + [f"{h['epoch']},{h['train_loss']:.6g},{h['eval_loss']:.6g},"
                           f"{h['seconds']:.2f}" for h in history]
    atomic_write_text(path, "\n".join(rows) + "\n")


def _to_device(arrays, device):
    return [torch.from_numpy(a).to(device, non_blocking=True) for a in arrays]


#: Most bytes of built batches that threads hold ahead of the model step (each thread keeps
#: two batches in flight): a GiB bounds the memory at no loss of speed for usual batches.
PREFETCH_BYTES = 2 ** 30


def build_threads(device, batch_bytes=0):
    """Threads that cut training pairs ahead of the model: none on the CPU, where the model
    step needs every core, else the cores of this process's share of the machine (torchrun
    sets ``LOCAL_WORLD_SIZE``) but the one that drives the GPU, and no more than keep
    :data:`PREFETCH_BYTES` of batches of ``batch_bytes`` in flight. numpy releases the GIL
    while it cuts and scales n-grams, and one thread alone keeps a GPU idle most of the time.

    Parameters
    ----------
    device : torch.device or str
        Where the model runs.
    batch_bytes : int
        Bytes of one built batch (``x`` and ``y``).

    Returns
    -------
    int
        0 on the CPU, else at least 1.
    """
    if torch.device(device).type == "cpu":
        return 0
    cores = default_jobs() // int(os.environ.get("LOCAL_WORLD_SIZE", "1")) - 1
    return max(1, min(cores, PREFETCH_BYTES // max(1, 2 * batch_bytes)))


def _prefetched(fn, items, threads):
    """``(item, fn(item))`` for each item, in order, computed up to ``2 * threads`` items
    ahead in ``threads`` threads (in this thread when 0). ``items`` is consumed here, in
    order, so random draws in it happen exactly as without threads."""
    if threads == 0:
        for item in items:
            yield item, fn(item)
        return
    with ThreadPoolExecutor(threads) as pool:
        queue = deque()
        for item in items:
            queue.append((item, pool.submit(fn, item)))
            if len(queue) > 2 * threads:
                item, done = queue.popleft()
                yield item, done.result()
        while queue:
            item, done = queue.popleft()
            yield item, done.result()


@torch.no_grad()
def evaluate(model, pairs, draws, batch_size, power, device, threads=0):
    """Mean reconstruction loss over ``draws`` (no dropout); NaN when there are none.

    Parameters
    ----------
    model : ComplexAutoEncoder
        Left in evaluation mode.
    pairs
        A pair source (``build(draws)``).
    draws
        Its draws to evaluate, e.g. ``pairs.sweep(rng)``.
    batch_size : int
        Pairs built and evaluated at a time.
    power : int
        The exponent of the loss (:func:`~complex_auto.model.pair_loss`).
    device : torch.device or str
    threads : int
        Threads that build batches ahead (0: in this thread).

    Returns
    -------
    float
        The reconstruction part of :func:`~complex_auto.model.pair_loss`, averaged over the
        pairs (each batch weighted by its size).
    """
    if len(draws) == 0:
        return float("nan")
    model.eval()
    total, count = 0.0, 0
    subs = (_slice(draws, lo, lo + batch_size) for lo in range(0, len(draws), batch_size))
    for sub, built in _prefetched(pairs.build, subs, threads):
        x, y = _to_device(built, device)
        _, rec = pair_loss(model, x, y, power)
        total += rec.item() * len(sub)
        count += len(sub)
    return total / count


def _slice(draws, lo, hi):
    return type(draws)(**{k: v[lo:hi] for k, v in vars(draws).items()})


def _resume(cfg, layout, model, opt, n_in, device, context):
    """What a resumed training continues: the run's checkpoint (weights, optimizer state,
    epoch and history), else its model file at ``cfg['start_epoch']`` with a fresh optimizer,
    else nothing (a fresh model, said).

    Returns
    -------
    model : ComplexAutoEncoder
    opt : torch.optim.Adam
    start : int
        Epochs trained already.
    history : list of dict
        The checkpoint's epochs (:func:`train`); empty without one.
    continued : bool
        Whether weights were loaded.

    Raises
    ------
    DataError
        When the model to continue was trained with other input settings or does not fit the
        config, or a checkpoint without weights has no model file beside it.
    """
    dtype = cfg["data_type"]
    model_path, ckpt_path = layout.model(dtype), layout.checkpoint(dtype)
    differ = settings_differ(model_path if model_path.exists() else ckpt_path, cfg)
    if differ and (ckpt_path.exists() or model_path.exists()):
        # the first epochs on one input and the last on another: a model of neither, and
        # the run's config.ini, rewritten, would name only the second
        raise DataError(f"{differ[0]}: the model to continue was trained with other input "
                        f"settings ({'; '.join(differ[1])}): continue with that config, "
                        "or train a new run")
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        if "model" not in ckpt:
            # A shipped checkpoint leaves its weights to the model file saved beside it
            # at the same epoch, which halves its size.
            if not model_path.exists():
                raise DataError(f"{ckpt_path} holds no weights and {model_path}, "
                                "whose weights it continues, does not exist")
            ckpt["model"] = torch.load(model_path, map_location=device, weights_only=True)
        check_fit(ckpt["model"], model, cfg, ckpt_path)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        # the optimizer's state holds its learning rate: the config's wins (lowered to
        # fine-tune, it went on at the old rate while config.ini said the new one)
        old_lr = {g["lr"] for g in opt.param_groups}
        if old_lr != {cfg["lr"]}:
            if context.main:
                log.info("learning rate %g from the config (the checkpoint's: %s)",
                         cfg["lr"], ", ".join(f"{r:g}" for r in sorted(old_lr)))
            for g in opt.param_groups:
                g["lr"] = cfg["lr"]
        start, history, continued = ckpt["epoch"], ckpt["history"], True
        log.info("resuming from %s at epoch %d", ckpt_path, start)
        return model, opt, start, history, continued
    if model_path.exists():
        model = load_model(cfg, n_in, model_path, device, warn_unfinished=False)
        opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
        start = cfg["start_epoch"]
        log.info("continuing from %s (no optimizer state) at epoch %d", model_path, start)
        logged = _logged_epochs(layout.train_log) or 0
        if logged > start and context.main:
            log.warning("%s lists %s, and the epochs count on from start_epoch = %d: its "
                        "rows past it are rewritten (set start_epoch = %d to continue "
                        "the count)", layout.train_log, counted(logged, "epoch"), start,
                        logged)
        return model, opt, start, [], True
    log.warning("nothing to resume in %s: training from scratch", layout.dir)
    return model, opt, 0, [], False


def train(cfg, layout, train_pairs, eval_pairs, device, epochs=None, resume=False,
          plotter=None, context=SINGLE, threads=None, config_text=None, session=None):
    """Train a CAE on pairs and save it into the run folder.

    Parameters
    ----------
    cfg : dict
        A validated config.
    layout : RunLayout
    train_pairs, eval_pairs
        Pair sources with ``n_in``, ``draw(rng, n)``, ``sweep(rng)`` and ``build(draws)``.
    device : torch.device
    epochs : int, optional
        Total epochs to reach (default ``cfg['epochs']``).
    resume : bool
        Continue from the run's checkpoint (also when ``cfg['continue_train']``); without
        one, from the run's model file at ``cfg['start_epoch']`` with a fresh optimizer.
    plotter : callable, optional
        ``plotter(model, epoch, history)``, called every ``plot_interval`` epochs and at the end.
    context : complex_auto.distributed.Context
        This process's rank among data-parallel processes (:func:`~complex_auto.distributed.setup`):
        each rank builds and trains on its part of every batch, gradients are averaged, and
        only rank 0 evaluates and writes files.
    threads : int, optional
        Threads that cut pairs ahead of the model step (default :func:`build_threads`). The
        batches, and so the trained model, are the same for any number.
    config_text : str, optional
        Written to the run's ``config.ini`` once the model to continue is known to fit the
        config, and before any model is saved: a ``--resume`` refused with another config
        leaves the run's config as it was.
    session : dict, optional
        What this training learns from (:func:`complex_auto.runinfo.training_session`):
        entered into the run's training record (``training_{data_type}.json``) with every
        model saved, with the model's epoch and weights digest, before the model itself, so
        that a run killed between the two leaves a model the record holds.

    Returns
    -------
    model : ComplexAutoEncoder
    history : list of dict
        One entry per epoch: ``epoch``, ``train_loss``, ``eval_loss``, ``seconds``. Empty
        when ``cfg['train_it']`` is false and the run's model file is loaded instead.

    Raises
    ------
    DataError
        When the model to continue or load does not fit the config, or a checkpoint without
        weights has no model file beside it.
    """
    dtype = cfg["data_type"]
    epochs = cfg["epochs"] if epochs is None else epochs
    torch.manual_seed(cfg["seed"])
    model = build_model(cfg, train_pairs.n_in).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    model_path, ckpt_path = layout.model(dtype), layout.checkpoint(dtype)
    start, history, continued = 0, [], False

    if not cfg["train_it"]:
        if model_path.exists():
            log.info("train_it = False: loading %s without training", model_path)
            model = load_model(cfg, train_pairs.n_in, model_path, device, warn_unfinished=False)
            if config_text is not None and context.main:
                atomic_write_text(layout.config, config_text)
            return model, history
        log.info("train_it = False but %s does not exist: training", model_path)
    if resume or cfg["continue_train"]:
        model, opt, start, history, continued = _resume(cfg, layout, model, opt,
                                                        train_pairs.n_in, device, context)
    elif model_path.exists() and context.main:
        # a second train.py into a run replaced its model without a word
        log.warning("%s holds a model already: training from scratch replaces it (--resume "
                    "continues it)", model_path)
    # A checkpoint at or past the target trains nothing: the run's config.ini stays the one
    # its model was trained with (rewritten, it said 'epochs = 3' beside a model of 5).
    if config_text is not None and context.main and not (start and start >= epochs):
        atomic_write_text(layout.config, config_text)

    record = entry = None
    if session is not None and context.main:
        # the weights loaded, not the file: a checkpoint's may differ from the model file's
        origin = weights_sha256(model.state_dict()) if continued else None
        record = start_training_record(layout.training_info(dtype), dtype, origin)
        entry = dict(session, epochs=[start, start], **{"from": origin})

    def save_model(epoch, trained):
        if record is not None:
            add_model(record, entry if trained else None, epoch,
                      weights_sha256(model.state_dict()))
            write_training_info(layout.training_info(dtype), record)
        save_state(model.state_dict(), model_path)     # after the record: it holds both

    if start >= epochs:
        # A checkpoint at or past the target (or --epochs 0): nothing to train, and saying
        # "training on cpu: 1 epoch" before doing nothing misled.
        if context.main:
            if start:
                log.info("model already trained for %s (the target is %d): nothing to train; "
                         "a larger --epochs continues", counted(start, "epoch"), epochs)
            else:
                log.info("0 epochs: the model saved is its initialisation (init = %s)",
                         cfg.get("init", "random"))
            save_model(start, trained=False)
            if not continued:
                # a fresh model in a run that held a trained one: the old training's
                # checkpoint and log would be taken for this model's (--resume, convert.py)
                ckpt_path.unlink(missing_ok=True)
                if layout.train_log.exists():
                    write_log(layout.train_log, [])
            if history:
                # a run killed between its checkpoint and its log left the log an epoch
                # behind the model (and the model judged unfinished): the checkpoint's
                # history is the model's
                write_log(layout.train_log, history)
            if plotter is not None:
                plotter(model, start, history)
        return model, history

    eval_draws = eval_pairs.sweep(np.random.default_rng([cfg["seed"], 2 ** 31]))
    bs, n = cfg["batch_size"], cfg["samples_epoch"]
    n_batches = math.ceil(n / bs)
    power = cfg["power_loss"]
    penalties = dict(norm_loss=cfg["norm_loss"], equal_norm_loss=cfg["equal_norm_loss"],
                     sparsity_reg=cfg["sparsity_reg"], weight_reg=cfg["weight_reg"])

    net = wrap(model, context)      # DistributedDataParallel when there are several ranks
    if threads is None:     # x and y, float32
        threads = build_threads(device, 2 * 4 * min(bs, n) * train_pairs.n_in)

    def batches(rng):
        for b in range(n_batches):
            draws = train_pairs.draw(rng, min(bs, n - b * bs))
            # Every rank draws the whole batch (cheap) and builds its own part (costly).
            lo, hi = context.part(len(draws))
            # An empty part still takes a step.
            yield len(draws), lo, hi, _slice(draws, lo, max(hi, lo + 1))

    def checkpoint(epoch):
        if not context.main:
            return
        save_model(epoch, trained=True)
        save_state({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "epoch": epoch, "history": history}, ckpt_path)

    def plot(epoch):
        if plotter is not None and context.main:
            plotter(model, epoch, history)
            model.train()

    log.info("training on %s: %s%s of %d pairs (%s), model %d -> %d complex bases%s",
             device, counted(epochs - start, "epoch"),
             f" (epoch {start + 1} to {epochs})" if start else "",
             n, counted(n_batches, "batch", "batches"),
             train_pairs.n_in, cfg["n_bases"],
             f", {context.world} processes" if context.active else "")
    # Updated by hand, not by iterating: a bar that iterates writes its count back only at its
    # refresh interval (30 s in a log), so that the lines below showed "0/20" at epoch 17.
    bar = progress(desc="epochs", unit="epoch", initial=start, total=epochs,
                   disable=not context.main)
    epoch = start
    try:
        for epoch in range(start, epochs):
            t0 = time.perf_counter()
            rng = np.random.default_rng([cfg["seed"], epoch])
            torch.manual_seed(cfg["seed"] * 100003 + epoch + 7919 * context.rank)  # dropout
            model.train()
            total = 0.0
            for (size, lo, hi, own), built in _prefetched(
                    lambda batch: train_pairs.build(batch[3]), batches(rng), threads):
                x, y = _to_device(built, device)
                loss, rec = pair_loss(net, x, y, power, **penalties)
                opt.zero_grad(set_to_none=True)
                # Weighted by the part's share, the gradients averaged over the ranks are
                # those of the whole batch's mean loss (the factor is 1 on one process).
                (loss * ((hi - lo) * context.world / size)).backward()
                opt.step()
                model.set_to_norm(cfg["set_to_norm"])
                total += rec.item() * (hi - lo)
            total = sum_over_ranks(total, context, device)
            ev = (evaluate(model, eval_pairs, eval_draws, bs, power, device, threads)
                  if context.main else float("nan"))
            history.append({"epoch": epoch + 1, "train_loss": total / n, "eval_loss": ev,
                            "seconds": time.perf_counter() - t0})
            bar.set_postfix(train=f"{total / n:.4f}", eval=f"{ev:.4f}", refresh=False)
            bar.update()
            if context.main:
                tqdm.write(f"epoch {epoch + 1}/{epochs}  train {total / n:.5f}  eval {ev:.5f}  "
                           f"{history[-1]['seconds']:.1f}s")
                checkpoint(epoch + 1)
                write_log(layout.train_log, history)
            if (epoch + 1) % cfg["plot_interval"] == 0 and epoch + 1 < epochs:
                plot(epoch + 1)
    except KeyboardInterrupt as stop:
        # The checkpoint written after the last finished epoch is the one to keep: the
        # half-trained epoch in memory would not match its epoch count.
        bar.close()
        if history:
            log.warning("%s: checkpoint of epoch %d is in %s; continue with --resume",
                        "terminated" if isinstance(stop, Terminated) else "interrupted",
                        history[-1]["epoch"], ckpt_path)
            raise Interrupted() from None
        raise
    bar.close()
    if context.main:
        plot(epochs)
    return model, history
