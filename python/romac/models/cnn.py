"""The ROMANet paper's CNNs: MobileNet v1 (own module), MobileNet v2, VGG-16, AlexNet (torchvision).

All take a 1x3x224x224 image and return 1000 logits.
"""

from torch import nn

CNN_MODELS = ("mobilenet-v1", "mobilenet-v2", "vgg16", "alexnet")


def _conv_bn(cin, cout, stride, groups=1, k=3):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class MobileNetV1(nn.Module):
    """MobileNet v1 (Howard et al. 2017), width multiplier 1.0, 224x224: 4,231,976 parameters.

    Conv3x3/2 (32) then 13 depthwise-separable blocks (depthwise 3x3 + BN + ReLU, pointwise
    1x1 + BN + ReLU), global average pooling and a 1024->1000 classifier.
    """

    # (output channels, stride) of the 13 depthwise-separable blocks
    CFG = (
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    )  # fmt: skip

    def __init__(self, num_classes=1000, width=1.0):
        super().__init__()
        c = int(32 * width)
        layers = [_conv_bn(3, c, 2)]
        for cout, stride in self.CFG:
            cout = int(cout * width)
            layers.append(_conv_bn(c, c, stride, groups=c))  # depthwise
            layers.append(_conv_bn(c, cout, 1, k=1))  # pointwise
            c = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(x.flatten(1))


def build(name: str) -> nn.Module:
    import torchvision

    if name == "mobilenet-v1":
        return MobileNetV1()
    if name == "mobilenet-v2":
        return torchvision.models.mobilenet_v2(weights=None)
    if name == "vgg16":
        return torchvision.models.vgg16(weights=None)
    if name == "alexnet":
        return torchvision.models.alexnet(weights=None)
    raise ValueError(f"unknown CNN {name!r}")
