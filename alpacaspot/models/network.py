"""ANIMAL-SPOT-compatible ResNet: encoder, global-pool classifier and :func:`build_model`.

The parameter names follow ANIMAL-SPOT's state dicts (``encoder.conv1.weight``,
``encoder.layer1.0.shortcut.0.weight``, ``classifier.linear.weight``, ...), so that an
ANIMAL-SPOT model file maps onto it by prefixing its encoder and classifier states. The input
is a batch of spectrograms shaped (batch, channels, time, frequency); the output is logits.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from alpacaspot.errors import ConfigError

__all__ = ["AlpacaNet", "build_model", "ARCHITECTURE_KEYS"]

#: The keyword arguments of :func:`build_model`, in order; a model file stores these.
ARCHITECTURE_KEYS = (
    "resnet",
    "num_classes",
    "conv_kernel_size",
    "max_pool",
    "in_channels",
    "width",
    "pooling",
)

_LAYOUTS: dict[int, tuple[str, list[int]]] = {
    18: ("basic", [2, 2, 2, 2]),
    34: ("basic", [3, 4, 6, 3]),
    50: ("bottleneck", [3, 4, 6, 3]),
}


def _shortcut(in_ch: int, out_ch: int, stride: int) -> nn.Sequential:
    if stride == 1 and in_ch == out_ch:
        return nn.Sequential()
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=stride, bias=False),
        nn.BatchNorm2d(out_ch),
    )


class _BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_ch: int, ch: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(ch)
        self.shortcut = _shortcut(in_ch, ch, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class _Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_ch: int, ch: int, stride: int) -> None:
        super().__init__()
        out_ch = ch * self.expansion
        self.conv1 = nn.Conv2d(in_ch, ch, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(ch)
        self.conv3 = nn.Conv2d(ch, out_ch, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_ch)
        self.shortcut = _shortcut(in_ch, out_ch, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return torch.relu(out + self.shortcut(x))


class _Encoder(nn.Module):
    def __init__(
        self, *, resnet: int, conv_kernel_size: int, max_pool: int, in_channels: int, width: int
    ) -> None:
        super().__init__()
        kind, counts = _LAYOUTS[resnet]
        block = _BasicBlock if kind == "basic" else _Bottleneck
        k = conv_kernel_size
        self.conv1 = nn.Conv2d(in_channels, width, k, stride=2, padding=k // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        # max_pool 1: 3x3/2 max pooling; 2: no pooling, first stage stride 1;
        # 0: no pooling, the first stage downsamples instead.
        self.pool: nn.Module = (
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if max_pool == 1 else nn.Identity()
        )
        first_stride = 2 if max_pool == 0 else 1
        in_ch = width
        for i, count in enumerate(counts):
            ch = width * 2**i
            layers = []
            for j in range(count):
                stride = (first_stride if i == 0 else 2) if j == 0 else 1
                layers.append(block(in_ch, ch, stride))
                in_ch = ch * block.expansion
            self.add_module(f"layer{i + 1}", nn.Sequential(*layers))
        self.out_channels = in_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class _Classifier(nn.Module):
    def __init__(self, *, in_channels: int, num_classes: int, pooling: str) -> None:
        super().__init__()
        self.pooling = pooling
        self.linear = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(2)
        x = x.mean(dim=2) if self.pooling == "avg" else x.amax(dim=2)
        return self.linear(x)


class AlpacaNet(nn.Module):
    """ResNet encoder followed by a global-pool linear classifier.

    Build it with :func:`build_model`; ``architecture`` holds the keyword arguments used.

    Examples
    --------
    >>> net = build_model(width=8)
    >>> net(torch.zeros(2, 1, 16, 32)).shape
    torch.Size([2, 2])
    """

    def __init__(self, architecture: dict[str, Any]) -> None:
        super().__init__()
        self.architecture = dict(architecture)
        a = self.architecture
        self.encoder = _Encoder(
            resnet=a["resnet"],
            conv_kernel_size=a["conv_kernel_size"],
            max_pool=a["max_pool"],
            in_channels=a["in_channels"],
            width=a["width"],
        )
        self.classifier = _Classifier(
            in_channels=self.encoder.out_channels,
            num_classes=a["num_classes"],
            pooling=a["pooling"],
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.encoder(x))


def _check_int(name: str, value: Any, allowed: tuple[int, ...] | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 and name != "max_pool":
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    if allowed is not None and value not in allowed:
        raise ConfigError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return int(value)


def build_model(
    *,
    resnet: int = 18,
    num_classes: int = 2,
    conv_kernel_size: int = 7,
    max_pool: int = 2,
    in_channels: int = 1,
    width: int = 64,
    pooling: str = "avg",
) -> AlpacaNet:
    """Build an ANIMAL-SPOT-style ResNet classifier.

    Parameters
    ----------
    resnet : {18, 34, 50}
        Depth (BasicBlocks for 18/34, Bottlenecks for 50).
    num_classes : int
        Number of output logits.
    conv_kernel_size : int
        Kernel size of the first convolution (stride 2, padding ``k // 2``).
    max_pool : {0, 1, 2}
        1: 3x3 max pooling after the first convolution; 2: no pooling (ANIMAL-SPOT's
        default); 0: no pooling, the first stage downsamples instead.
    in_channels : int
        Input channels (1 for a spectrogram).
    width : int
        Channels of the first stage (64 for ANIMAL-SPOT); stages have width x 1, 2, 4, 8.
    pooling : {"avg", "max"}
        Global pooling over time x frequency before the linear layer.

    Returns
    -------
    AlpacaNet
        Module taking (batch, in_channels, time, frequency) and returning logits.

    Raises
    ------
    ConfigError
        On an unsupported value, naming it.

    Examples
    --------
    >>> net = build_model(resnet=18, width=16)
    >>> sum(p.numel() for p in net.parameters()) > 0
    True
    """
    arch = {
        "resnet": _check_int("resnet", resnet, tuple(_LAYOUTS)),
        "num_classes": _check_int("num_classes", num_classes),
        "conv_kernel_size": _check_int("conv_kernel_size", conv_kernel_size),
        "max_pool": _check_int("max_pool", max_pool, (0, 1, 2)),
        "in_channels": _check_int("in_channels", in_channels),
        "width": _check_int("width", width),
        "pooling": pooling,
    }
    if pooling not in ("avg", "max"):
        raise ConfigError(f"pooling must be 'avg' or 'max', got {pooling!r}")
    return AlpacaNet(arch)
