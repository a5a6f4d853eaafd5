"""Random-state plumbing that never leaves the global RNGs changed."""

import contextlib

import numpy as np
import torch
from sklearn.utils import check_random_state

#: Largest seed drawn for a sub-generator (torch, KMeans, a trial): int32, which every
#: consumer accepts.
MAX_SEED = int(np.iinfo(np.int32).max)


def draw_seed(rng):
    """Draw one integer seed in ``[0, MAX_SEED)`` from a :class:`~numpy.random.RandomState`.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.utils import draw_seed
    >>> draw_seed(np.random.RandomState(0)) == draw_seed(np.random.RandomState(0))
    True
    """
    return int(rng.randint(MAX_SEED))


def derive_seed(*entropy, spawn_key=()):
    """An integer seed in ``[0, MAX_SEED)`` derived from integers, e.g. ``(trial_seed, round)``.

    Independent, reproducible streams per (run, step) without touching any
    global generator: the same integers give the same seed in any process.

    Examples
    --------
    >>> from skvaeal.utils._random import derive_seed
    >>> derive_seed(3, 0) == derive_seed(3, 0) != derive_seed(3, 1)
    True
    """
    sequence = np.random.SeedSequence([int(e) for e in entropy], spawn_key=tuple(spawn_key))
    return int(sequence.generate_state(1)[0] % MAX_SEED)


def fresh_seed():
    """An integer seed from the OS's entropy; numpy's global generator stays as it was."""
    return int(np.random.SeedSequence().generate_state(1)[0] % MAX_SEED)


def seed_from_random_state(random_state):
    """Draw an integer seed from ``random_state``.

    ``None`` draws from numpy's global generator (the sklearn convention for
    "not reproducible"), an int is used as is, a :class:`~numpy.random.RandomState`
    advances by one draw.

    Examples
    --------
    >>> from skvaeal.utils import seed_from_random_state
    >>> seed_from_random_state(3) == seed_from_random_state(3)
    True
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state) % (MAX_SEED + 1)
    return draw_seed(check_random_state(random_state))


@contextlib.contextmanager
def torch_rng_scope(seed, device=None):
    """Seed torch's RNGs inside the block and restore them on exit.

    Module initialisation, batch shuffling, dropout and reparameterisation noise
    all draw from torch's global generators. Forking them (rather than seeding
    them) makes a fit reproducible without changing the random state that the
    caller sees afterwards.

    Parameters
    ----------
    seed : int
        Seed for the duration of the block.
    device : torch.device, optional
        When a CUDA device, its generator is forked and seeded as well.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.utils import torch_rng_scope
    >>> with torch_rng_scope(0):
    ...     a = torch.rand(1)
    >>> with torch_rng_scope(0):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """
    devices = []
    if device is not None and torch.device(device).type == "cuda":
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
