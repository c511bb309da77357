"""Data-parallel training over several processes with ``torch.distributed`` (``torchrun``).

``torchrun --nproc_per_node N train.py ...`` starts N copies of ``train.py`` and gives each
its ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE`` and a rendezvous (``MASTER_ADDR``/``PORT``, or
``--rdzv-endpoint`` for several machines). :func:`setup` reads them and joins the process
group: ``nccl`` when the processes train on GPUs (one per local rank), ``gloo`` on CPUs.
Without torchrun it does nothing and training runs as one process.

How the work is shared (see :func:`complex_auto.training.train`): every rank draws the same
batch of pairs from the generator of ``(seed, epoch)``, which is cheap (indices), and builds
and trains on its own contiguous part of it, which is the costly step; so ``batch_size`` is
the *total* batch and N processes run the same optimisation as one process with the same
config, up to the rounding of the gradient averaging. ``DistributedDataParallel`` averages
the gradients; every rank then takes the same Adam step. Only rank 0 evaluates, writes the
model, checkpoint, log and plots; all ranks read the checkpoint to resume.
"""
import datetime
import logging
import os
from dataclasses import dataclass

import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """Where this process stands in the group (one process: rank 0 of 1)."""
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self):
        """True on the process that writes files and prints progress."""
        return self.rank == 0

    @property
    def active(self):
        return self.world > 1

    def part(self, n):
        """``(lo, hi)``: this rank's contiguous share of ``n`` items (sizes differ by ≤ 1)."""
        return self.rank * n // self.world, (self.rank + 1) * n // self.world


SINGLE = Context()


def launched():
    """True when the process was started by torchrun (or another launcher) with >1 ranks."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device):
    """Join the process group that torchrun described in the environment.

    Parameters
    ----------
    device : torch.device
        The device asked for; on CUDA each process takes the GPU of its local rank.

    Returns
    -------
    context : Context
    device : torch.device
        The device this process trains on.
    """
    if not launched():
        return SINGLE, device
    import torch.distributed as dist

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    cuda = torch.device(device).type == "cuda"
    if cuda:
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo",
                                timeout=datetime.timedelta(minutes=30))
    if rank != 0:
        # One voice: every rank reads the same data and trains in step, so its warnings are
        # rank 0's again (each printed once per process); the others log errors only.
        logging.getLogger("complex_auto").setLevel(logging.ERROR)
    return Context(rank, world, local), device


def wrap(model, context):
    """The model inside ``DistributedDataParallel`` when the group has several ranks.

    The wrapper forwards attribute look-ups (``row_norms``, ``layer``, ...) to the model, so
    that the loss function can use it as it uses the model.
    """
    if not context.active:
        return model
    from torch.nn.parallel import DistributedDataParallel

    class _Wrapped(DistributedDataParallel):
        def __getattr__(self, name):
            try:
                return super().__getattr__(name)
            except AttributeError:
                return getattr(self.module, name)

    ids = [model.layer.weight.device] if model.layer.weight.is_cuda else None
    return _Wrapped(model, device_ids=ids)


def sum_over_ranks(value, context, device):
    """``value`` (a float) summed over all ranks; the value itself on one process.

    Every rank must call it, as every rank takes part in the reduction.

    Parameters
    ----------
    value : float
        This rank's share (in training, the loss summed over its items).
    context : Context
        :func:`setup`.
    device : torch.device
        Where the reduction runs: the rank's GPU under ``nccl``, the CPU under ``gloo``.

    Returns
    -------
    float
    """
    if not context.active:
        return value
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t.item())


def barrier(context):
    """Wait for every rank (e.g. until rank 0 has written a checkpoint)."""
    if context.active:
        import torch.distributed as dist

        dist.barrier()


def teardown(context):
    """Leave the process group (at the end of ``train.py``)."""
    if context.active:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
