"""Stable Diffusion 2 inpainting (stabilityai/stable-diffusion-2-inpainting) in plain PyTorch.

The modules reproduce the diffusers / transformers implementations the published checkpoint
is loaded into (see ``/work/shared/reference/sd2-inpainting.md``): same module tree, same
parameter names and shapes (so a real state dict would load), same forward computation.
Only what inference needs is kept; attention uses diffusers' classic ``AttnProcessor``
formulation (``MatMul`` -> ``Mul(scale)`` -> ``Softmax`` -> ``MatMul``) because torch 1.13
has no ``scaled_dot_product_attention``.

Every hyper-parameter lives in a config dataclass; the defaults are the SD2-inpainting
checkpoint. ``SD2InpaintingConfig.tiny()`` keeps the structure (block types, layer counts,
text depth) with small widths, for fixtures that can be executed in tests.

Build a model on the ``meta`` device (no memory, no init time) with ``init_device("meta")``:

    with init_device("meta"):
        unet = UNet2DConditionModel(UNetConfig())
    sum(p.numel() for p in unet.parameters())  # 865,925,124
"""

import contextlib
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UNetConfig:
    """``unet/config.json`` of SD2-inpainting.

    ``attention_heads`` is what diffusers calls ``attention_head_dim`` ([5,10,20,20]): the
    list is really the number of heads per block (every head is 64 wide).
    """

    in_channels: int = 9
    out_channels: int = 4
    sample_size: int = 64
    block_out_channels: Tuple[int, ...] = (320, 640, 1280, 1280)
    layers_per_block: int = 2
    attention_heads: Tuple[int, ...] = (5, 10, 20, 20)
    cross_attention_dim: int = 1024
    norm_num_groups: int = 32
    norm_eps: float = 1e-5
    transformer_norm_eps: float = 1e-6  # Transformer2DModel's GroupNorm (hard-coded)
    layer_norm_eps: float = 1e-5  # BasicTransformerBlock LayerNorms
    flip_sin_to_cos: bool = True
    freq_shift: int = 0
    downsample_padding: int = 1
    mid_block_scale_factor: float = 1.0
    ff_mult: int = 4
    time_embed_mult: int = 4  # time_embed_dim = 4 * block_out_channels[0]
    down_block_types: Tuple[str, ...] = (
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    )
    up_block_types: Tuple[str, ...] = (
        "UpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
    )


@dataclass(frozen=True)
class VAEConfig:
    """``vae/config.json`` (AutoencoderKL) of SD2-inpainting."""

    in_channels: int = 3
    out_channels: int = 3
    block_out_channels: Tuple[int, ...] = (128, 256, 512, 512)
    layers_per_block: int = 2
    latent_channels: int = 4
    norm_num_groups: int = 32
    norm_eps: float = 1e-6
    sample_size: int = 512
    scaling_factor: float = 0.18215


@dataclass(frozen=True)
class CLIPTextConfig:
    """``text_encoder/config.json`` (CLIPTextModel; OpenCLIP ViT-H-14 text tower, penultimate layer)."""

    vocab_size: int = 49408
    hidden_size: int = 1024
    intermediate_size: int = 4096
    num_hidden_layers: int = 23
    num_attention_heads: int = 16
    max_position_embeddings: int = 77
    layer_norm_eps: float = 1e-5
    hidden_act: str = "gelu"  # exact (erf) GELU
    projection_dim: int = 512  # unused by CLIPTextModel
    pad_token_id: int = 1
    bos_token_id: int = 0
    eos_token_id: int = 2


@dataclass(frozen=True)
class SD2InpaintingConfig:
    unet: UNetConfig = field(default_factory=UNetConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)
    text: CLIPTextConfig = field(default_factory=CLIPTextConfig)

    @staticmethod
    def tiny() -> "SD2InpaintingConfig":
        """Same structure (block types, layer counts, 23 text layers) with small widths."""
        text = CLIPTextConfig(
            vocab_size=1000,
            hidden_size=32,
            intermediate_size=128,
            num_attention_heads=2,
        )
        # Widths change where the full model's do (so the same resnets get a 1x1 shortcut
        # conv) and every attention has several heads (a single head would let the exporter
        # drop its `* heads` shape arithmetic): the ONNX graphs have the full model's ops.
        unet = UNetConfig(
            block_out_channels=(8, 16, 24, 24),
            attention_heads=(2, 2, 3, 3),
            cross_attention_dim=text.hidden_size,
            norm_num_groups=4,
            sample_size=16,
        )
        vae = VAEConfig(block_out_channels=(8, 16, 32, 32), norm_num_groups=4, sample_size=64)
        return SD2InpaintingConfig(unet=unet, vae=vae, text=text)


def config_dict(cfg) -> dict:
    """A JSON-friendly dict of a config dataclass (tuples become lists)."""
    return json_friendly(dataclasses.asdict(cfg))


def json_friendly(obj):
    if isinstance(obj, dict):
        return {k: json_friendly(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_friendly(v) for v in obj]
    return obj


# --------------------------------------------------------------------------------------
# Layer factories (so a whole model can be built on the meta device)
# --------------------------------------------------------------------------------------

_INIT_DEVICE: Optional[torch.device] = None


@contextlib.contextmanager
def init_device(device):
    """Build the modules created inside this block on ``device`` (e.g. ``"meta"``)."""
    global _INIT_DEVICE
    saved = _INIT_DEVICE
    _INIT_DEVICE = torch.device(device)
    try:
        yield
    finally:
        _INIT_DEVICE = saved


def _kw():
    return {} if _INIT_DEVICE is None else {"device": _INIT_DEVICE}


def Linear(cin, cout, bias=True):
    return nn.Linear(cin, cout, bias=bias, **_kw())


def Conv2d(cin, cout, k, stride=1, padding=0):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=padding, **_kw())


def GroupNorm(groups, channels, eps):
    return nn.GroupNorm(groups, channels, eps=eps, affine=True, **_kw())


def LayerNorm(dim, eps):
    return nn.LayerNorm(dim, eps=eps, **_kw())


def Embedding(n, dim):
    return nn.Embedding(n, dim, **_kw())


# --------------------------------------------------------------------------------------
# Shared diffusers building blocks
# --------------------------------------------------------------------------------------


class ResnetBlock2D(nn.Module):
    """diffusers ``ResnetBlock2D`` (time_embedding_norm="default", no up/down)."""

    def __init__(self, cin, cout, temb_channels, groups, eps, output_scale_factor=1.0):
        super().__init__()
        self.norm1 = GroupNorm(groups, cin, eps)
        self.conv1 = Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = Linear(temb_channels, cout) if temb_channels else None
        self.norm2 = GroupNorm(groups, cout, eps)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = Conv2d(cout, cout, 3, padding=1)
        self.nonlinearity = nn.SiLU()
        self.output_scale_factor = output_scale_factor
        self.conv_shortcut = Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(self.nonlinearity(self.norm1(x)))
        if self.time_emb_proj is not None and temb is not None:
            h = h + self.time_emb_proj(self.nonlinearity(temb))[:, :, None, None]
        h = self.conv2(self.dropout(self.nonlinearity(self.norm2(h))))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return (x + h) / self.output_scale_factor


class Downsample2D(nn.Module):
    """Conv 3x3 stride 2; with ``padding=0`` an explicit (0,1,0,1) pad comes first (VAE)."""

    def __init__(self, channels, padding):
        super().__init__()
        self.padding = padding
        self.conv = Conv2d(channels, channels, 3, stride=2, padding=padding)

    def forward(self, x):
        if self.padding == 0:
            x = F.pad(x, (0, 1, 0, 1), mode="constant", value=0.0)
        return self.conv(x)


class Upsample2D(nn.Module):
    """Nearest x2 then conv 3x3."""

    def __init__(self, channels):
        super().__init__()
        self.conv = Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.conv(x)


class Attention(nn.Module):
    """diffusers ``Attention`` + ``AttnProcessor``.

    UNet transformers: q/k/v without bias, no group norm, no residual. VAE mid block:
    q/k/v with bias, own GroupNorm, residual connection, one 512-wide head.
    """

    def __init__(
        self,
        query_dim,
        heads,
        dim_head,
        cross_attention_dim=None,
        bias=False,
        norm_num_groups=None,
        eps=1e-5,
        residual_connection=False,
        rescale_output_factor=1.0,
    ):
        super().__init__()
        inner = heads * dim_head
        kv_dim = cross_attention_dim or query_dim
        self.heads = heads
        self.scale = dim_head**-0.5
        self.residual_connection = residual_connection
        self.rescale_output_factor = rescale_output_factor
        self.group_norm = GroupNorm(norm_num_groups, query_dim, eps) if norm_num_groups else None
        self.to_q = Linear(query_dim, inner, bias=bias)
        self.to_k = Linear(kv_dim, inner, bias=bias)
        self.to_v = Linear(kv_dim, inner, bias=bias)
        self.to_out = nn.ModuleList([Linear(inner, query_dim), nn.Dropout(0.0)])

    def head_to_batch_dim(self, t):
        b, s, d = t.shape
        h = self.heads
        return t.reshape(b, s, h, d // h).permute(0, 2, 1, 3).reshape(b * h, s, d // h)

    def batch_to_head_dim(self, t):
        bh, s, d = t.shape
        h = self.heads
        return t.reshape(bh // h, h, s, d).permute(0, 2, 1, 3).reshape(bh // h, s, d * h)

    def forward(self, hidden_states, encoder_hidden_states=None):
        residual = hidden_states
        input_ndim = hidden_states.dim()
        if input_ndim == 4:
            b, c, hh, ww = hidden_states.shape
            hidden_states = hidden_states.view(b, c, hh * ww).transpose(1, 2)
        if self.group_norm is not None:
            hidden_states = self.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        q = self.head_to_batch_dim(self.to_q(hidden_states))
        k = self.head_to_batch_dim(self.to_k(encoder_hidden_states))
        v = self.head_to_batch_dim(self.to_v(encoder_hidden_states))
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        probs = scores.softmax(dim=-1)
        out = self.batch_to_head_dim(torch.bmm(probs, v))
        out = self.to_out[1](self.to_out[0](out))
        if input_ndim == 4:
            out = out.transpose(-1, -2).reshape(b, c, hh, ww)
        if self.residual_connection:
            out = out + residual
        return out / self.rescale_output_factor


class GEGLU(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = Linear(dim, inner * 2)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, mult):
        super().__init__()
        inner = dim * mult
        self.net = nn.ModuleList([GEGLU(dim, inner), nn.Dropout(0.0), Linear(inner, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, dim_head, cross_attention_dim, eps, ff_mult):
        super().__init__()
        self.norm1 = LayerNorm(dim, eps)
        self.attn1 = Attention(dim, heads, dim_head)
        self.norm2 = LayerNorm(dim, eps)
        self.attn2 = Attention(dim, heads, dim_head, cross_attention_dim=cross_attention_dim)
        self.norm3 = LayerNorm(dim, eps)
        self.ff = FeedForward(dim, ff_mult)

    def forward(self, x, encoder_hidden_states):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), encoder_hidden_states) + x
        x = self.ff(self.norm3(x)) + x
        return x


class Transformer2DModel(nn.Module):
    """Continuous input, ``use_linear_projection=True``, one BasicTransformerBlock."""

    def __init__(self, cfg: UNetConfig, channels, heads):
        super().__init__()
        self.norm = GroupNorm(cfg.norm_num_groups, channels, cfg.transformer_norm_eps)
        self.proj_in = Linear(channels, channels)
        self.transformer_blocks = nn.ModuleList(
            [
                BasicTransformerBlock(
                    channels,
                    heads,
                    channels // heads,
                    cfg.cross_attention_dim,
                    cfg.layer_norm_eps,
                    cfg.ff_mult,
                )
            ]
        )
        self.proj_out = Linear(channels, channels)

    def forward(self, x, encoder_hidden_states):
        b, _, h, w = x.shape
        residual = x
        x = self.norm(x)
        inner = x.shape[1]
        x = x.permute(0, 2, 3, 1).reshape(b, h * w, inner)
        x = self.proj_in(x)
        for blk in self.transformer_blocks:
            x = blk(x, encoder_hidden_states)
        x = self.proj_out(x)
        x = x.reshape(b, h, w, inner).permute(0, 3, 1, 2).contiguous()
        return x + residual


# --------------------------------------------------------------------------------------
# UNet2DConditionModel
# --------------------------------------------------------------------------------------


class Timesteps(nn.Module):
    def __init__(self, channels, flip_sin_to_cos, shift):
        super().__init__()
        self.channels = channels
        self.flip_sin_to_cos = flip_sin_to_cos
        self.shift = shift

    def forward(self, timesteps):
        half = self.channels // 2
        exponent = -math.log(10000) * torch.arange(0, half, dtype=torch.float32)
        exponent = exponent / (half - self.shift)
        emb = timesteps[:, None].float() * torch.exp(exponent)[None, :]
        emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
        if self.flip_sin_to_cos:
            emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
        return emb


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = Linear(cin, dim)
        self.act = nn.SiLU()
        self.linear_2 = Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


class DownBlock(nn.Module):
    """``CrossAttnDownBlock2D`` (with_attention) or ``DownBlock2D``."""

    def __init__(self, cfg: UNetConfig, cin, cout, temb, heads, with_attention, add_downsample):
        super().__init__()
        n = cfg.layers_per_block
        self.resnets = nn.ModuleList(
            [
                ResnetBlock2D(cin if i == 0 else cout, cout, temb, cfg.norm_num_groups, cfg.norm_eps)
                for i in range(n)
            ]
        )
        if with_attention:
            self.attentions = nn.ModuleList([Transformer2DModel(cfg, cout, heads) for _ in range(n)])
        else:
            self.attentions = None
        if add_downsample:
            self.downsamplers = nn.ModuleList([Downsample2D(cout, cfg.downsample_padding)])
        else:
            self.downsamplers = None

    def forward(self, h, temb, ehs):
        outs = ()
        for i, resnet in enumerate(self.resnets):
            h = resnet(h, temb)
            if self.attentions is not None:
                h = self.attentions[i](h, ehs)
            outs += (h,)
        if self.downsamplers is not None:
            h = self.downsamplers[0](h)
            outs += (h,)
        return h, outs


class UpBlock(nn.Module):
    """``CrossAttnUpBlock2D`` (with_attention) or ``UpBlock2D``."""

    def __init__(
        self, cfg: UNetConfig, cin, cout, prev_out, temb, heads, with_attention, add_upsample
    ):
        super().__init__()
        n = cfg.layers_per_block + 1
        resnets = []
        for i in range(n):
            skip = cin if i == n - 1 else cout
            rin = prev_out if i == 0 else cout
            resnets.append(ResnetBlock2D(rin + skip, cout, temb, cfg.norm_num_groups, cfg.norm_eps))
        self.resnets = nn.ModuleList(resnets)
        if with_attention:
            self.attentions = nn.ModuleList([Transformer2DModel(cfg, cout, heads) for _ in range(n)])
        else:
            self.attentions = None
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if add_upsample else None

    def forward(self, h, res_tuple, temb, ehs):
        for i, resnet in enumerate(self.resnets):
            res = res_tuple[-1]
            res_tuple = res_tuple[:-1]
            h = torch.cat([h, res], dim=1)
            h = resnet(h, temb)
            if self.attentions is not None:
                h = self.attentions[i](h, ehs)
        if self.upsamplers is not None:
            h = self.upsamplers[0](h)
        return h


class UNetMidBlock2DCrossAttn(nn.Module):
    def __init__(self, cfg: UNetConfig, channels, temb, heads):
        super().__init__()
        g, eps, s = cfg.norm_num_groups, cfg.norm_eps, cfg.mid_block_scale_factor
        self.attentions = nn.ModuleList([Transformer2DModel(cfg, channels, heads)])
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(channels, channels, temb, g, eps, s) for _ in range(2)]
        )

    def forward(self, h, temb, ehs):
        h = self.resnets[0](h, temb)
        h = self.attentions[0](h, ehs)
        return self.resnets[1](h, temb)


class UNet2DConditionModel(nn.Module):
    """Inputs: sample [B,9,H,W], timestep (0-d or [B]), encoder_hidden_states [B,S,1024]."""

    def __init__(self, cfg: UNetConfig = UNetConfig()):
        super().__init__()
        self.config = cfg
        boc = cfg.block_out_channels
        temb = boc[0] * cfg.time_embed_mult
        self.conv_in = Conv2d(cfg.in_channels, boc[0], 3, padding=1)
        self.time_proj = Timesteps(boc[0], cfg.flip_sin_to_cos, cfg.freq_shift)
        self.time_embedding = TimestepEmbedding(boc[0], temb)

        downs = []
        out_ch = boc[0]
        for i, kind in enumerate(cfg.down_block_types):
            in_ch, out_ch = out_ch, boc[i]
            final = i == len(boc) - 1
            downs.append(
                DownBlock(
                    cfg,
                    in_ch,
                    out_ch,
                    temb,
                    cfg.attention_heads[i],
                    _block_kind(kind, "CrossAttnDownBlock2D", "DownBlock2D"),
                    not final,
                )
            )
        self.down_blocks = nn.ModuleList(downs)
        self.mid_block = UNetMidBlock2DCrossAttn(cfg, boc[-1], temb, cfg.attention_heads[-1])

        rboc = list(reversed(boc))
        rheads = list(reversed(cfg.attention_heads))
        ups = []
        out_ch = rboc[0]
        for i, kind in enumerate(cfg.up_block_types):
            prev, out_ch = out_ch, rboc[i]
            in_ch = rboc[min(i + 1, len(boc) - 1)]
            final = i == len(boc) - 1
            ups.append(
                UpBlock(
                    cfg,
                    in_ch,
                    out_ch,
                    prev,
                    temb,
                    rheads[i],
                    _block_kind(kind, "CrossAttnUpBlock2D", "UpBlock2D"),
                    not final,
                )
            )
        self.up_blocks = nn.ModuleList(ups)
        self.conv_norm_out = GroupNorm(cfg.norm_num_groups, boc[0], cfg.norm_eps)
        self.conv_act = nn.SiLU()
        self.conv_out = Conv2d(boc[0], cfg.out_channels, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        t = timestep
        if t.dim() == 0:
            t = t[None]
        t = t.expand(sample.shape[0])
        emb = self.time_embedding(self.time_proj(t).to(dtype=sample.dtype))

        h = self.conv_in(sample)
        res = (h,)
        for blk in self.down_blocks:
            h, outs = blk(h, emb, encoder_hidden_states)
            res += outs
        h = self.mid_block(h, emb, encoder_hidden_states)
        for blk in self.up_blocks:
            n = len(blk.resnets)
            skips, res = res[-n:], res[:-n]
            h = blk(h, skips, emb, encoder_hidden_states)
        return self.conv_out(self.conv_act(self.conv_norm_out(h)))


def _block_kind(kind, with_attn, without):
    if kind == with_attn:
        return True
    if kind == without:
        return False
    raise ValueError(f"unsupported block type {kind!r}")


# --------------------------------------------------------------------------------------
# AutoencoderKL
# --------------------------------------------------------------------------------------


class UNetMidBlock2D(nn.Module):
    """VAE mid block: resnet -> single-head self attention (own GroupNorm, residual) -> resnet."""

    def __init__(self, channels, groups, eps):
        super().__init__()
        self.attentions = nn.ModuleList(
            [
                Attention(
                    channels,
                    heads=1,
                    dim_head=channels,
                    bias=True,
                    norm_num_groups=groups,
                    eps=eps,
                    residual_connection=True,
                )
            ]
        )
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(channels, channels, None, groups, eps) for _ in range(2)]
        )

    def forward(self, h):
        h = self.resnets[0](h)
        h = self.attentions[0](h)
        return self.resnets[1](h)


class DownEncoderBlock2D(nn.Module):
    def __init__(self, cin, cout, n, groups, eps, add_downsample):
        super().__init__()
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(cin if i == 0 else cout, cout, None, groups, eps) for i in range(n)]
        )
        self.downsamplers = nn.ModuleList([Downsample2D(cout, 0)]) if add_downsample else None

    def forward(self, h):
        for r in self.resnets:
            h = r(h)
        if self.downsamplers is not None:
            h = self.downsamplers[0](h)
        return h


class UpDecoderBlock2D(nn.Module):
    def __init__(self, cin, cout, n, groups, eps, add_upsample):
        super().__init__()
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(cin if i == 0 else cout, cout, None, groups, eps) for i in range(n)]
        )
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if add_upsample else None

    def forward(self, h):
        for r in self.resnets:
            h = r(h)
        if self.upsamplers is not None:
            h = self.upsamplers[0](h)
        return h


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        boc, g, eps = cfg.block_out_channels, cfg.norm_num_groups, cfg.norm_eps
        self.conv_in = Conv2d(cfg.in_channels, boc[0], 3, padding=1)
        blocks = []
        out_ch = boc[0]
        for i in range(len(boc)):
            in_ch, out_ch = out_ch, boc[i]
            blocks.append(
                DownEncoderBlock2D(in_ch, out_ch, cfg.layers_per_block, g, eps, i < len(boc) - 1)
            )
        self.down_blocks = nn.ModuleList(blocks)
        self.mid_block = UNetMidBlock2D(boc[-1], g, eps)
        self.conv_norm_out = GroupNorm(g, boc[-1], eps)
        self.conv_act = nn.SiLU()
        self.conv_out = Conv2d(boc[-1], 2 * cfg.latent_channels, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for b in self.down_blocks:
            h = b(h)
        h = self.mid_block(h)
        return self.conv_out(self.conv_act(self.conv_norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        boc, g, eps = cfg.block_out_channels, cfg.norm_num_groups, cfg.norm_eps
        self.conv_in = Conv2d(cfg.latent_channels, boc[-1], 3, padding=1)
        self.mid_block = UNetMidBlock2D(boc[-1], g, eps)
        rboc = list(reversed(boc))
        blocks = []
        out_ch = rboc[0]
        for i in range(len(rboc)):
            prev, out_ch = out_ch, rboc[i]
            blocks.append(
                UpDecoderBlock2D(prev, out_ch, cfg.layers_per_block + 1, g, eps, i < len(boc) - 1)
            )
        self.up_blocks = nn.ModuleList(blocks)
        self.conv_norm_out = GroupNorm(g, boc[0], eps)
        self.conv_act = nn.SiLU()
        self.conv_out = Conv2d(boc[0], cfg.out_channels, 3, padding=1)

    def forward(self, z):
        h = self.conv_in(z)
        h = self.mid_block(h)
        for b in self.up_blocks:
            h = b(h)
        return self.conv_out(self.conv_act(self.conv_norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, cfg: VAEConfig = VAEConfig()):
        super().__init__()
        self.config = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.quant_conv = Conv2d(2 * cfg.latent_channels, 2 * cfg.latent_channels, 1)
        self.post_quant_conv = Conv2d(cfg.latent_channels, cfg.latent_channels, 1)


class VaeEncoder(nn.Module):
    """Optimum's ``vae_encoder``: sample -> latent_parameters (= [mean | logvar], 8 channels)."""

    def __init__(self, vae: AutoencoderKL):
        super().__init__()
        self.encoder = vae.encoder
        self.quant_conv = vae.quant_conv

    def forward(self, sample):
        return self.quant_conv(self.encoder(sample))


class VaeDecoder(nn.Module):
    """Optimum's ``vae_decoder``: latent_sample -> sample."""

    def __init__(self, vae: AutoencoderKL):
        super().__init__()
        self.post_quant_conv = vae.post_quant_conv
        self.decoder = vae.decoder

    def forward(self, latent_sample):
        return self.decoder(self.post_quant_conv(latent_sample))


# --------------------------------------------------------------------------------------
# CLIP text encoder (transformers CLIPTextModel)
# --------------------------------------------------------------------------------------


class CLIPAttention(nn.Module):
    def __init__(self, cfg: CLIPTextConfig):
        super().__init__()
        d = cfg.hidden_size
        self.num_heads = cfg.num_attention_heads
        self.head_dim = d // self.num_heads
        self.scale = self.head_dim**-0.5
        self.k_proj = Linear(d, d)
        self.v_proj = Linear(d, d)
        self.q_proj = Linear(d, d)
        self.out_proj = Linear(d, d)

    def _shape(self, t, seq, bsz):
        return t.view(bsz, seq, self.num_heads, self.head_dim).transpose(1, 2).contiguous()

    def forward(self, x, causal_mask):
        bsz, tgt, d = x.size()
        q = self.q_proj(x) * self.scale
        k = self._shape(self.k_proj(x), -1, bsz)
        v = self._shape(self.v_proj(x), -1, bsz)
        proj = (bsz * self.num_heads, -1, self.head_dim)
        q = self._shape(q, tgt, bsz).view(*proj)
        k = k.view(*proj)
        v = v.view(*proj)
        src = k.size(1)
        w = torch.bmm(q, k.transpose(1, 2))
        w = w.view(bsz, self.num_heads, tgt, src) + causal_mask
        w = w.view(bsz * self.num_heads, tgt, src)
        w = F.softmax(w, dim=-1)
        o = torch.bmm(w, v)
        o = o.view(bsz, self.num_heads, tgt, self.head_dim).transpose(1, 2).reshape(bsz, tgt, d)
        return self.out_proj(o)


class CLIPMLP(nn.Module):
    def __init__(self, cfg: CLIPTextConfig):
        super().__init__()
        if cfg.hidden_act != "gelu":
            raise ValueError(f"unsupported hidden_act {cfg.hidden_act!r}")
        self.fc1 = Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, cfg: CLIPTextConfig):
        super().__init__()
        self.self_attn = CLIPAttention(cfg)
        self.layer_norm1 = LayerNorm(cfg.hidden_size, cfg.layer_norm_eps)
        self.mlp = CLIPMLP(cfg)
        self.layer_norm2 = LayerNorm(cfg.hidden_size, cfg.layer_norm_eps)

    def forward(self, x, causal_mask):
        x = x + self.self_attn(self.layer_norm1(x), causal_mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPEncoder(nn.Module):
    def __init__(self, cfg: CLIPTextConfig):
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(cfg) for _ in range(cfg.num_hidden_layers)])

    def forward(self, x, causal_mask):
        for layer in self.layers:
            x = layer(x, causal_mask)
        return x


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, cfg: CLIPTextConfig):
        super().__init__()
        self.token_embedding = Embedding(cfg.vocab_size, cfg.hidden_size)
        self.position_embedding = Embedding(cfg.max_position_embeddings, cfg.hidden_size)
        self.register_buffer(
            "position_ids",
            torch.arange(cfg.max_position_embeddings).expand((1, -1)),
            persistent=False,
        )

    def forward(self, input_ids):
        seq = input_ids.shape[-1]
        position_ids = self.position_ids[:, :seq]
        return self.token_embedding(input_ids) + self.position_embedding(position_ids)


class CLIPTextTransformer(nn.Module):
    def __init__(self, cfg: CLIPTextConfig):
        super().__init__()
        self.embeddings = CLIPTextEmbeddings(cfg)
        self.encoder = CLIPEncoder(cfg)
        self.final_layer_norm = LayerNorm(cfg.hidden_size, cfg.layer_norm_eps)

    def forward(self, input_ids):
        shape = input_ids.size()
        input_ids = input_ids.view(-1, shape[-1])
        h = self.embeddings(input_ids)
        bsz, seq = shape
        mask = torch.empty(bsz, seq, seq, dtype=h.dtype)
        mask.fill_(torch.tensor(torch.finfo(h.dtype).min))
        mask.triu_(1)
        mask = mask.unsqueeze(1)
        h = self.encoder(h, mask)
        last = self.final_layer_norm(h)
        pooled = last[
            torch.arange(last.shape[0], device=last.device),
            input_ids.to(dtype=torch.int).argmax(dim=-1),
        ]
        return last, pooled


class CLIPTextModel(nn.Module):
    """input_ids [B,S] int64 -> (last_hidden_state [B,S,1024], pooler_output [B,1024])."""

    def __init__(self, cfg: CLIPTextConfig = CLIPTextConfig()):
        super().__init__()
        self.config = cfg
        self.text_model = CLIPTextTransformer(cfg)

    def forward(self, input_ids):
        return self.text_model(input_ids)


# --------------------------------------------------------------------------------------
# The four Optimum graphs
# --------------------------------------------------------------------------------------


def build_components(cfg: SD2InpaintingConfig = SD2InpaintingConfig(), names=None):
    """name -> nn.Module (eval mode) for the four Optimum graphs (or just ``names``)."""
    names = list(names or COMPONENTS)
    out = {}
    vae = None
    for name in names:
        if name == "text_encoder":
            out[name] = CLIPTextModel(cfg.text)
        elif name == "unet":
            out[name] = UNet2DConditionModel(cfg.unet)
        elif name in ("vae_encoder", "vae_decoder"):
            if vae is None:
                vae = AutoencoderKL(cfg.vae)
            out[name] = VaeEncoder(vae) if name == "vae_encoder" else VaeDecoder(vae)
        else:
            raise ValueError(f"unknown SD2 component {name!r}")
    for m in out.values():
        m.eval()
    return out


COMPONENTS = ("text_encoder", "unet", "vae_encoder", "vae_decoder")
