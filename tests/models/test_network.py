"""Tests of alpacaspot.models.network."""

from __future__ import annotations

import pytest
import torch

from alpacaspot.errors import ConfigError
from alpacaspot.models import build_model


@pytest.mark.parametrize("resnet", [18, 34, 50])
@pytest.mark.parametrize("max_pool", [0, 1, 2])
def test_shapes(resnet: int, max_pool: int) -> None:
    net = build_model(resnet=resnet, max_pool=max_pool, width=4, num_classes=3).eval()
    assert net(torch.zeros(2, 1, 17, 32)).shape == (2, 3)


def test_animalspot_parameter_names() -> None:
    names = set(build_model(width=8).state_dict())
    for key in ("encoder.conv1.weight", "encoder.bn1.running_mean",
                "encoder.layer1.0.conv1.weight", "encoder.layer1.1.bn2.bias",
                "encoder.layer2.0.shortcut.0.weight", "encoder.layer2.0.shortcut.1.running_var",
                "encoder.layer4.1.conv2.weight", "classifier.linear.weight",
                "classifier.linear.bias"):
        assert key in names
    assert not any("layer1.0.shortcut" in n for n in names)  # same width, stride 1
    assert build_model(width=64).state_dict()["encoder.conv1.weight"].shape == (64, 1, 7, 7)
    assert build_model(width=64).state_dict()["classifier.linear.weight"].shape == (2, 512)


def test_bottleneck_names() -> None:
    names = set(build_model(resnet=50, width=4).state_dict())
    assert "encoder.layer1.0.conv3.weight" in names
    assert "encoder.layer1.0.shortcut.0.weight" in names  # 4 -> 16 channels


def test_max_pooling_is_global() -> None:
    net = build_model(width=4, pooling="max").eval()
    assert net(torch.rand(1, 1, 30, 40)).shape == (1, 2)


@pytest.mark.parametrize("kwargs", [{"resnet": 20}, {"max_pool": 3}, {"width": 0},
                                    {"pooling": "median"}, {"num_classes": True}])
def test_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        build_model(**kwargs)
