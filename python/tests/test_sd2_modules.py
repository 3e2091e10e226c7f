"""The PyTorch SD2-inpainting modules match the published architecture."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from romac.models import sd2

# Published / analytically derived parameter counts (reference sd2-inpainting.md).
EXPECTED_PARAMS = {
    "unet": 865_925_124,
    "vae_encoder": 34_163_664,  # incl. quant_conv
    "vae_decoder": 49_490_199,  # incl. post_quant_conv
    "text_encoder": 340_387_840,
}


@pytest.fixture(scope="module")
def full_meta():
    with sd2.init_device("meta"):
        return sd2.build_components(sd2.SD2InpaintingConfig())


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return sd2.build_components(sd2.SD2InpaintingConfig.tiny())


def count(module, cls):
    return sum(isinstance(m, cls) for m in module.modules())


def shapes(module):
    return {k: list(v.shape) for k, v in module.state_dict().items()}


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_full_size_parameter_counts(full_meta, name):
    assert sum(p.numel() for p in full_meta[name].parameters()) == EXPECTED_PARAMS[name]


def test_unet_in_channels_4_gives_the_well_known_sd2_count():
    with sd2.init_device("meta"):
        m = sd2.UNet2DConditionModel(sd2.UNetConfig(in_channels=4))
    assert sum(p.numel() for p in m.parameters()) == 865_910_724


def test_unet_module_counts(full_meta):
    u = full_meta["unet"]
    assert count(u, sd2.ResnetBlock2D) == 22
    assert sum(r.time_emb_proj is not None for r in u.modules() if isinstance(r, sd2.ResnetBlock2D)) == 22
    assert count(u, sd2.Transformer2DModel) == 16
    assert count(u, sd2.Attention) == 32
    assert count(u, nn.LayerNorm) == 48
    assert count(u, nn.GroupNorm) == 61
    assert count(u, nn.Conv2d) == 66
    assert sum(r.conv_shortcut is not None for r in u.modules() if isinstance(r, sd2.ResnetBlock2D)) == 14
    assert count(u, sd2.Upsample2D) == 3
    assert count(u, sd2.Downsample2D) == 3


def test_unet_heads_are_64_wide_and_scaled(full_meta):
    for name, m in full_meta["unet"].named_modules():
        if isinstance(m, sd2.Attention):
            width = m.to_q.out_features
            assert width // m.heads == 64, name
            assert m.scale == pytest.approx(1 / 8)
            assert m.to_q.bias is None and m.to_k.bias is None and m.to_v.bias is None
            assert m.to_out[0].bias is not None
            assert m.group_norm is None and not m.residual_connection
    assert [a.heads for a in full_meta["unet"].mid_block.attentions[0].modules() if isinstance(a, sd2.Attention)] == [20, 20]


def test_unet_diffusers_parameter_names_and_shapes(full_meta):
    s = shapes(full_meta["unet"])
    expect = {
        "conv_in.weight": [320, 9, 3, 3],
        "time_embedding.linear_1.weight": [1280, 320],
        "time_embedding.linear_2.weight": [1280, 1280],
        "down_blocks.0.resnets.0.time_emb_proj.weight": [320, 1280],
        "down_blocks.0.attentions.0.norm.weight": [320],
        "down_blocks.0.attentions.0.proj_in.weight": [320, 320],
        "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight": [320, 1024],
        "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj.weight": [2560, 320],
        "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2.weight": [320, 1280],
        "down_blocks.0.downsamplers.0.conv.weight": [320, 320, 3, 3],
        "down_blocks.1.resnets.0.conv_shortcut.weight": [640, 320, 1, 1],
        "down_blocks.3.resnets.1.conv2.weight": [1280, 1280, 3, 3],
        "mid_block.attentions.0.transformer_blocks.0.attn1.to_q.weight": [1280, 1280],
        "up_blocks.0.resnets.0.conv1.weight": [1280, 2560, 3, 3],
        "up_blocks.1.resnets.2.conv1.weight": [1280, 1920, 3, 3],
        "up_blocks.2.resnets.0.conv1.weight": [640, 1920, 3, 3],
        "up_blocks.3.resnets.0.conv1.weight": [320, 960, 3, 3],
        "up_blocks.3.resnets.2.conv_shortcut.weight": [320, 640, 1, 1],
        "up_blocks.2.upsamplers.0.conv.weight": [640, 640, 3, 3],
        "conv_norm_out.weight": [320],
        "conv_out.weight": [4, 320, 3, 3],
    }
    for k, v in expect.items():
        assert s.get(k) == v, k
    assert "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.bias" not in s
    assert "down_blocks.3.attentions.0.norm.weight" not in s  # DownBlock2D has no attention
    assert "up_blocks.3.upsamplers.0.conv.weight" not in s


def test_vae_names_shapes_and_eps(full_meta):
    enc, dec = shapes(full_meta["vae_encoder"]), shapes(full_meta["vae_decoder"])
    assert enc["encoder.conv_in.weight"] == [128, 3, 3, 3]
    assert enc["encoder.down_blocks.1.resnets.0.conv_shortcut.weight"] == [256, 128, 1, 1]
    assert enc["encoder.down_blocks.0.downsamplers.0.conv.weight"] == [128, 128, 3, 3]
    assert enc["encoder.mid_block.attentions.0.to_q.bias"] == [512]
    assert enc["encoder.mid_block.attentions.0.group_norm.weight"] == [512]
    assert enc["encoder.conv_out.weight"] == [8, 512, 3, 3]
    assert enc["quant_conv.weight"] == [8, 8, 1, 1]
    assert dec["post_quant_conv.weight"] == [4, 4, 1, 1]
    assert dec["decoder.conv_in.weight"] == [512, 4, 3, 3]
    assert dec["decoder.up_blocks.2.resnets.0.conv_shortcut.weight"] == [256, 512, 1, 1]
    assert dec["decoder.up_blocks.3.resnets.2.conv2.weight"] == [128, 128, 3, 3]
    assert dec["decoder.conv_out.weight"] == [3, 128, 3, 3]
    assert "decoder.up_blocks.3.upsamplers.0.conv.weight" not in dec
    for m in list(full_meta["vae_encoder"].modules()) + list(full_meta["vae_decoder"].modules()):
        if isinstance(m, nn.GroupNorm):
            assert m.eps == 1e-6 and m.num_groups == 32
        if isinstance(m, sd2.Attention):
            assert m.heads == 1 and m.residual_connection and m.scale == pytest.approx(512**-0.5)
        if isinstance(m, sd2.Downsample2D):
            assert m.padding == 0 and m.conv.padding == (0, 0) and m.conv.stride == (2, 2)


def test_text_encoder_names_and_shapes(full_meta):
    s = shapes(full_meta["text_encoder"])
    assert s["text_model.embeddings.token_embedding.weight"] == [49408, 1024]
    assert s["text_model.embeddings.position_embedding.weight"] == [77, 1024]
    assert s["text_model.encoder.layers.22.mlp.fc1.weight"] == [4096, 1024]
    assert s["text_model.encoder.layers.22.self_attn.q_proj.bias"] == [1024]
    assert s["text_model.final_layer_norm.weight"] == [1024]
    assert not any(k.startswith("text_model.encoder.layers.23.") for k in s)
    attn = full_meta["text_encoder"].text_model.encoder.layers[0].self_attn
    assert attn.num_heads == 16 and attn.head_dim == 64


def test_time_embedding_is_cos_then_sin():
    tp = sd2.Timesteps(320, flip_sin_to_cos=True, shift=0)
    t = torch.tensor([0.0, 10.0])
    e = tp(t)
    assert e.shape == (2, 320)
    assert torch.allclose(e[0, :160], torch.ones(160)) and torch.allclose(e[0, 160:], torch.zeros(160))
    freqs = torch.exp(-math.log(10000) * torch.arange(160, dtype=torch.float32) / 160)
    assert torch.allclose(e[1, :160], torch.cos(10 * freqs), atol=1e-6)
    assert torch.allclose(e[1, 160:], torch.sin(10 * freqs), atol=1e-6)


def test_geglu_is_first_half_times_exact_gelu_of_second_half():
    torch.manual_seed(1)
    g = sd2.GEGLU(8, 16)
    x = torch.randn(2, 5, 8)
    w, b = g.proj.weight, g.proj.bias
    h = x @ w[:16].T + b[:16]
    gate = x @ w[16:].T + b[16:]
    exact = h * 0.5 * gate * (1 + torch.erf(gate / math.sqrt(2)))
    assert torch.allclose(g(x), exact, atol=1e-6)


def test_text_encoder_is_causal_and_pools_at_argmax(tiny):
    te = tiny["text_encoder"]
    ids = torch.tensor([[998, 5, 17, 999, 0, 0], [998, 40, 41, 42, 43, 999]])
    with torch.no_grad():
        last, pooled = te(ids)
        changed = ids.clone()
        changed[:, 3] = 7
        last2, _ = te(changed)
    assert torch.allclose(last[:, :3], last2[:, :3], atol=1e-6)  # positions before 3 unchanged
    assert not torch.allclose(last[:, 3:], last2[:, 3:])
    assert torch.equal(pooled, last[torch.arange(2), ids.argmax(-1)])


def test_text_encoder_mlp_uses_exact_gelu(tiny):
    mlp = tiny["text_encoder"].text_model.encoder.layers[0].mlp
    x = torch.randn(3, 32)
    with torch.no_grad():
        ref = mlp.fc2(F.gelu(mlp.fc1(x), approximate="none"))
        tanh = mlp.fc2(F.gelu(mlp.fc1(x), approximate="tanh"))
        assert torch.allclose(mlp(x), ref)
        assert not torch.allclose(mlp(x), tanh, atol=1e-7)


def test_shapes_through_the_tiny_graphs(tiny):
    with torch.no_grad():
        lat = tiny["vae_encoder"](torch.randn(1, 3, 32, 48))
        assert lat.shape == (1, 8, 4, 6)
        img = tiny["vae_decoder"](torch.randn(2, 4, 3, 5))
        assert img.shape == (2, 3, 24, 40)
        ehs = torch.randn(2, 7, 32)
        x = torch.randn(2, 9, 16, 16)
        out0 = tiny["unet"](x, torch.tensor(500.0), ehs)
        out1 = tiny["unet"](x, torch.tensor([500.0, 500.0]), ehs)
        assert out0.shape == (2, 4, 16, 16)
        assert torch.allclose(out0, out1)
        assert not torch.allclose(out0, tiny["unet"](x, torch.tensor(20.0), ehs))


def test_tiny_keeps_the_structure_of_the_full_model(full_meta, tiny):
    for name in sd2.COMPONENTS:
        full_types = [type(m).__name__ for m in full_meta[name].modules()]
        tiny_types = [type(m).__name__ for m in tiny[name].modules()]
        assert full_types == tiny_types, name
        full_sc = [getattr(m, "conv_shortcut", None) is None for m in full_meta[name].modules()]
        tiny_sc = [getattr(m, "conv_shortcut", None) is None for m in tiny[name].modules()]
        assert full_sc == tiny_sc, name
