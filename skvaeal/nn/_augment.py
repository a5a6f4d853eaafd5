"""Random image augmentation on flat rows, for consistency training."""

import math

import torch
import torch.nn.functional as F
from torch import nn


class RandomAffine(nn.Module):
    """Shift and rotate each image of a batch of flat rows at random.

    Rows of ``C * H * W`` values are viewed as ``(C, H, W)`` images, moved by
    up to ``max_shift`` of their size along each axis and rotated by up to
    ``max_rotation`` degrees (uniform draws, one per image, from torch's
    generator), resampled bilinearly with zero padding and flattened again.
    There is no torchvision here, and its transforms act on one image at a
    time; one ``grid_sample`` call moves the whole batch.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, H, W)`` of each row.
    max_shift : float, default=0.075
        Largest shift as a fraction of the height and width (0.075 of 28
        pixels is about 2 pixels).
    max_rotation : float, default=10.0
        Largest rotation in degrees.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import RandomAffine
    >>> aug = RandomAffine((1, 28, 28))
    >>> x = torch.rand(5, 784)
    >>> aug(x).shape
    torch.Size([5, 784])
    >>> bool(torch.equal(RandomAffine((1, 28, 28), 0.0, 0.0)(x), x))
    True
    """

    def __init__(self, input_shape, max_shift=0.075, max_rotation=10.0):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.max_shift = float(max_shift)
        self.max_rotation = float(max_rotation)

    def forward(self, x):
        if self.max_shift == 0 and self.max_rotation == 0:
            return x
        n = x.shape[0]
        images = x.reshape(n, *self.input_shape)
        uniform = torch.rand(n, 3, device=x.device, dtype=x.dtype) * 2 - 1
        angle = uniform[:, 0] * math.radians(self.max_rotation)
        # affine_grid works in [-1, 1] coordinates, so a shift of s (fraction of
        # the side) is 2 s there.
        shift = uniform[:, 1:] * (2 * self.max_shift)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], dim=1),
                             torch.stack([sin, cos, shift[:, 1]], dim=1)], dim=1)
        grid = F.affine_grid(theta, images.shape, align_corners=False)
        out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros",
                            align_corners=False)
        return out.reshape(n, -1)

    def extra_repr(self):
        return (f"input_shape={self.input_shape}, max_shift={self.max_shift}, "
                f"max_rotation={self.max_rotation}")
