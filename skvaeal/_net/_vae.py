"""skorch net for variational autoencoders."""

import contextlib
import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.utils import to_tensor

from ..nn import ELBOLoss
from ._loader import SliceLoader

PRECISIONS = ("float32", "bfloat16", "auto")
#: bfloat16 must be this much faster than float32 for ``precision="auto"`` to pick it: a
#: smaller gain is within the noise of a few timed steps on a shared machine.
AUTO_BF16_MIN_SPEEDUP = 1.15
# Precision chosen by "auto", per (device, module layout, batch shape), for this process.
_AUTO_PRECISION = {}


def _forward_backward(module, xb, dtype):
    with torch.autocast(xb.device.type, dtype=torch.bfloat16, enabled=dtype == "bfloat16"):
        out = module(xb)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    total = sum(o.float().mean() for o in outs if torch.is_tensor(o) and o.is_floating_point())
    total.backward()


def measure_precision(module, xb, repeats=3):
    """``"bfloat16"`` when its forward and backward passes beat float32's, else ``"float32"``.

    Times ``repeats`` passes of each (after one untimed pass, which builds the
    kernels) on a copy of ``module`` and the batch ``xb``, the global RNG
    restored afterwards, so the fit that follows is the one it would have been.
    For the conv VAE bfloat16 ran at 0.74x float32 on one AVX-512 machine of
    ours and at 1.75x on another with AMX-BF16 (``benchmarks/bench_vae_fit.py``):
    what is faster depends on the hardware, its kernels and the model, so it
    is measured, not assumed.
    """
    import copy
    import time

    key = (str(xb.device), repr(module), tuple(xb.shape))
    if key in _AUTO_PRECISION:
        return _AUTO_PRECISION[key]
    devices = [xb.device] if xb.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        trial = copy.deepcopy(module).train()
        seconds = {}
        for dtype in ("float32", "bfloat16"):
            times = []
            for r in range(repeats + 1):
                if xb.device.type == "cuda":
                    torch.cuda.synchronize(xb.device)
                start = time.perf_counter()
                _forward_backward(trial, xb, dtype)
                if xb.device.type == "cuda":
                    torch.cuda.synchronize(xb.device)
                if r:
                    times.append(time.perf_counter() - start)
            trial.zero_grad(set_to_none=True)
            seconds[dtype] = sorted(times)[len(times) // 2]
    choice = ("bfloat16" if seconds["float32"] > AUTO_BF16_MIN_SPEEDUP * seconds["bfloat16"]
              else "float32")
    _AUTO_PRECISION[key] = choice
    return choice


_MODULE_TRAIN = torch.nn.Module.train


def _needs_train_call(module, training):
    """Whether ``module.train(training)`` would change anything.

    It would not when every submodule already has the requested mode and none
    overrides :meth:`torch.nn.Module.train` (an override may do more than set
    the flag, so it is always called).
    """
    if module.training != training or type(module).train is not _MODULE_TRAIN:
        return True
    # Walks ``_modules`` directly: Module.modules() builds prefixed names and a memo set.
    for child in module._modules.values():
        if child is not None and _needs_train_call(child, training):
            return True
    return False


class BatchedNet(NeuralNet):
    """A skorch :class:`~skorch.NeuralNet` with the package's loader, precision and inference.

    What every net of the package shares, whatever its model: batches sliced
    from whole tensors (:class:`~skvaeal._net.SliceLoader`) and moved to the
    device once, an optional bfloat16 autocast, a clear error when training
    diverges, and batched, batch-invariant inference (:meth:`_map_batches`).

    Parameters
    ----------
    module : torch.nn.Module class or instance
    precision : {"float32", "bfloat16", "auto"}, default="float32"
        ``"bfloat16"`` runs forward passes under :func:`torch.autocast`; losses
        are always reduced in float32. ``"auto"`` times both on the first
        training batch when training begins (:func:`measure_precision`) and
        keeps bfloat16 only where it is faster; ``precision_`` holds the choice.
    **kwargs
        Everything :class:`skorch.NeuralNet` accepts. The iterators default to
        :class:`~skvaeal._net.SliceLoader`.
    """

    def __init__(self, module, *args, precision="float32", iterator_train=SliceLoader,
                 iterator_valid=SliceLoader, **kwargs):
        kwargs.setdefault("iterator_train__shuffle", True)
        super().__init__(module, *args, iterator_train=iterator_train,
                         iterator_valid=iterator_valid, **kwargs)
        self.precision = precision

    # ------------------------------------------------------------------ training
    def get_default_callbacks(self):
        callbacks = super().get_default_callbacks()
        if not self.verbose:
            # skorch's PrintLog formats its table after every epoch even when it prints
            # nothing: with the one-batch epochs of a small labelled set that made an
            # MCDropoutClassifier fit 1.7x a hand-written loop (1.2-1.3x without it,
            # benchmarks/bench_mc_dropout_fit.py).
            callbacks = [(name, cb) for name, cb in callbacks if name != "print_log"]
        return callbacks

    def get_iterator(self, dataset, training=False):
        iterator = super().get_iterator(dataset, training=training)
        # Batches then arrive on the net's device and the to_tensor calls in infer and
        # get_loss are no-ops: one host-to-device copy per batch instead of two.
        if isinstance(iterator, SliceLoader) and iterator.device is None:
            iterator.device = self.device
        return iterator

    def check_net_params(self):
        """Validate the net's own parameters; run once per ``fit``, never per step.

        Raises
        ------
        ValueError
            Naming the parameter whose value is not allowed.
        """
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}; got {self.precision!r}.")

    def initialize(self):
        self.check_net_params()
        return super().initialize()

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        # Parameters may change between fits (set_params, warm starts): check them here,
        # once per fit, rather than inside every training step.
        self.check_net_params()
        self.precision_ = self.precision
        if self.precision == "auto":
            self.precision_ = self._measured_precision(X)
        super().on_train_begin(net, X=X, y=y, **kwargs)

    def _measured_precision(self, X):
        rows = X[0] if isinstance(X, (tuple, list)) else X
        if not torch.is_tensor(rows) or rows.ndim == 0 or len(rows) == 0:
            return "float32"  # nothing to time a pass on: the safe choice
        xb = rows[:self.batch_size].to(self.device)
        return measure_precision(self.module_, xb)

    def _autocast(self):
        if getattr(self, "precision_", self.precision) == "bfloat16":
            return torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _set_training(self, training=True):
        # skorch calls this before every batch. nn.Module.train() re-assigns the flag on
        # every submodule through the slow nn.Module.__setattr__ (~100 us for the default
        # MLP VAE, a few percent of its step); checking the flags first is ~10x cheaper.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and _needs_train_call(module, training):
                module.train(training)

    def infer(self, x, **fit_params):
        with self._autocast():
            return super().infer(x, **fit_params)

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        loss = kwargs.get("loss")
        # skorch has already synchronised on this value to log it, so the check is free.
        if training and loss is not None and not math.isfinite(loss.item()):
            epoch = len(self.history)
            raise ValueError(
                f"Training diverged: the loss became {loss.item()} in epoch {epoch}. "
                "Lower lr, scale X (e.g. StandardScaler or MinMaxScaler), or use "
                "precision='float32'."
            )
        super().on_batch_end(net, batch=batch, training=training, **kwargs)

    # ----------------------------------------------------------------- inference
    def _map_batches(self, fn, X, dtype=np.float32):
        """Apply ``fn`` to batches of ``X``; only one batch of activations is alive at a time.

        The outputs are gathered in a numpy array of ``dtype`` (float32 or float64).

        Every batch has exactly ``batch_size`` rows, the last one padded with
        zeros, so a row's output does not depend on what else is in its batch:
        CPU and GPU kernels pick their algorithm (and so their rounding) by the
        batch size, which made one row alone differ from the same row among
        others in the last bits. With a fixed size, a row gives the same bits
        at any position (checked on AVX2 and AVX-512 kernels), so results are
        batch-invariant, as scikit-learn's ``check_methods_subset_invariance``
        asks. ``batch_size=-1`` (one batch of all rows) opts out.
        """
        n = len(X)
        if n == 0:
            raise ValueError("Found array with 0 sample(s); at least 1 is required.")
        batch_size = n if self.batch_size == -1 else int(self.batch_size)
        out = None
        self._set_training(False)
        with torch.inference_mode(), self._autocast():
            for start in range(0, n, batch_size):
                chunk = X[start:start + batch_size]
                if not isinstance(chunk, torch.Tensor):
                    # Zero-copy for writable float32 rows (inference only reads them); a
                    # copy per batch converts other dtypes lazily and never aliases a
                    # read-only array, which torch would warn about.
                    if not (isinstance(chunk, np.ndarray) and chunk.dtype == np.float32
                            and chunk.flags.writeable and chunk.flags.c_contiguous):
                        chunk = np.array(chunk, dtype=np.float32)
                    chunk = torch.from_numpy(chunk)
                chunk = chunk.to(self.device, dtype=torch.float32, non_blocking=True)
                rows = chunk.shape[0]
                if rows < batch_size:
                    pad = chunk.new_zeros((batch_size - rows, *chunk.shape[1:]))
                    chunk = torch.cat([chunk, pad])
                result = fn(chunk)[:rows]
                result = (result.double() if dtype == np.float64 else result.float()).cpu().numpy()
                if out is None:
                    out = np.empty((n, *result.shape[1:]), dtype=dtype)
                out[start:start + rows] = result
        return out


class VAENet(BatchedNet):
    """A skorch :class:`~skorch.NeuralNet` that trains a VAE on unlabelled rows.

    The module returns ``(x_hat, mu, logvar)`` and the criterion
    (:class:`~skvaeal.nn.ELBOLoss` by default) compares ``x_hat`` with the input
    batch itself, so ``fit(X, y=None)`` needs no target. Besides skorch's usual
    API it adds batched ``encode``, ``decode`` and ``elbo``.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        A module with ``encode(x) -> (mu, logvar)``, ``decode(z) -> x_hat`` and
        ``forward(x) -> (x_hat, mu, logvar)``, e.g. :class:`~skvaeal.nn.VAEModule`.
    criterion : class or instance, default=ELBOLoss
    precision : {"float32", "bfloat16", "auto"}, default="float32"
        ``"bfloat16"`` runs forward passes under :func:`torch.autocast`; losses
        are always reduced in float32.
    **kwargs
        Everything :class:`skorch.NeuralNet` accepts. The iterators default to
        :class:`~skvaeal._net.SliceLoader`.

    Examples
    --------
    >>> import torch
    >>> from skvaeal._net import VAENet
    >>> from skvaeal.nn import MLPDecoder, MLPEncoder, VAEModule
    >>> net = VAENet(VAEModule, module__encoder=MLPEncoder(4, 2),
    ...              module__decoder=MLPDecoder(2, 4), max_epochs=1, verbose=0)
    >>> net = net.fit(torch.rand(16, 4), None)
    >>> net.encode(torch.rand(3, 4)).shape
    (3, 2)
    """

    def __init__(self, module, *args, criterion=ELBOLoss, **kwargs):
        super().__init__(module, *args, criterion=criterion, **kwargs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # The target of an autoencoder is its input; y_true is ignored.
        X = to_tensor(X, device=self.device)
        return self.criterion_(y_pred, X.float())

    def encode(self, X):
        """Posterior means ``E[z|x]`` of the rows of ``X``, as a float32 array."""
        return self._map_batches(lambda xb: self.module_.encode(xb)[0], X)

    def decode(self, Z):
        """Decoder means for codes ``Z``: probabilities (Bernoulli) or means (Gaussian)."""
        bernoulli = getattr(self.criterion_, "likelihood", None) == "bernoulli"

        def fn(zb):
            x_hat = self.module_.decode(zb).float()
            return torch.sigmoid(x_hat) if bernoulli else x_hat

        return self._map_batches(fn, Z)

    def elbo(self, X):
        """Per-sample ELBO (beta = 1) with the code at the posterior mean."""
        def fn(xb):
            nll, kl = self.criterion_.per_sample(self.module_(xb), xb)
            return -(nll + kl)

        return self._map_batches(fn, X)
